package io.tandem.itests.cluster;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Continuous LMTP deliveries, one thread per (Mailstore, account), each message with a unique subject. A
 * temporary failure (4xx) or a broken connection is retried with the same message, as an MTA does, until it
 * is answered 250; what was answered 250 is recorded per account. A permanent failure is recorded and stops
 * the thread (the tests assert there is none). So every message a thread started is, at the end, either
 * acknowledged or failed permanently: none is left in doubt.
 */
final class LmtpLoad implements AutoCloseable {

    /** Pacing between two messages of one thread and between two tries of one message. */
    private static final long PACE_MILLIS = 20;

    private final Map<String, Set<String>> acknowledged = new ConcurrentHashMap<>();
    private final AtomicInteger temporary = new AtomicInteger();
    private final AtomicInteger broken = new AtomicInteger();
    private final List<String> permanent = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    /** Starts delivering to {@code account} through the LMTP server on {@code host}. */
    LmtpLoad deliver(String host, String account, String label) {
        Set<String> acked = acknowledged.computeIfAbsent(account, a -> ConcurrentHashMap.newKeySet());
        Thread t = new Thread(() -> {
            for (int i = 1; running; i++) {
                String subject = label + " " + i;
                while (true) { // a message once tried is retried until answered, also while stopping
                    String reply;
                    try {
                        reply = Lmtp.deliver(host, 7025, account, subject);
                    } catch (IOException e) {
                        broken.incrementAndGet();
                        reply = null;
                    }
                    if (reply != null && reply.startsWith("250")) {
                        acked.add(subject);
                        break;
                    }
                    if (reply != null && reply.startsWith("4")) {
                        temporary.incrementAndGet();
                    } else if (reply != null) {
                        permanent.add(subject + ": " + reply);
                        return;
                    }
                    pause();
                }
                pause();
            }
        }, "lmtp-load-" + label);
        t.setDaemon(true);
        threads.add(t);
        t.start();
        return this;
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(PACE_MILLIS); // pacing of the load, not a wait for a condition
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Messages of {@code account} answered 250 so far. */
    Set<String> acknowledged(String account) {
        return Set.copyOf(acknowledged.getOrDefault(account, Set.of()));
    }

    List<String> permanentFailures() {
        return List.copyOf(permanent);
    }

    /** Waits until {@code more} further messages of every loaded account were answered 250. */
    void awaitProgress(int more, Duration timeout) {
        Map<String, Integer> from = new ConcurrentHashMap<>();
        acknowledged.forEach((a, s) -> from.put(a, s.size()));
        Harness.await(more + " more messages acknowledged for " + from.keySet() + " (temporary failures so far "
                + temporary.get() + ", permanent " + permanent + ")", timeout,
                () -> from.entrySet().stream().allMatch(e -> acknowledged.get(e.getKey()).size() >= e.getValue() + more));
    }

    /** Stops the load, asserts that nothing failed permanently, and prints what happened for the test's report. */
    void finish(String test) throws InterruptedException {
        close();
        org.junit.Assert.assertTrue(permanent.toString(), permanent.isEmpty());
        System.out.printf("%s: %s messages acknowledged, %d temporary failures retried, %d broken connections%n", test,
                acknowledged.entrySet().stream().map(e -> e.getValue().size() + " to " + e.getKey()).sorted().toList(),
                temporary.get(), broken.get());
    }

    /** Stops every thread; a message being retried is finished first (bounded by the join). */
    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(60_000);
        }
    }
}
