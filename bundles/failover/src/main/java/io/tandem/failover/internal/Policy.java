package io.tandem.failover.internal;

import io.tandem.api.directory.DirectoryService;

import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The cluster-wide failover switches, kept as directory globals so every core node reads the same
 * ones and {@code ha:setAutoFailover} changes them at runtime: {@value #ENABLED} ({@code true} unless
 * set to {@code false}) and {@value #EXCLUDED} (Mailstores whose accounts are never promoted
 * automatically, comma separated).
 */
record Policy(boolean enabled, Set<String> excluded) {

    static final String ENABLED = "failover.auto";
    static final String EXCLUDED = "failover.excluded";

    static Policy read(DirectoryService directory) {
        boolean enabled = !"false".equalsIgnoreCase(directory.global(ENABLED).orElse("true").trim());
        Set<String> excluded = Arrays.stream(directory.global(EXCLUDED).orElse("").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toCollection(TreeSet::new));
        return new Policy(enabled, excluded);
    }

    boolean promotes(String mailstore) {
        return enabled && !excluded.contains(mailstore);
    }

    String excludedText() {
        return excluded.isEmpty() ? "none" : String.join(",", excluded);
    }
}
