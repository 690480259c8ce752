package io.tandem.replica.kafka.internal;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waits for a condition, checked every few milliseconds; failing with what was awaited. */
final class Await {

    private Await() {
    }

    static void until(String what, Duration timeout, BooleanSupplier condition) {
        until(what, timeout, condition, () -> "");
    }

    /** Waits for {@code condition}; on time-out fails with {@code what} and the {@code state} at that moment. */
    static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                String s = state.get();
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what + (s.isEmpty() ? "" : " (" + s + ")"));
            }
            LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
        }
    }
}
