package io.tandem.replica.kafka.internal;

/** Delays between retries: {@code initial}, doubling up to {@code max}; {@link #reset()} after a success. Not thread-safe. */
final class Backoff {

    private final long initialMillis;
    private final long maxMillis;
    private long next;

    Backoff(long initialMillis, long maxMillis) {
        if (initialMillis < 1 || maxMillis < initialMillis) {
            throw new IllegalArgumentException("back-off " + initialMillis + ".." + maxMillis + " ms");
        }
        this.initialMillis = initialMillis;
        this.maxMillis = maxMillis;
        this.next = initialMillis;
    }

    /** The delay before the next attempt; the one after it is twice as long (at most max). */
    long next() {
        long delay = next;
        next = Math.min(maxMillis, next * 2);
        return delay;
    }

    void reset() {
        next = initialMillis;
    }
}
