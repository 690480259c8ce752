package io.tandem.api.blob;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The result of probing a bucket with a test object: one {@link Step} per operation tried, in order.
 *
 * @param ok every step succeeded
 */
public record ProbeReport(UUID bucketId, List<Step> steps, boolean ok) {

    public ProbeReport {
        Objects.requireNonNull(bucketId, "bucketId");
        steps = List.copyOf(steps);
    }

    /** A report whose {@code ok} is derived from its steps (all ok, and at least one). */
    public static ProbeReport of(UUID bucketId, List<Step> steps) {
        return new ProbeReport(bucketId, steps, !steps.isEmpty() && steps.stream().allMatch(Step::ok));
    }

    /** The first step that failed, if any. */
    public java.util.Optional<Step> failure() {
        return steps.stream().filter(s -> !s.ok()).findFirst();
    }

    /**
     * One operation of a probe.
     *
     * @param name   {@code put}, {@code stat}, {@code get} or {@code delete}
     * @param millis how long the operation took
     * @param detail what was checked, or why it failed (e.g. {@code connection refused by 127.0.0.1:9000},
     *               {@code access denied (wrong credentials)}, {@code no such bucket 'mail'})
     */
    public record Step(String name, boolean ok, long millis, String detail) {

        public Step {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(detail, "detail");
        }
    }
}
