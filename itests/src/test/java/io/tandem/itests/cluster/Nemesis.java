package io.tandem.itests.cluster;

import io.tandem.itests.cluster.History.Attempt;
import io.tandem.itests.cluster.History.Fault;
import io.tandem.itests.cluster.History.Outcome;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A seeded schedule of random faults on a cluster under load, one at a time (never more than one node down
 * or cut off: the three core nodes keep their quorum): kill -9 and restart, SIGSTOP and SIGCONT, a full
 * partition of a node, a one-way partition between two nodes, a clock step forward or back. The seed
 * decides the faults, their nodes, hold times and gaps; the cluster's timing decides the rest, so a seed
 * replays the same schedule, not the same interleaving.
 *
 * <p>After each fault is healed the nemesis waits, bounded, until every node sees every other again and
 * every account acknowledged a delivery started after the heal; a cluster that does not recover within
 * {@link #RECOVERY} ends the schedule and fails the test (after its other checks).
 */
final class Nemesis {

    enum Kind { KILL, PAUSE, ISOLATE, ONE_WAY, CLOCK }

    static final Duration RECOVERY = Duration.ofSeconds(180);
    private static final List<String> CLOCK_STEPS = List.of("+90s", "-90s", "+10m", "-10m", "+1h", "-1h");
    private static final int MIN_HOLD_MILLIS = 4_000;
    private static final int MAX_HOLD_MILLIS = 20_000;
    private static final int MAX_GAP_MILLIS = 4_000;

    private final Random random;
    private final Harness harness;
    private final List<String> nodes;
    private final History history;
    private final NemesisLoad load;

    Nemesis(long seed, Harness harness, List<String> nodes, History history, NemesisLoad load) {
        this.random = new Random(seed);
        this.harness = harness;
        this.nodes = List.copyOf(nodes);
        this.history = history;
        this.load = load;
    }

    /**
     * Applies faults one after the other until {@code until} (System.nanoTime()) has passed, or until the
     * cluster did not recover from one: then the schedule stops (the next fault would hit a cluster already
     * broken) and the cause is returned, for the test to report with its other checks.
     */
    Optional<String> run(long until) {
        while (System.nanoTime() < until) {
            Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
            String node = nodes.get(random.nextInt(nodes.size()));
            int hold = MIN_HOLD_MILLIS + random.nextInt(MAX_HOLD_MILLIS - MIN_HOLD_MILLIS);
            Optional<String> stuck = apply(kind, node, hold);
            if (stuck.isPresent()) {
                return stuck;
            }
            pause(random.nextInt(MAX_GAP_MILLIS)); // the schedule's quiet time between two faults
        }
        return Optional.empty();
    }

    private Optional<String> apply(Kind kind, String node, int holdMillis) {
        String detail = switch (kind) {
            case ONE_WAY -> "-> " + other(node);
            case CLOCK -> CLOCK_STEPS.get(random.nextInt(CLOCK_STEPS.size()));
            default -> "";
        };
        System.out.printf("[nemesis] %s %s %s for %d ms%n", kind, node, detail, holdMillis);
        long start = System.nanoTime();
        try {
            switch (kind) {
                case KILL -> harness.run(60, "kill", node);
                case PAUSE -> harness.run(60, "pause", node);
                case ISOLATE -> harness.run(60, "isolate", node);
                case ONE_WAY -> harness.run(60, "partition", "--one-way", node, detail.substring(3));
                case CLOCK -> harness.run(60, "clock", node, detail);
            }
            pause(holdMillis); // the fault's hold time, part of the schedule
        } finally {
            heal(kind, node);
        }
        long end = System.nanoTime();
        try {
            awaitRecovery(kind + " " + node + " " + detail, end);
        } catch (AssertionError e) {
            history.add(new Fault(kind.name(), node, detail, start, end, -1));
            System.out.printf("[nemesis] %s %s %s: the cluster did not recover: %s%n", kind, node, detail, e.getMessage());
            return Optional.of(e.getMessage());
        }
        long writable = writableAt(end).orElseThrow();
        history.add(new Fault(kind.name(), node, detail, start, end, writable));
        System.out.printf("[nemesis] %s %s healed; every account writable %d ms later%n", kind, node,
                TimeUnit.NANOSECONDS.toMillis(writable - end));
        return Optional.empty();
    }

    private void heal(Kind kind, String node) {
        switch (kind) {
            case KILL -> harness.run(300, "start", node);
            case PAUSE -> harness.run(60, "resume", node);
            case ISOLATE, ONE_WAY -> harness.run(60, "heal", node);
            case CLOCK -> harness.run(60, "clock", node, "0");
        }
    }

    /** Heals whatever may be left (after a failure too): every node running, resumed, connected, on time. */
    static void healEverything(Harness harness, List<String> nodes) {
        harness.run(60, "heal");
        for (String n : nodes) {
            if (harness.tryRun(30, "pid", n).code() != 0) {
                harness.run(300, "start", n);
            } else {
                harness.run(60, "resume", n);
            }
            harness.run(60, "clock", n, "0");
        }
    }

    /** Every node sees every node, and every account acknowledged a delivery started at or after {@code since}. */
    void awaitRecovery(String after, long since) {
        Harness.await("every node sees " + nodes.size() + " members after " + after, RECOVERY, () -> nodes.stream()
                .allMatch(n -> harness.membersSeenBy(n).map(m -> m.size() == nodes.size()).orElse(false)));
        Harness.await("every account is writable after " + after + " (not yet: " + load.notWritableSince(since) + ")", RECOVERY,
                () -> load.everyAccountWritableSince(since));
    }

    /**
     * When every account had acknowledged a delivery started at or after {@code since}: the end of the
     * latest account's first such delivery; empty when an account has none.
     */
    private Optional<Long> writableAt(long since) {
        Map<String, Long> first = new HashMap<>();
        for (Attempt a : history.attempts()) {
            first.putIfAbsent(a.account(), Long.MAX_VALUE);
            if (a.outcome() == Outcome.ACK && a.start() >= since) {
                first.merge(a.account(), a.end(), Math::min);
            }
        }
        long latest = first.values().stream().mapToLong(Long::longValue).max().orElse(Long.MAX_VALUE);
        return latest == Long.MAX_VALUE ? Optional.empty() : Optional.of(latest);
    }

    private String other(String node) {
        List<String> others = nodes.stream().filter(n -> !n.equals(node)).toList();
        return others.get(random.nextInt(others.size()));
    }

    private static void pause(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
