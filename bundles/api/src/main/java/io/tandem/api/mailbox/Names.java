package io.tandem.api.mailbox;

import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/** Validation and canonical forms shared by the records of this package. */
final class Names {

    static final int MAX_NAME = 255;
    static final int MAX_TEXT = 4000;

    private Names() {
    }

    /** A folder name: not blank, at most 255 characters, no '/' (the hierarchy separator), no control character. */
    static String folderName(String name) {
        Objects.requireNonNull(name, "folder name");
        if (name.isBlank() || name.length() > MAX_NAME || name.indexOf('/') >= 0 || hasControl(name)) {
            throw new IllegalArgumentException("folder name '" + name
                    + "' is invalid: it must be 1-255 characters, not blank, without '/' or control characters");
        }
        return name;
    }

    /** An immutable sorted copy of flags or tags, each not blank, at most 255 characters, no control character. */
    static SortedSet<String> keywords(String what, Set<String> values) {
        Objects.requireNonNull(values, what);
        TreeSet<String> sorted = new TreeSet<>();
        for (String v : values) {
            if (v == null || v.isBlank() || v.length() > MAX_NAME || hasControl(v)) {
                throw new IllegalArgumentException(what + " '" + v + "' is invalid: it must be 1-255 characters, not blank, without control characters");
            }
            sorted.add(v);
        }
        return Collections.unmodifiableSortedSet(sorted);
    }

    /** A summary field (subject, from, to): {@code null} becomes "", longer than 4000 characters is cut. */
    static String text(String value) {
        if (value == null) {
            return "";
        }
        return value.length() <= MAX_TEXT ? value : value.substring(0, MAX_TEXT);
    }

    static void id(String what, long id) {
        if (id <= 0) {
            throw new IllegalArgumentException(what + " " + id + " is not a valid id (must be > 0)");
        }
    }

    private static boolean hasControl(String s) {
        return s.chars().anyMatch(Character::isISOControl);
    }
}
