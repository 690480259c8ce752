package io.tandem.api.test;

import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.cluster.RoleRedundancy;
import io.tandem.api.node.Role;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Test double of {@link ClusterService}: the test sets the nodes, and either sets the redundancy and
 * status or lets them be derived from the nodes and the expected role counts (like the real adapter).
 */
public class ClusterServiceAdapter implements ClusterService {

    private String clusterName = "test-cluster";
    private boolean connected = true;
    private List<ClusterNode> nodes = List.of();
    private final Map<Role, Integer> expected = new EnumMap<>(Role.class);
    private List<RoleRedundancy> redundancy;
    private ClusterStatus status;

    /** A healthy node with the given roles, id {@code id-<name>}, version {@link LocalNodeAdapter#VERSION}. */
    public static ClusterNode node(String name, String address, boolean local, Role... roles) {
        return node(name, address, local, Set.of(roles), Set.of());
    }

    public static ClusterNode node(String name, String address, boolean local, Set<Role> roles, Set<Role> unhealthy) {
        return new ClusterNode("id-" + name, name, name + ".test", address, LocalNodeAdapter.VERSION,
                Set.copyOf(roles), Set.copyOf(unhealthy), Map.of("cluster", address + ":5701"), local);
    }

    /** Sets the live nodes; they are reported sorted by name. */
    public synchronized ClusterServiceAdapter setNodes(List<ClusterNode> nodes) {
        List<ClusterNode> sorted = new ArrayList<>(nodes);
        sorted.sort(Comparator.comparing(ClusterNode::name).thenComparing(ClusterNode::id));
        this.nodes = List.copyOf(sorted);
        return this;
    }

    public ClusterServiceAdapter setNodes(ClusterNode... nodes) {
        return setNodes(Arrays.asList(nodes));
    }

    /** How many nodes a role should have, used when the redundancy and status are derived. */
    public synchronized ClusterServiceAdapter setExpected(Role role, int count) {
        expected.put(role, count);
        return this;
    }

    /** Fixed redundancy; {@code null} derives it from the nodes. */
    public synchronized ClusterServiceAdapter setRedundancy(List<RoleRedundancy> redundancy) {
        this.redundancy = redundancy == null ? null : List.copyOf(redundancy);
        return this;
    }

    /** Fixed status; {@code null} derives it from the nodes, the cluster name and the connected flag. */
    public synchronized ClusterServiceAdapter setStatus(ClusterStatus status) {
        this.status = status;
        return this;
    }

    public synchronized ClusterServiceAdapter setClusterName(String clusterName) {
        this.clusterName = clusterName;
        return this;
    }

    public synchronized ClusterServiceAdapter setConnected(boolean connected) {
        this.connected = connected;
        return this;
    }

    @Override
    public synchronized List<ClusterNode> nodes() {
        return nodes;
    }

    @Override
    public synchronized List<RoleRedundancy> redundancy() {
        if (redundancy != null) {
            return redundancy;
        }
        return RoleRedundancy.of(nodes, expected);
    }

    @Override
    public synchronized ClusterStatus status() {
        if (status != null) {
            return status;
        }
        int core = (int) nodes.stream().filter(n -> n.plays(Role.CORE)).count();
        return new ClusterStatus(clusterName, connected, nodes.size(), core, expected.getOrDefault(Role.CORE, 0));
    }
}
