package io.tandem.api.directory;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Validation of domain and account names as every command and service applies it. Wildcards
 * ({@code *}, {@code ?}) are refused explicitly: commands act on named accounts only.
 */
public final class AccountNames {

    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern LOCAL = Pattern.compile("[a-z0-9!#$%&'+/=^_`{|}~-]+(\\.[a-z0-9!#$%&'+/=^_`{|}~-]+)*");

    private AccountNames() {
    }

    /** Lower-cased, validated domain name. */
    public static String domain(String name) {
        String d = normalise(name, "domain");
        if (d.length() > 253 || !d.contains(".")) {
            throw new IllegalArgumentException("domain '" + name + "' is invalid: expected a name such as example.com");
        }
        for (String label : d.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                throw new IllegalArgumentException("domain '" + name + "' is invalid: label '" + label + "'");
            }
        }
        return d;
    }

    /** Lower-cased, validated account address {@code local@domain}. */
    public static String account(String name) {
        String a = normalise(name, "account");
        int at = a.lastIndexOf('@');
        if (at <= 0 || at == a.length() - 1 || a.indexOf('@') != at) {
            throw new IllegalArgumentException("account '" + name + "' is invalid: expected local@domain");
        }
        String local = a.substring(0, at);
        if (local.length() > 64 || !LOCAL.matcher(local).matches()) {
            throw new IllegalArgumentException("account '" + name + "' is invalid: local part '" + local + "'");
        }
        domain(a.substring(at + 1));
        return a;
    }

    public static String domainOf(String account) {
        return account.substring(account.lastIndexOf('@') + 1);
    }

    private static String normalise(String name, String what) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException(what + " name is empty");
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        if (n.contains("*") || n.contains("?")) {
            throw new IllegalArgumentException(what + " '" + name + "' contains a wildcard ('*' or '?'): "
                    + "wildcards are not supported, name the " + what + "s one by one");
        }
        return n;
    }
}
