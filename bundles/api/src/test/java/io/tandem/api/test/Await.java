package io.tandem.api.test;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A bounded wait for a condition that has no event to wait on (a getter of another component), checked every
 * few milliseconds; it fails with what was awaited and the state at that moment. Where the awaited thing can
 * notify (a handler the test owns), wait on that instead.
 */
public final class Await {

    private static final long CHECK_NANOS = Duration.ofMillis(5).toNanos();

    private Await() {
    }

    public static void until(String what, Duration timeout, BooleanSupplier condition) {
        until(what, timeout, condition, () -> "");
    }

    /** Waits for {@code condition}; on time-out fails with {@code what} and {@code state} at that moment. */
    public static void until(String what, Duration timeout, BooleanSupplier condition, Supplier<String> state) {
        until(what, timeout, Duration.ofNanos(CHECK_NANOS), condition, state);
    }

    /**
     * As {@link #until(String, Duration, BooleanSupplier, Supplier)}, looking every {@code every}: for a condition
     * that is costly to look at (a process started, a request to a server).
     */
    public static void until(String what, Duration timeout, Duration every, BooleanSupplier condition, Supplier<String> state) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                String s = state.get();
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what + (s.isEmpty() ? "" : " (" + s + ")"));
            }
            LockSupport.parkNanos(every.toNanos());
        }
    }
}
