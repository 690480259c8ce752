package io.tandem.replica.kafka.internal;

/**
 * A wait a consumer thread makes (back-off, waiting for brokers) that ends early when {@link #wake()} is
 * called: on close and when the brokers change. A wake before the wait is not lost.
 */
final class Pause {

    private boolean woken;

    /** Waits up to {@code millis}; returns true when woken (or interrupted), false when the time passed. */
    synchronized boolean await(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        try {
            while (!woken) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                wait(Math.max(1, left / 1_000_000L));
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        } finally {
            woken = false;
        }
    }

    synchronized void wake() {
        woken = true;
        notifyAll();
    }
}
