package io.tandem.checks.internal;

import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.directory.DatabaseStatus;
import io.tandem.api.replication.LogStatus;
import io.tandem.api.replication.ReplicaHealth;
import org.junit.Test;

import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** How what the services report becomes PASS/WARN/FAIL lines and a verdict. */
public class ClusterChecksTest {

    private final ClusterChecks checks = new ClusterChecks(new ClusterChecks.Limits(3, 2, 60_000, 1, 1000));

    private static LogStatus topic(int rf, int minIsr, List<LogStatus.Partition> partitions) {
        return new LogStatus(true, "k1:9092,k2:9092,k3:9092", "t", List.of("k1:9092", "k2:9092", "k3:9092"), true, rf, minIsr,
                partitions, "");
    }

    private static LogStatus.Partition p(int n, int leader, List<Integer> replicas, List<Integer> isr) {
        return new LogStatus.Partition(n, leader, replicas, isr);
    }

    @Test
    public void quorumIsPresentDegradedOrAbsent() {
        assertEquals(Outcome.PASS, checks.quorum(new ClusterStatus("c", true, 3, 3, 3)).outcome());
        assertEquals(Outcome.WARN, checks.quorum(new ClusterStatus("c", true, 2, 2, 3)).outcome());
        Check absent = checks.quorum(new ClusterStatus("c", true, 1, 1, 3));
        assertEquals(Outcome.FAIL, absent.outcome());
        assertTrue(absent.detail(), absent.detail().startsWith("ABSENT: 1 of 3 core nodes live (majority 2)"));
    }

    @Test
    public void kafkaFullyReplicatedUnderReplicatedAndBelowMinInsync() {
        List<Check> ok = checks.kafka(true, topic(3, 2, List.of(p(0, 1, List.of(1, 2, 3), List.of(1, 2, 3)))));
        assertEquals(ok.toString(), List.of(Outcome.PASS, Outcome.PASS), ok.stream().map(Check::outcome).toList());
        assertTrue(ok.get(1).detail(), ok.get(1).detail().startsWith("1 partitions, RF 3, min.insync.replicas 2; every partition fully replicated"));
        List<Check> under = checks.kafka(true, topic(3, 2, List.of(p(0, 1, List.of(1, 2, 3), List.of(1, 2)))));
        assertEquals(Outcome.WARN, under.get(1).outcome());
        List<Check> below = checks.kafka(true, topic(3, 2, List.of(p(0, 1, List.of(1, 2, 3), List.of(1)))));
        assertEquals(Outcome.FAIL, below.get(1).outcome());
        List<Check> weak = checks.kafka(true, topic(1, 1, List.of(p(0, 1, List.of(1), List.of(1)))));
        assertEquals(Outcome.WARN, weak.get(2).outcome());
        assertTrue(weak.get(2).detail(), weak.get(2).detail().startsWith("RF 1, min.insync.replicas 1: below the expected RF 3"));
        assertEquals(Outcome.FAIL, checks.kafka(true, LogStatus.unreachable("k:9092", "t", "timed out")).get(0).outcome());
        assertEquals(Outcome.WARN, checks.kafka(false, LogStatus.unreachable("", "t", "disabled")).get(0).outcome());
    }

    private static io.tandem.api.kafka.KafkaBrokerStatus broker(boolean embedded, io.tandem.api.kafka.KafkaBrokerState state,
                                                                String brokers, boolean brokersEmbedded) {
        return new io.tandem.api.kafka.KafkaBrokerStatus(embedded, state, 42, 1, "10.0.0.1:9092", "10.0.0.1:9093",
                List.of("10.0.0.1", "10.0.0.2", "10.0.0.3"), "cid", 0, 3, brokers, brokersEmbedded, java.time.Instant.EPOCH, "",
                new io.tandem.api.node.Health(true, "serving"));
    }

    @Test
    public void kafkaOriginEmbeddedOrExternal() {
        assertEquals(List.of(), checks.kafkaOrigin(null));
        Check embedded = checks.kafkaOrigin(broker(true, io.tandem.api.kafka.KafkaBrokerState.RUNNING, "10.0.0.1:9092", true)).get(0);
        assertEquals(Outcome.PASS, embedded.outcome());
        assertTrue(embedded.detail(), embedded.detail().startsWith("embedded: the core nodes run the brokers; this node's broker running, 3 voter(s)"));
        Check external = checks.kafkaOrigin(broker(false, io.tandem.api.kafka.KafkaBrokerState.DISABLED, "kafka1:9092", false)).get(0);
        assertEquals(Outcome.PASS, external.outcome());
        assertTrue(external.detail(), external.detail().startsWith("external: the global 'brokers' (kafka1:9092)"));
        Check elsewhere = checks.kafkaOrigin(broker(true, io.tandem.api.kafka.KafkaBrokerState.RUNNING, "", false)).get(0);
        assertEquals(Outcome.WARN, elsewhere.outcome());
        assertTrue(elsewhere.detail(), elsewhere.detail().contains("global 'brokers' (unset) does not name them"));
        assertEquals(Outcome.WARN, checks.kafkaOrigin(broker(true, io.tandem.api.kafka.KafkaBrokerState.RESTARTING, "10.0.0.1:9092", true))
                .get(0).outcome());
    }

    @Test
    public void theDirectoryDatabaseItsStandbysAndTheirLag() {
        DatabaseStatus.Standby streaming = new DatabaseStatus.Standby("pg2", "10.0.0.2", "streaming", "sync", 100, 3);
        DatabaseStatus.Standby lagging = new DatabaseStatus.Standby("pg3", "10.0.0.3", "streaming", "sync", 5000, 900);
        List<Check> good = checks.database(new DatabaseStatus("jdbc:postgresql://pg/dir", true, 3, "PostgreSQL 15", DatabaseStatus.PRIMARY,
                List.of(streaming), "", "on"));
        assertEquals(good.toString(), List.of(Outcome.PASS, Outcome.PASS), good.stream().map(Check::outcome).toList());
        // an asynchronous standby (or synchronous_commit local/off) can lose an ownership change in a failover
        DatabaseStatus.Standby async = new DatabaseStatus.Standby("pg2", "10.0.0.2", "streaming", "async", 100, 3);
        List<Check> asyncOnly = checks.database(new DatabaseStatus("u", true, 3, "PostgreSQL 15", DatabaseStatus.PRIMARY,
                List.of(async), "", "on"));
        assertEquals(asyncOnly.toString(), List.of(Outcome.PASS, Outcome.PASS, Outcome.WARN), asyncOnly.stream().map(Check::outcome).toList());
        assertEquals("failover", asyncOnly.get(2).target());
        assertTrue(asyncOnly.get(2).detail(), asyncOnly.get(2).detail().startsWith("no synchronous standby (synchronous_commit on, standbys [async])"));
        assertEquals(Outcome.WARN, checks.database(new DatabaseStatus("u", true, 3, "PostgreSQL 15", DatabaseStatus.PRIMARY,
                List.of(streaming), "", "local")).get(2).outcome());
        List<Check> lag = checks.database(new DatabaseStatus("u", true, 3, "PostgreSQL 15", DatabaseStatus.PRIMARY, List.of(lagging), ""));
        assertEquals(Outcome.WARN, lag.get(1).outcome());
        List<Check> alone = checks.database(new DatabaseStatus("u", true, 3, "PostgreSQL 15", DatabaseStatus.PRIMARY, List.of(), ""));
        assertEquals(Outcome.WARN, alone.get(1).outcome());
        assertEquals(Outcome.FAIL, checks.database(new DatabaseStatus("u", true, 3, "PostgreSQL 15", DatabaseStatus.STANDBY, List.of(), ""))
                .get(0).outcome());
        assertEquals(Outcome.FAIL, checks.database(new DatabaseStatus("u", false, 3, "", "", List.of(), "refused")).get(0).outcome());
    }

    @Test
    public void replicasInSyncBehindFailedOrGone() {
        List<Check> c = checks.replicas(List.of(
                new ReplicaHealth.MailstoreReplicas("m1", true, 5, 0, 0, 0, 0, 0, 0, List.of()),
                new ReplicaHealth.MailstoreReplicas("m2", true, 4, 1, 0, 0, 0, 3, 200, List.of()),
                new ReplicaHealth.MailstoreReplicas("m3", true, 4, 1, 0, 0, 0, 900, 120_000, List.of()),
                new ReplicaHealth.MailstoreReplicas("m4", true, 4, 0, 1, 0, 0, 0, 0, List.of("a@x.tld: gap")),
                new ReplicaHealth.MailstoreReplicas("m5", false, 5, 0, 0, 0, 0, 0, 0, List.of()),
                new ReplicaHealth.MailstoreReplicas("m6", true, 4, 0, 0, 0, 1, 0, 0, List.of())));
        assertEquals(List.of(Outcome.PASS, Outcome.PASS, Outcome.WARN, Outcome.WARN, Outcome.WARN, Outcome.WARN),
                c.stream().map(Check::outcome).toList());
        assertTrue(c.get(5).detail(), c.get(5).detail().contains("1 paused; paused copies do not follow"));
        assertEquals("5 copies: 4 in sync, 1 behind (max 3 changes, 200 ms)", c.get(1).detail());
        assertTrue(c.get(3).detail(), c.get(3).detail().endsWith("1 failed (a@x.tld: gap)"));
        assertEquals("OK", ClusterChecks.verdict(new Report(c.subList(0, 2)).worst()));
        assertEquals("DEGRADED", ClusterChecks.verdict(new Report(c).worst()));
        assertEquals("FAILED", ClusterChecks.verdict(Outcome.FAIL));
    }

    @Test
    public void accountsWithoutAnAvailableCopyAreWarnedByName() {
        assertEquals(Outcome.PASS, checks.redundancy(List.of()).get(0).outcome());
        Check one = checks.redundancy(List.of("a@x.tld", "b@x.tld")).get(0);
        assertEquals(Outcome.WARN, one.outcome());
        assertEquals("2 replicated account(s) without an available copy: a@x.tld, b@x.tld "
                + "(ha:getAccountStatus accountStatus unprotected)", one.detail());
        List<String> many = java.util.stream.IntStream.range(0, 12).mapToObj(i -> "u" + i + "@x.tld").toList();
        assertTrue(checks.redundancy(many).get(0).detail().contains("u9@x.tld and 2 more"));
    }
}
