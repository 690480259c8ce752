package io.tandem.api.node;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/** The roles a Tandem node can play. Each role is one Karaf feature, {@code tandem-role-<id>}. */
public enum Role {
    CORE("core"),
    MAILSTORE("mailstore"),
    MTA("mta"),
    PROXY("proxy"),
    FILES("files"),
    VIDEO("video"),
    CHATS("chats");

    /** Prefix of the Karaf feature that carries a role. */
    public static final String FEATURE_PREFIX = "tandem-role-";

    private final String id;

    Role(String id) {
        this.id = id;
    }

    /** The role's name as operators write it ({@code mailstore}). */
    public String id() {
        return id;
    }

    /** The Karaf feature that carries this role. */
    public String feature() {
        return FEATURE_PREFIX + id;
    }

    @Override
    public String toString() {
        return id;
    }

    public static Optional<Role> find(String id) {
        if (id == null) {
            return Optional.empty();
        }
        String wanted = id.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(r -> r.id.equals(wanted)).findFirst();
    }

    /** The role of a feature name, if it is a role feature. */
    public static Optional<Role> ofFeature(String featureName) {
        return featureName != null && featureName.startsWith(FEATURE_PREFIX)
                ? find(featureName.substring(FEATURE_PREFIX.length()))
                : Optional.empty();
    }

    /**
     * Parses a comma (or blank) separated role list. An empty list is valid (a node that plays no role yet).
     *
     * @throws IllegalArgumentException naming every unknown value and the known roles
     */
    public static Set<Role> parseList(String text) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        if (text == null) {
            return roles;
        }
        List<String> unknown = new ArrayList<>();
        for (String part : text.split("[,\\s]+")) {
            if (part.isEmpty()) {
                continue;
            }
            find(part).ifPresentOrElse(roles::add, () -> unknown.add(part));
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown role" + (unknown.size() > 1 ? "s " : " ")
                    + unknown.stream().map(u -> "'" + u + "'").collect(Collectors.joining(", "))
                    + " (known roles: " + ids(EnumSet.allOf(Role.class)) + ")");
        }
        return roles;
    }

    /** The roles' ids in declaration order, comma separated. */
    public static String ids(Collection<Role> roles) {
        return roles.stream().sorted().map(Role::id).collect(Collectors.joining(","));
    }
}
