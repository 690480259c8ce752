package io.tandem.itests.cluster;

import io.tandem.itests.cluster.History.Attempt;
import io.tandem.itests.cluster.History.Fault;
import io.tandem.itests.cluster.History.Outcome;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * A seeded schedule of random faults on a cluster under load, one at a time. Faults of a Mailstore node (never
 * more than one node down or cut off: the three core nodes keep their quorum): kill -9 and restart, SIGSTOP
 * and SIGCONT, a full partition of a node, a one-way partition between two nodes, a clock step forward or back.
 * Faults of the infrastructure the nodes share: kill -9 of the Kafka broker and its restart, SIGSTOP and
 * SIGCONT of the broker, PostgreSQL (the directory) stopped the crash-like way and started again, S3Proxy (the
 * blobs) stopped and started again; each comes back on the same port with the same data. The seed decides the
 * faults, their targets, hold times, details and gaps ({@link Schedule}); the cluster's timing decides the
 * rest, so a seed replays the same schedule, not the same interleaving.
 *
 * <p>After each fault is healed the nemesis waits, bounded, until every node sees every other again and
 * every account acknowledged a delivery started after the heal; a cluster that does not recover within
 * {@link #RECOVERY} ends the schedule and fails the test (after its other checks).
 */
final class Nemesis {

    /** The fault types; a fault of a fixture hits {@link #target()}, the others a Mailstore node the seed picks. */
    enum Kind {
        KILL, PAUSE, ISOLATE, ONE_WAY, CLOCK,
        KAFKA_KILL("kafka"), KAFKA_PAUSE("kafka"), DB_STOP("postgres"), S3_OUTAGE("s3");

        private final String target;

        Kind() {
            this(null);
        }

        Kind(String target) {
            this.target = target;
        }

        /** The fixture this kind of fault hits ("kafka", "postgres", "s3"), null when it hits a Mailstore node. */
        String target() {
            return target;
        }
    }

    /** One fault of the schedule: what, on which node or fixture, with what detail, held how long, then a gap. */
    record Step(Kind kind, String target, String detail, int holdMillis, int gapMillis) {
        @Override
        public String toString() {
            return kind + " " + target + (detail.isEmpty() ? "" : " " + detail) + " for " + holdMillis + " ms, then " + gapMillis + " ms";
        }
    }

    /**
     * The sequence of faults a seed decides, independent of the cluster: per fault, in this order, the type
     * (uniform over {@link Kind}), the node (for a fault of a node), the hold time, the detail (the peer of a
     * one-way partition, the step of a clock) and the quiet gap after it. Adding a kind changes every seed's
     * schedule; a given seed still decides all of it.
     */
    static final class Schedule {
        private final Random random;
        private final List<String> nodes;
        private final Pace pace;

        Schedule(long seed, List<String> nodes) {
            this(seed, nodes, Pace.DEFAULT);
        }

        Schedule(long seed, List<String> nodes, Pace pace) {
            this.random = new Random(seed);
            this.nodes = List.copyOf(nodes);
            this.pace = pace;
        }

        Step next() {
            Kind kind = Kind.values()[random.nextInt(Kind.values().length)];
            String target = kind.target() != null ? kind.target() : nodes.get(random.nextInt(nodes.size()));
            int hold = pace.minHoldMillis() + random.nextInt(pace.maxHoldMillis() - pace.minHoldMillis());
            String detail = switch (kind) {
                case ONE_WAY -> "-> " + other(target);
                case CLOCK -> CLOCK_STEPS.get(random.nextInt(CLOCK_STEPS.size()));
                default -> "";
            };
            return new Step(kind, target, detail, hold, random.nextInt(pace.maxGapMillis()));
        }

        private String other(String node) {
            List<String> others = nodes.stream().filter(n -> !n.equals(node)).toList();
            return others.get(random.nextInt(others.size()));
        }

        /** The first {@code count} steps of a seed's schedule (to print or choose a seed offline). */
        static List<Step> first(long seed, List<String> nodes, int count) {
            return first(seed, nodes, Pace.DEFAULT, count);
        }

        static List<Step> first(long seed, List<String> nodes, Pace pace, int count) {
            Schedule s = new Schedule(seed, nodes, pace);
            List<Step> steps = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                steps.add(s.next());
            }
            return steps;
        }
    }

    static final Duration RECOVERY = Duration.ofSeconds(180);
    private static final List<String> CLOCK_STEPS = List.of("+90s", "-90s", "+10m", "-10m", "+1h", "-1h");

    /**
     * How long faults are held (from min, below max) and the longest quiet gap after one. The default, 4-20 s and
     * under 4 s, holds most faults well past the failover's grace; a faster pace ({@code -Dtandem.nemesis.pace=
     * MIN_HOLD-MAX_HOLD/MAX_GAP} in ms, e.g. 1000-6000/1000) applies several times as many faults an hour, many of
     * them healed around the grace. A seed decides the same schedule again only with the same pace.
     */
    record Pace(int minHoldMillis, int maxHoldMillis, int maxGapMillis) {
        static final Pace DEFAULT = new Pace(4_000, 20_000, 4_000);

        Pace {
            if (minHoldMillis < 0 || maxHoldMillis <= minHoldMillis || maxGapMillis < 1) {
                throw new IllegalArgumentException("pace: hold " + minHoldMillis + "-" + maxHoldMillis + " ms, gap below "
                        + maxGapMillis + " ms: expected 0 <= min < max and a gap of at least 1 ms");
            }
        }

        /** {@code MIN-MAX/GAP} in milliseconds; null or blank: the default. */
        static Pace parse(String text) {
            if (text == null || text.isBlank()) {
                return DEFAULT;
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)-(\\d+)/(\\d+)").matcher(text.trim());
            if (!m.matches()) {
                throw new IllegalArgumentException("tandem.nemesis.pace '" + text + "': expected MIN_HOLD-MAX_HOLD/MAX_GAP in ms, "
                        + "e.g. 1000-6000/1000");
            }
            return new Pace(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
        }

        @Override
        public String toString() {
            return minHoldMillis + "-" + maxHoldMillis + "/" + maxGapMillis;
        }
    }
    /** Tries of a fixture's restart: its port may be taken for a moment (a client's socket), it is not given up. */
    private static final int RESTART_TRIES = 3;

    private final Schedule schedule;
    private final HaCluster cluster;
    private final Harness harness;
    private final List<String> nodes;
    private final History history;
    private final NemesisLoad load;

    Nemesis(long seed, HaCluster cluster, List<String> nodes, History history, NemesisLoad load) {
        this.schedule = new Schedule(seed, nodes, Pace.parse(System.getProperty("tandem.nemesis.pace")));
        this.cluster = cluster;
        this.harness = cluster.harness;
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
            Step step = schedule.next();
            Optional<String> stuck = apply(step);
            if (stuck.isPresent()) {
                return stuck;
            }
            pause(step.gapMillis()); // the schedule's quiet time between two faults
        }
        return Optional.empty();
    }

    private Optional<String> apply(Step step) {
        Kind kind = step.kind();
        String node = step.target();
        String detail = step.detail();
        System.out.printf("[nemesis] %s %s %s for %d ms%n", kind, node, detail, step.holdMillis());
        long start = System.nanoTime();
        try {
            switch (kind) {
                case KILL -> harness.run(60, "kill", node);
                case PAUSE -> harness.run(60, "pause", node);
                case ISOLATE -> harness.run(60, "isolate", node);
                case ONE_WAY -> harness.run(60, "partition", "--one-way", node, detail.substring(3));
                case CLOCK -> harness.run(60, "clock", node, detail);
                case KAFKA_KILL -> fixture("kill -9 of Kafka", cluster.kafka::kill);
                case KAFKA_PAUSE -> fixture("SIGSTOP of Kafka", cluster.kafka::pause);
                case DB_STOP -> fixture("immediate stop of PostgreSQL", cluster.postgres::stopImmediately);
                case S3_OUTAGE -> fixture("stop of S3Proxy", cluster.s3::stop);
            }
            pause(step.holdMillis()); // the fault's hold time, part of the schedule
        } finally {
            heal(kind, node);
        }
        long end = System.nanoTime();
        try {
            awaitRecovery(kind + " " + node + " " + detail, end);
        } catch (AssertionError e) {
            history.add(new Fault(kind.name(), node, detail, start, end, -1));
            System.out.printf("[nemesis] %s %s %s: the cluster did not recover: %s%n", kind, node, detail, e.getMessage());
            NemesisIT.keepThreadDumps(harness, nodes, history.file().getParent(), "not-recovered");
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
            case KAFKA_KILL -> restart("Kafka", cluster.kafka::running, cluster.kafka::start);
            case KAFKA_PAUSE -> fixture("SIGCONT of Kafka", cluster.kafka::resume);
            case DB_STOP -> restart("PostgreSQL", cluster.postgres::running, cluster.postgres::restart);
            case S3_OUTAGE -> restart("S3Proxy", cluster.s3::running, cluster.s3::restart);
        }
    }

    /** An action of a fixture's (a script it runs, a signal it sends). */
    interface FixtureAction {
        void run() throws Exception;
    }

    /** A fixture's running check. */
    interface FixtureCheck {
        boolean test() throws Exception;
    }

    private static void fixture(String what, FixtureAction action) {
        try {
            action.run();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new AssertionError(what + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Starts a stopped fixture again on its port with its data; tries again (at most {@link #RESTART_TRIES} in
     * all, 2 s apart) when a start failed and left it not running, e.g. because a client's socket held the port
     * for a moment.
     */
    private static void restart(String what, FixtureCheck running, FixtureAction start) {
        for (int tries = 1; ; tries++) {
            try {
                start.run();
                return;
            } catch (Exception e) {
                boolean up;
                try {
                    up = running.test();
                } catch (Exception again) {
                    up = false;
                }
                if (tries >= RESTART_TRIES || up || e instanceof InterruptedException) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    throw new AssertionError("restart of " + what + " failed (try " + tries + "): " + e.getMessage(), e);
                }
                System.out.printf("[nemesis] restart of %s failed (try %d), trying again: %s%n", what, tries, e.getMessage());
                pause(2000);
            }
        }
    }

    /**
     * Heals whatever may be left (after a failure too): Kafka, PostgreSQL and S3Proxy running (and Kafka resumed),
     * then every node running, resumed, connected, on time.
     */
    static void healEverything(HaCluster cluster, List<String> nodes) {
        Harness harness = cluster.harness;
        fixture("healing Kafka", () -> {
            if (cluster.kafka.running()) {
                cluster.kafka.resume();
            } else {
                restart("Kafka", cluster.kafka::running, cluster.kafka::start);
            }
        });
        fixture("healing PostgreSQL", () -> {
            if (!cluster.postgres.running()) {
                restart("PostgreSQL", cluster.postgres::running, cluster.postgres::restart);
            }
        });
        fixture("healing S3Proxy", () -> {
            if (!cluster.s3.running()) {
                restart("S3Proxy", cluster.s3::running, cluster.s3::restart);
            }
        });
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
                .allMatch(n -> cluster.membersCountedBy(n) == nodes.size()));
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

    private static void pause(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
