package io.tandem.failover.internal;

import java.time.Duration;

/** Validated {@link FailoverConfig}: a bad value names its key and value, nothing starts with it. */
record Timing(Duration lease, Duration grace, int threads, Duration checkInterval, Duration healAfter) {

    /** The lease must have run out on a cut-off Mailstore before the coordinator acts: one heartbeat of margin. */
    static final Duration MARGIN = Duration.ofSeconds(1);

    static Timing of(FailoverConfig c) {
        if (c.lease_millis() < 500 || c.lease_millis() > 600_000) {
            throw invalid("lease.millis", c.lease_millis(), "is not from 500 to 600000");
        }
        if (c.grace_millis() < c.lease_millis() + MARGIN.toMillis() || c.grace_millis() > 3_600_000) {
            throw invalid("grace.millis", c.grace_millis(), "must be at least lease.millis + " + MARGIN.toMillis()
                    + " (" + (c.lease_millis() + MARGIN.toMillis()) + ") and at most 3600000");
        }
        if (c.threads() < 1 || c.threads() > 64) {
            throw invalid("threads", c.threads(), "is not from 1 to 64");
        }
        if (c.check_interval_millis() < 10 || c.check_interval_millis() > 5000) {
            throw invalid("check.interval.millis", c.check_interval_millis(), "is not from 10 to 5000");
        }
        if (c.takeover_heal_millis() < 10_000 || c.takeover_heal_millis() > 3_600_000) {
            throw invalid("takeover.heal.millis", c.takeover_heal_millis(), "is not from 10000 to 3600000");
        }
        return new Timing(Duration.ofMillis(c.lease_millis()), Duration.ofMillis(c.grace_millis()), c.threads(),
                Duration.ofMillis(c.check_interval_millis()), Duration.ofMillis(c.takeover_heal_millis()));
    }

    private static IllegalArgumentException invalid(String key, Object value, String rule) {
        return new IllegalArgumentException(FailoverConfig.PID + ": " + key + " = " + value + " " + rule);
    }
}
