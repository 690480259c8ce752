package io.tandem.api.cluster;

import io.tandem.api.node.Role;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How many nodes play a role right now against how many the cluster configuration expects.
 *
 * @param nodes    names of the live nodes playing the role
 * @param healthy  how many of them report the role UP
 * @param expected nodes expected to play the role (cluster configuration)
 */
public record RoleRedundancy(Role role, List<String> nodes, int healthy, int expected) {

    public enum Level { OK, DEGRADED, DOWN, NONE_EXPECTED }

    public Level level() {
        if (healthy == 0) {
            return expected == 0 ? Level.NONE_EXPECTED : Level.DOWN;
        }
        return healthy >= expected ? Level.OK : Level.DEGRADED;
    }

    /** Redundancy of every role, in role order, for these live nodes and expected counts (missing = 0). */
    public static List<RoleRedundancy> of(List<ClusterNode> nodes, Map<Role, Integer> expected) {
        List<RoleRedundancy> out = new ArrayList<>();
        for (Role role : Role.values()) {
            List<String> names = new ArrayList<>();
            int healthy = 0;
            for (ClusterNode n : nodes) {
                if (n.plays(role)) {
                    names.add(n.name());
                    if (!n.unhealthy().contains(role)) {
                        healthy++;
                    }
                }
            }
            out.add(new RoleRedundancy(role, List.copyOf(names), healthy, expected.getOrDefault(role, 0)));
        }
        return out;
    }
}
