package io.tandem.itests.cluster;

import io.tandem.itests.cluster.History.Attempt;
import io.tandem.itests.cluster.HistoryChecker.MailboxVerdict;
import org.junit.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * Random faults under load on three core Mailstores (n1..n3) with Kafka, PostgreSQL and S3Proxy: twelve
 * accounts spread over the nodes, each replicated to the two others, a client per account delivering
 * continuously to its owner, and a seeded {@link Nemesis} killing, pausing, partitioning and stepping the
 * clocks of the nodes, killing and pausing the Kafka broker, stopping PostgreSQL and S3Proxy, one fault at a
 * time. Afterwards, with every fault healed and the load stopped: no
 * acknowledged message is lost or stored twice (beyond what attempts in doubt allow), every copy converged
 * to its owner's, every account takes mail again, and the nodes' acknowledgement journals (when written)
 * show one writer per epoch in order. See docs/fault-harness.md.
 *
 * <p>{@code -Dtandem.nemesis.seed=N} replays a schedule (the seed is printed), {@code -Dtandem.nemesis.seconds=S}
 * sets how long faults are applied, {@code -Dtandem.nemesis.prefix=127.0.N.} the nodes' addresses (default
 * 127.0.9.). On failure the history, the nodes' logs and the fixtures' logs are kept in
 * {@code itests/target/nemesis-<seed>/}.
 */
public class NemesisIT {

    private static final List<String> NODES = List.of("n1", "n2", "n3");
    private static final int ACCOUNTS = 12;
    /**
     * Faults for this long by default: with the set-up (about 2.5 min here) and the checks, the whole test
     * takes about five minutes (a fault started before the end still runs its course).
     */
    private static final int DEFAULT_SECONDS = 40;
    private static final Duration PROBE = Duration.ofSeconds(60);
    private static final Duration CONVERGENCE = Duration.ofSeconds(120);
    private static final int SHOWN = 20;

    @Test
    public void randomFaultsUnderLoadLoseAndDuplicateNothing() throws Exception {
        long seed = seed();
        int seconds = Integer.getInteger("tandem.nemesis.seconds", DEFAULT_SECONDS);
        Path out = Path.of(System.getProperty("tandem.repo")).toAbsolutePath().normalize().resolve("itests/target/nemesis-" + seed);
        System.out.printf("[nemesis] seed %d, %d s of faults, pace %s (replay: -Dtandem.nemesis.seed=%d with the same pace), history in %s%n",
                seed, seconds, Nemesis.Pace.parse(System.getProperty("tandem.nemesis.pace")), seed, out);
        long began = System.nanoTime();
        HaCluster cluster = null;
        try (History history = new History(out.resolve("history.tsv"))) {
            try {
                cluster = HaCluster.startWithFaults("nemesis", System.getProperty("tandem.nemesis.prefix", "127.0.9."), "n1 core,mailstore",
                        "n2 core,mailstore", "n3 core,mailstore");
                run(cluster, history, seed, seconds, out, began);
                if (Boolean.getBoolean("tandem.nemesis.keep.logs")) {
                    keepLogs(cluster, out); // a long run's slow recoveries are explained from them afterwards
                }
            } catch (Throwable t) {
                keepLogs(cluster, out);
                System.out.printf("[nemesis] FAILED with seed %d: history and logs in %s%n", seed, out);
                throw t;
            } finally {
                if (cluster != null) {
                    cluster.close();
                }
            }
        }
    }

    private static void run(HaCluster cluster, History history, long seed, int seconds, Path out, long began) throws Exception {
        Harness harness = cluster.harness;
        Map<String, String> owners = createReplicatedAccounts(cluster);
        List<String> accounts = List.copyOf(owners.keySet());
        NemesisLoad load = new NemesisLoad(history, NODES, cluster::address);
        // what kept an account from taking mail: a fault the cluster did not recover from, a failed probe, an
        // owner that could not show the mailbox
        List<String> availability = new ArrayList<>();
        try {
            long loadStart = System.nanoTime();
            owners.forEach(load::start);
            Harness.await("every account took mail (not yet: " + load.notWritableSince(loadStart) + ")", Nemesis.RECOVERY,
                    () -> load.everyAccountWritableSince(loadStart));
            new Nemesis(seed, cluster, NODES, history, load).run(System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds))
                    .ifPresent(stuck -> availability.add("schedule stopped: " + stuck));
        } finally {
            Nemesis.healEverything(cluster, NODES);
            load.close();
        }
        // (c) every account takes mail again after the heal
        for (String a : accounts) {
            if (!load.deliver(a, "probe " + a, PROBE)) {
                availability.add(a + ": probe not acknowledged within " + PROBE.toSeconds() + " s after the heal");
            }
        }
        // (a) every acknowledged message on its owner once; an account whose owner cannot show it is left out
        // (and reported): the others are still judged
        Map<String, String> finalOwners = new Convergence(cluster, NODES).owners("n1");
        Map<String, List<String>> stored = new TreeMap<>();
        List<Attempt> judged = new ArrayList<>();
        for (String a : accounts) {
            try {
                stored.put(a, cluster.inboxSubjects(finalOwners.get(a), a));
            } catch (Exception | AssertionError e) {
                availability.add(a + ": its owner " + finalOwners.get(a) + " cannot show the mailbox: " + e.getMessage());
            }
        }
        history.attempts().stream().filter(x -> stored.containsKey(x.account())).forEach(judged::add);
        MailboxVerdict mailboxes = HistoryChecker.mailboxes(judged, stored);
        // (b) every copy converged to its owner's
        List<String> replicas = new Convergence(cluster, NODES).await(accounts, CONVERGENCE);
        // (d) one writer per epoch, in order, in the nodes' own journals when they keep one
        List<Path> dirs = new ArrayList<>();
        for (String n : NODES) {
            dirs.add(Path.of(harness.run(30, "dir", n).trim()));
        }
        boolean journalPresent = AckJournal.presentIn(dirs);
        List<String> journal = journalPresent ? HistoryChecker.journal(AckJournal.read(dirs)) : List.of();

        String summary = NemesisReport.summary(seed, seconds, System.nanoTime() - began, history.faults(), history.attempts(), mailboxes,
                replicas, load.failures(), journalPresent ? journal.size() + " violation(s)" : "absent (no node wrote " + AckJournal.RELATIVE_PATH + ")",
                availability);
        Files.writeString(out.resolve("summary.txt"), summary, StandardCharsets.UTF_8);
        System.out.print(summary);

        assertTrue("the schedule applied no fault", !history.faults().isEmpty());
        assertEquals("acknowledged but lost: " + shown(mailboxes.lost()), 0, mailboxes.lost().size());
        assertEquals("stored more often than acknowledged: " + shown(mailboxes.duplicated()), 0, mailboxes.duplicated().size());
        assertEquals("stored but never acknowledged nor in doubt: " + shown(mailboxes.unexplained()), 0, mailboxes.unexplained().size());
        assertEquals("copies not converged: " + shown(replicas), 0, replicas.size());
        assertEquals("availability: " + shown(availability), 0, availability.size());
        assertEquals("client failures: " + shown(load.failures()), 0, load.failures().size());
        assertEquals("acknowledgement journal: " + shown(journal), 0, journal.size());
    }

    /** Twelve accounts spread over the nodes, each replicated to the two other nodes; account -> owner. */
    private static Map<String, String> createReplicatedAccounts(HaCluster cluster) throws Exception {
        Harness harness = cluster.harness;
        harness.exec("n1", "global", "set", "brokers", cluster.kafka.brokers());
        Map<String, String> owners = new TreeMap<>();
        for (int i = 1; i <= ACCOUNTS; i++) {
            String account = String.format("nemesis%02d@example.com", i);
            String owner = NODES.get(i % NODES.size());
            harness.exec("n1", "prov", "createAccount", account, owner);
            owners.put(account, owner);
        }
        List<String> operations = new ArrayList<>();
        for (String source : NODES) {
            String list = String.join(",", owners.entrySet().stream().filter(e -> e.getValue().equals(source)).map(Map.Entry::getKey).toList());
            int priority = 10;
            for (String destination : NODES) {
                if (!destination.equals(source)) {
                    operations.add(HaCluster.uuid(harness.exec("n1", "ha", "setAccountDestination", destination, Integer.toString(priority),
                            "accounts", list)));
                    priority += 10;
                }
            }
        }
        for (String op : operations) {
            cluster.awaitDone("n1", op);
        }
        return owners;
    }

    private static long seed() {
        String s = System.getProperty("tandem.nemesis.seed", "");
        if (s.isBlank()) {
            return new SecureRandom().nextLong() & Long.MAX_VALUE; // not negative: the seed names a directory
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tandem.nemesis.seed '" + s + "' is not a whole number", e);
        }
    }

    /** A thread dump of every running node into {@code out}/NODE-threads-LABEL.txt (what a stalled thread waits on). */
    static void keepThreadDumps(Harness harness, List<String> nodes, Path out, String label) {
        for (String n : nodes) {
            Harness.Result r = harness.tryRun(60, "threads", n);
            try {
                Files.createDirectories(out);
                Files.writeString(out.resolve(n + "-threads-" + label + ".txt"), r.output());
            } catch (IOException e) {
                System.out.printf("[nemesis] cannot keep the thread dump of %s: %s%n", n, e);
            }
        }
    }

    private static String shown(List<String> problems) {
        return problems.size() <= SHOWN ? problems.toString() : problems.subList(0, SHOWN) + " and " + (problems.size() - SHOWN) + " more";
    }

    /** Copies every node's logs (and acknowledgement journal) and a thread dump of each next to the history. */
    private static void keepLogs(HaCluster cluster, Path out) {
        if (cluster == null) {
            return;
        }
        keepThreadDumps(cluster.harness, NODES, out, "end");
        for (String n : NODES) {
            try {
                Path dir = Path.of(cluster.harness.run(30, "dir", n).trim());
                List<Path> files = new ArrayList<>();
                try (var logs = Files.list(dir.resolve("data/log"))) {
                    logs.forEach(files::add);
                }
                files.add(dir.resolve(AckJournal.RELATIVE_PATH));
                for (Path f : files) {
                    if (Files.isRegularFile(f)) {
                        Files.copy(f, out.resolve(n + "-" + f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } catch (Exception | AssertionError e) {
                System.out.printf("[nemesis] cannot keep the logs of %s: %s%n", n, e);
            }
        }
        // the fixtures' own logs: what Kafka, PostgreSQL and S3Proxy saw of their faults
        Map<String, Path> fixtures = new TreeMap<>(Map.of("kafka.log", cluster.kafka.dir.resolve("kafka.log"),
                "s3proxy.log", cluster.s3.dir.resolve("s3proxy.log"), "postgres.log", cluster.postgres.dataDir().resolve("server.log")));
        fixtures.forEach((name, f) -> {
            try {
                if (Files.isRegularFile(f)) {
                    Files.copy(f, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (Exception e) {
                System.out.printf("[nemesis] cannot keep %s: %s%n", f, e);
            }
        });
    }
}
