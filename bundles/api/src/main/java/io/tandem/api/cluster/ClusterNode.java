package io.tandem.api.cluster;

import io.tandem.api.node.Role;

import java.util.Map;
import java.util.Set;

/**
 * A live member of the cluster.
 *
 * @param id        membership id (changes when the node restarts)
 * @param roles     roles active on the node
 * @param unhealthy roles active but reporting DOWN
 * @param endpoints endpoint name to URI
 * @param local     this is the node running the code that asks
 */
public record ClusterNode(String id, String name, String fqdn, String address, String version,
                          Set<Role> roles, Set<Role> unhealthy, Map<String, String> endpoints, boolean local) {

    public enum State { UP, DEGRADED }

    public State state() {
        return unhealthy.isEmpty() ? State.UP : State.DEGRADED;
    }

    public boolean plays(Role role) {
        return roles.contains(role);
    }
}
