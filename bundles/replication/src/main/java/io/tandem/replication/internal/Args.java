package io.tandem.replication.internal;

import io.tandem.api.directory.AccountNames;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The operators' key/value argument habit ({@code ha:getAccountStatus mailHost mbox1 accounts a@x,b@y}):
 * words in pairs, known keys only, each once. Account lists come from {@code accounts a,b} or {@code
 * input_file /path} (one account per line; blank lines and {@code #} comments ignored). Every error names
 * the bad word, key or line.
 */
public final class Args {

    private final Map<String, String> values;

    private Args(Map<String, String> values) {
        this.values = values;
    }

    public static Args parse(List<String> words, Set<String> keys) {
        List<String> w = words == null ? List.of() : words;
        if (w.size() % 2 != 0) {
            throw new IllegalArgumentException("arguments come in key/value pairs: '" + w.get(w.size() - 1)
                    + "' has no value (keys: " + String.join(", ", keys) + ")");
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < w.size(); i += 2) {
            String key = w.get(i);
            if (!keys.contains(key)) {
                throw new IllegalArgumentException("unknown key '" + key + "' (keys: " + String.join(", ", keys) + ")");
            }
            if (values.put(key, w.get(i + 1)) != null) {
                throw new IllegalArgumentException("key '" + key + "' is given twice");
            }
        }
        return new Args(values);
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    public String get(String key) {
        return values.get(key);
    }

    public int integer(String key, int defaultValue, int min, int max) {
        String v = values.get(key);
        return v == null ? defaultValue : number(key, v, min, max);
    }

    /** {@code v} as a whole number from {@code min} to {@code max}; the error names {@code what} and the value. */
    public static int number(String what, String v, int min, int max) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException(what + " '" + v + "' is not a whole number from " + min + " to " + max);
    }

    /** Comma-separated values of {@code key} (empty when absent). */
    public List<String> list(String key) {
        String v = values.get(key);
        if (v == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String s : v.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(key + " '" + v + "' names nothing");
        }
        return out;
    }

    /**
     * The accounts named by {@code accounts} or {@code input_file} (exactly one of them when
     * {@code required}), validated and without duplicates; empty when neither is given and not required.
     */
    public List<String> accounts(boolean required) {
        if (has("accounts") && has("input_file")) {
            throw new IllegalArgumentException("give either accounts or input_file, not both");
        }
        Set<String> out = new LinkedHashSet<>();
        if (has("accounts")) {
            for (String a : list("accounts")) {
                out.add(account(a, "accounts"));
            }
        } else if (has("input_file")) {
            out.addAll(file(Paths.get(get("input_file"))));
        } else if (required) {
            throw new IllegalArgumentException("name the accounts: accounts a@example.com,b@example.com or input_file /path/to/list");
        }
        return List.copyOf(out);
    }

    static List<String> file(Path path) {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("input_file " + path + " cannot be read: " + e.getMessage());
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            out.add(account(line, "input_file " + path + " line " + (i + 1)));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("input_file " + path + " names no account");
        }
        return out;
    }

    private static String account(String name, String where) {
        try {
            return AccountNames.account(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": '" + name + "' is not an account name: " + e.getMessage());
        }
    }
}
