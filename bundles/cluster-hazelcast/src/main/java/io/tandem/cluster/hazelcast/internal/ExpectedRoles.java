package io.tandem.cluster.hazelcast.internal;

import io.tandem.api.node.Role;

import java.util.EnumMap;
import java.util.Map;

/** Parses {@code expected.roles} ({@code core=3,mailstore=2,...}): how many nodes each role should have. */
final class ExpectedRoles {

    private ExpectedRoles() {
    }

    static Map<Role, Integer> parse(String pid, String text) {
        Map<Role, Integer> out = new EnumMap<>(Role.class);
        for (Role r : Role.values()) {
            out.put(r, 0);
        }
        if (text == null || text.isBlank()) {
            return out;
        }
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int eq = p.indexOf('=');
            Role role = eq < 0 ? null : Role.find(p.substring(0, eq)).orElse(null);
            Integer count = null;
            if (eq > 0) {
                try {
                    count = Integer.parseInt(p.substring(eq + 1).trim());
                } catch (NumberFormatException e) {
                    count = null;
                }
            }
            if (role == null || count == null || count < 0) {
                throw new IllegalArgumentException(pid + ": expected.roles entry '" + p
                        + "' is invalid: expected <role>=<count>, e.g. core=3 (roles: " + Role.ids(java.util.EnumSet.allOf(Role.class)) + ")");
            }
            out.put(role, count);
        }
        return out;
    }
}
