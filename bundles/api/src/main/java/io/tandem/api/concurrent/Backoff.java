package io.tandem.api.concurrent;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Delays between the attempts of something that failed: from {@code initial}, doubling up to {@code max}, each
 * delay drawn at random from its upper half ("equal jitter": at least half the nominal delay, so that nodes that
 * failed together do not retry together, and never more than it). {@link #reset()} after a success. Not
 * thread-safe: one per retry loop.
 */
public final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private final DoubleSupplier random;
    private long nominal;

    public Backoff(long initialMillis, long maxMillis) {
        this(initialMillis, maxMillis, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** With the random source given (in [0, 1)): tests. */
    public Backoff(long initialMillis, long maxMillis, DoubleSupplier random) {
        check(initialMillis, maxMillis);
        this.initialMillis = initialMillis;
        this.maxMillis = maxMillis;
        this.random = random;
        this.nominal = initialMillis;
    }

    /** The delay before the next attempt, in [nominal / 2, nominal]; the nominal delay then doubles (at most max). */
    public long next() {
        long delay = delay(nominal, random.getAsDouble());
        nominal = Math.min(maxMillis, nominal * 2);
        return delay;
    }

    /** The delay after {@code failures} failures in a row (1 = the first), without the state of an instance. */
    public static long after(int failures, long initialMillis, long maxMillis, double random) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures = " + failures + ": expected at least 1");
        }
        check(initialMillis, maxMillis);
        long nominal = initialMillis;
        for (int i = 1; i < failures && nominal < maxMillis; i++) {
            nominal = Math.min(maxMillis, nominal * 2);
        }
        return delay(Math.min(maxMillis, nominal), random);
    }

    private static void check(long initialMillis, long maxMillis) {
        if (initialMillis < 1 || maxMillis < initialMillis) {
            throw new IllegalArgumentException("back-off " + initialMillis + ".." + maxMillis
                    + " ms: expected 1 <= initial <= max");
        }
    }

    /** In [nominal - nominal / 2, nominal], whatever {@code random} is (it is meant to be in [0, 1)). */
    private static long delay(long nominal, double random) {
        long half = nominal / 2;
        double r = Math.min(Math.max(random, 0.0), 1.0);
        return Math.min(nominal, nominal - half + (long) (half * r));
    }

    /** After a success: the next delay is the initial one again. */
    public void reset() {
        nominal = initialMillis;
    }
}
