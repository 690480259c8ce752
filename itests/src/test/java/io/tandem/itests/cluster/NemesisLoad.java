package io.tandem.itests.cluster;

import io.tandem.itests.cluster.History.Attempt;
import io.tandem.itests.cluster.History.Outcome;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The nemesis test's clients: one thread per account delivering messages with unique subjects to the
 * account's owner, every attempt recorded in the {@link History}. Like an MTA, a client retries a message
 * that was answered 4xx or whose connection broke, with the same bytes, until it is answered 250 or its
 * deadline passes; it follows the owner a 451 names ("is hosted on NODE") and otherwise tries the next node,
 * whose reply names the owner.
 */
final class NemesisLoad implements AutoCloseable {

    /** Well beyond a fault's hold and recovery: a message not acknowledged by then is a failure of the test. */
    static final Duration MESSAGE_DEADLINE = Duration.ofSeconds(240);
    /** Pacing between two messages of an account and between two tries of a message. */
    private static final long PACE_MILLIS = 100;
    private static final Pattern HOSTED_ON = Pattern.compile("is hosted on (\\S+), not here");

    private final History history;
    private final List<String> nodes;
    private final UnaryOperator<String> address;
    /** account -> the node that last acknowledged one of its messages: where its next message goes first. */
    private final Map<String, String> owners = new ConcurrentHashMap<>();
    /** account -> start of its latest acknowledged attempt (System.nanoTime()). */
    private final Map<String, Long> latestAckStart = new ConcurrentHashMap<>();
    private final List<String> failures = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running = true;

    NemesisLoad(History history, List<String> nodes, UnaryOperator<String> address) {
        this.history = history;
        this.nodes = List.copyOf(nodes);
        this.address = address;
    }

    /** Starts the thread of {@code account}, first trying {@code owner}. */
    void start(String account, String owner) {
        owners.put(account, owner);
        latestAckStart.put(account, Long.MIN_VALUE);
        Thread t = new Thread(() -> {
            for (int n = 1; running; n++) {
                // a message once tried is retried until answered, also while stopping
                deliver(account, "nemesis " + account + " " + n, MESSAGE_DEADLINE);
                pause();
            }
        }, "nemesis-load-" + account);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /**
     * Delivers one message, retrying until it is acknowledged or {@code within} has passed; returns whether it
     * was acknowledged. A permanent refusal or the deadline is recorded as a failure.
     */
    boolean deliver(String account, String subject, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        String node = owners.get(account);
        while (true) {
            long start = System.nanoTime();
            LmtpAttempt.Result r = LmtpAttempt.deliver(address.apply(node), account, subject);
            history.add(new Attempt(account, subject, node, r.outcome(), r.reply(), start, System.nanoTime()));
            if (r.outcome() == Outcome.ACK) {
                owners.put(account, node);
                latestAckStart.merge(account, start, Math::max);
                return true;
            }
            if (r.outcome() == Outcome.PERMANENT) {
                failures.add(account + " '" + subject + "' refused for good by " + node + ": " + r.reply());
                return false;
            }
            if (System.nanoTime() > deadline) {
                failures.add(account + " '" + subject + "' not acknowledged within " + within.toSeconds() + " s; last reply from "
                        + node + ": " + r.reply());
                return false;
            }
            node = nextTry(node, r);
            pause();
        }
    }

    private String nextTry(String node, LmtpAttempt.Result r) {
        if (r.outcome() == Outcome.TEMPORARY) {
            Matcher m = HOSTED_ON.matcher(r.reply());
            if (m.find() && nodes.contains(m.group(1))) {
                return m.group(1);
            }
            if (r.reply().contains("taken over by this node")) {
                return node; // the new owner catching up: it takes the message in a moment
            }
        }
        return nodes.get((nodes.indexOf(node) + 1) % nodes.size());
    }

    private static void pause() {
        try {
            TimeUnit.MILLISECONDS.sleep(PACE_MILLIS); // pacing of the load, not a wait for a condition
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether every account acknowledged a delivery that started at or after {@code since} (System.nanoTime()). */
    boolean everyAccountWritableSince(long since) {
        return latestAckStart.values().stream().allMatch(t -> t >= since);
    }

    /** Accounts without an acknowledged delivery started at or after {@code since}. */
    List<String> notWritableSince(long since) {
        return latestAckStart.entrySet().stream().filter(e -> e.getValue() < since).map(Map.Entry::getKey).sorted().toList();
    }

    /** Permanent refusals and messages not acknowledged before their deadline. */
    List<String> failures() {
        return List.copyOf(failures);
    }

    /** Stops the threads; each finishes the message it is delivering (bounded by its deadline). */
    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(MESSAGE_DEADLINE.toMillis() + 30_000);
            if (t.isAlive()) {
                failures.add(t.getName() + " still delivering after its message's deadline");
            }
        }
    }
}
