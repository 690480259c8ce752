package io.tandem.cluster.hazelcast.internal;

import io.tandem.api.node.Role;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a node publishes about itself in the cluster's node map. Encoded as {@code key=value} lines
 * (values URL-encoded) with a format version, so that older and newer nodes read each other:
 * unknown keys are ignored, unknown role names are skipped. No Java serialization crosses the wire.
 */
record MemberRecord(String name, String fqdn, String address, String version,
                    Set<Role> roles, Set<Role> unhealthy, Map<String, String> endpoints) {

    static final int FORMAT = 1;
    private static final String ENDPOINT = "endpoint.";

    String encode() {
        Map<String, String> kv = new LinkedHashMap<>();
        kv.put("format", Integer.toString(FORMAT));
        kv.put("name", name);
        kv.put("fqdn", fqdn);
        kv.put("address", address);
        kv.put("version", version);
        kv.put("roles", Role.ids(roles));
        kv.put("unhealthy", Role.ids(unhealthy));
        // endpoint names are part of the key: encoded too (a plain name such as "health" is unchanged)
        new TreeMap<>(endpoints).forEach((k, v) -> kv.put(ENDPOINT + URLEncoder.encode(k, StandardCharsets.UTF_8), v));
        StringBuilder out = new StringBuilder();
        kv.forEach((k, v) -> out.append(k).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('\n'));
        return out.toString();
    }

    static MemberRecord decode(String text) {
        Map<String, String> kv = new LinkedHashMap<>();
        Map<String, String> endpoints = new TreeMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq <= 0) {
                continue;
            }
            String key = line.substring(0, eq);
            try {
                String value = URLDecoder.decode(line.substring(eq + 1), StandardCharsets.UTF_8);
                if (key.startsWith(ENDPOINT)) {
                    endpoints.put(URLDecoder.decode(key.substring(ENDPOINT.length()), StandardCharsets.UTF_8), value);
                } else {
                    kv.put(key, value);
                }
            } catch (IllegalArgumentException e) {
                // a malformed line from a peer costs that field, not the whole record
            }
        }
        return new MemberRecord(kv.getOrDefault("name", "?"), kv.getOrDefault("fqdn", "?"),
                kv.getOrDefault("address", "?"), kv.getOrDefault("version", "?"),
                lenientRoles(kv.get("roles")), lenientRoles(kv.get("unhealthy")), endpoints);
    }

    /** Roles this node does not know (a newer peer's) are skipped rather than failing the whole record. */
    static Set<Role> lenientRoles(String ids) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        if (ids != null) {
            for (String id : ids.split(",")) {
                Role.find(id).ifPresent(roles::add);
            }
        }
        return roles;
    }
}
