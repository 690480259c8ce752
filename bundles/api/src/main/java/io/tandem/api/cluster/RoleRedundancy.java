package io.tandem.api.cluster;

import io.tandem.api.node.Role;

import java.util.List;

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
}
