package io.tandem.failover.internal;

import java.time.Duration;

/** Validated {@link FailoverConfig}: a bad value names its key and value, nothing starts with it. */
record Timing(Duration lease, Duration grace, int threads, Duration checkInterval, Duration healAfter) {

    /** The lease must have run out on a cut-off Mailstore before the coordinator acts: one heartbeat of margin. */
    static final Duration MARGIN = Duration.ofSeconds(1);

    static Timing of(FailoverConfig c) {
        if (c.lease_ms() < 500 || c.lease_ms() > 600_000) {
            throw invalid("lease.ms", c.lease_ms(), "is not from 500 to 600000");
        }
        if (c.grace_ms() < c.lease_ms() + MARGIN.toMillis() || c.grace_ms() > 3_600_000) {
            throw invalid("grace.ms", c.grace_ms(), "must be at least lease.ms + " + MARGIN.toMillis()
                    + " (" + (c.lease_ms() + MARGIN.toMillis()) + ") and at most 3600000");
        }
        if (c.threads() < 1 || c.threads() > 64) {
            throw invalid("threads", c.threads(), "is not from 1 to 64");
        }
        if (c.check_interval_ms() < 10 || c.check_interval_ms() > 5000) {
            throw invalid("check.interval.ms", c.check_interval_ms(), "is not from 10 to 5000");
        }
        if (c.takeover_heal_ms() < 10_000 || c.takeover_heal_ms() > 3_600_000) {
            throw invalid("takeover.heal.ms", c.takeover_heal_ms(), "is not from 10000 to 3600000");
        }
        return new Timing(Duration.ofMillis(c.lease_ms()), Duration.ofMillis(c.grace_ms()), c.threads(),
                Duration.ofMillis(c.check_interval_ms()), Duration.ofMillis(c.takeover_heal_ms()));
    }

    private static IllegalArgumentException invalid(String key, Object value, String rule) {
        return new IllegalArgumentException(FailoverConfig.PID + ": " + key + " = " + value + " " + rule);
    }
}
