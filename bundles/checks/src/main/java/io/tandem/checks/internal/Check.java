package io.tandem.checks.internal;

import java.util.Objects;

/**
 * One line of a check report.
 *
 * @param section what is checked ({@code fqdn}, {@code peers}, {@code kafka} ...)
 * @param target  the thing checked within it (a peer, a bucket, a Mailstore), or {@code ""}
 * @param detail  the reason: what was found, or why it is not good
 */
public record Check(String section, String target, Outcome outcome, String detail) {

    public Check {
        Objects.requireNonNull(section, "section");
        target = target == null ? "" : target;
        Objects.requireNonNull(outcome, "outcome");
        Objects.requireNonNull(detail, "detail");
    }

    public static Check pass(String section, String target, String detail) {
        return new Check(section, target, Outcome.PASS, detail);
    }

    public static Check warn(String section, String target, String detail) {
        return new Check(section, target, Outcome.WARN, detail);
    }

    public static Check fail(String section, String target, String detail) {
        return new Check(section, target, Outcome.FAIL, detail);
    }
}
