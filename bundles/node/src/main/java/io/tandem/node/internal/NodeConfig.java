package io.tandem.node.internal;

import io.tandem.api.node.Role;

import java.net.InetAddress;
import java.util.Set;
import java.util.regex.Pattern;

/** A validated {@code tandem.node} configuration. */
record NodeConfig(String name, String fqdn, String address, Set<Role> roles) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    private static final Pattern FQDN = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\\.?");
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:][0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?");

    /**
     * Validates raw values.
     *
     * @throws IllegalArgumentException naming the PID, the key and the bad value
     */
    static NodeConfig of(String name, String fqdn, String address, String roles) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw bad("node.name", name, "letters, digits, '.', '_' or '-', at most 63 characters");
        }
        String f = fqdn == null || fqdn.isBlank() ? name : fqdn.trim();
        if (!FQDN.matcher(f).matches() || f.length() > 253) {
            // name the value actually checked: when node.fqdn is not set it is node.name
            throw bad("node.fqdn", f, "a host name such as mbox1.example.com"
                    + (fqdn == null || fqdn.isBlank() ? " (node.fqdn is not set, so node.name is used)" : ""));
        }
        if (address == null || !isIpLiteral(address.trim())) {
            throw bad("node.address", address, "an IPv4 or IPv6 address of this host");
        }
        Set<Role> parsed;
        try {
            parsed = Role.parseList(roles);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("tandem.node: roles = '" + roles + "': " + e.getMessage(), e);
        }
        return new NodeConfig(name, f, address.trim(), Set.copyOf(parsed));
    }

    private static boolean isIpLiteral(String s) {
        boolean v4 = IPV4.matcher(s).matches();
        if (!v4 && !IPV6_CHARS.matcher(s).matches()) {
            // host names are not accepted: the node binds to exactly this address; and anything that is
            // not shaped like an IPv6 literal would make InetAddress.getByName look the name up
            return false;
        }
        try {
            InetAddress.getByName(s); // literal: no lookup happens
            return !v4 || s.chars().filter(c -> c == '.').count() == 3 && allOctetsValid(s);
        } catch (Exception e) {
            return false;
        }
    }

    private static boolean allOctetsValid(String s) {
        for (String octet : s.split("\\.")) {
            if (Integer.parseInt(octet) > 255) {
                return false;
            }
        }
        return true;
    }

    private static IllegalArgumentException bad(String key, String value, String expected) {
        return new IllegalArgumentException("tandem.node: " + key + " = '" + value + "' is invalid: expected " + expected);
    }
}
