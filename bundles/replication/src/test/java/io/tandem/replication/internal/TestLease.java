package io.tandem.replication.internal;

import io.tandem.api.cluster.OwnershipLease;

import java.time.Duration;

/** An ownership lease a test sets held or expired. */
final class TestLease implements OwnershipLease {

    static final OwnershipLease HELD = new TestLease(true);

    volatile boolean held;

    TestLease(boolean held) {
        this.held = held;
    }

    @Override
    public boolean valid() {
        return held;
    }

    @Override
    public Duration duration() {
        return Duration.ofSeconds(2);
    }

    @Override
    public String describe() {
        return held ? "held (test)" : "expired (test: no core quorum)";
    }
}
