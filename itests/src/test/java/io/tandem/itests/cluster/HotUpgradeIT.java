package io.tandem.itests.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * Hot upgrades of the replication bundles (replica-kafka and replication) on running Mailstores while mail
 * keeps arriving: two Mailstores (u1, u2) each the source of one account and the replica of the other, a
 * real Kafka broker, the directory on PostgreSQL, blobs on S3Proxy. First {@code bundle:update} with newer
 * jars on u1, then a feature upgrade ({@code feature:repo-add} + {@code feature:install -u}) on both. Every
 * message answered 250 is on its source exactly once, replicas are equal to their source, no replica
 * re-initialised, the consumers resumed from their committed positions, and no thread of the old bundles is
 * left behind. The newer releases are the built bundles re-packaged with a higher Bundle-Version.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class HotUpgradeIT {

    private static final String A = "ann@example.com";
    private static final String B = "ben@example.com";
    private static final Duration PROGRESS = Duration.ofSeconds(90);

    private static HaCluster cluster;
    private static Harness harness;
    private static LmtpLoad load;
    private static Path artifacts;

    @BeforeClass
    public static void up() throws Exception {
        cluster = HaCluster.startInCluster("hot-upgrade", "it-upgrade", "127.0.15.1", "u1 core,mailstore", "u2 core,mailstore");
        harness = cluster.harness;
        artifacts = Path.of(System.getProperty("tandem.it.dir")).resolve("hot-upgrade-artifacts");
        harness.exec("u1", "global", "set", "brokers", cluster.kafka.brokers());
        harness.exec("u1", "ha", "setAutoFailover", "disable");
        harness.exec("u1", "prov", "createAccount", A, "u1");
        harness.exec("u1", "prov", "createAccount", B, "u2");
        cluster.awaitDone("u1", HaCluster.uuid(harness.exec("u1", "ha", "setAccountDestination", "u2", "10", "accounts", A)));
        cluster.awaitDone("u1", HaCluster.uuid(harness.exec("u1", "ha", "setAccountDestination", "u1", "10", "accounts", B)));
        load = new LmtpLoad().deliver(cluster.address("u1"), A, "to-u1").deliver(cluster.address("u2"), B, "to-u2");
        load.awaitProgress(20, PROGRESS);
    }

    @AfterClass
    public static void down() throws Exception {
        HaCluster.close(load, cluster);
    }

    /** The node logged nothing after {@code since} that shows a replica re-initialising or a consumer starting over. */
    private static void resumedWhereItStopped(String node, Instant since) {
        assertFalse(node + " re-initialised a replica", harness.logTime(node, "initialised from snapshot|re-initialises", since).isPresent());
        assertFalse(node + ": the applier group started over", harness.logTime(node, "has no position in", since).isPresent());
    }

    @Test
    public void a_bundleUpdateOfBothReplicationBundlesUnderLoad() throws Exception {
        String shipped = System.getProperty("tandem.version").replace('-', '.');
        assertEquals(List.of(shipped, shipped), Upgrades.replicationVersions(harness, "u1"));
        long kafkaThreads = Upgrades.threads(harness, "u1", "kafka-");
        long subscriptionThreads = Upgrades.threads(harness, "u1", "tandem-replica-kafka-");
        Path kafka = Upgrades.rebundle(Upgrades.shipped(harness, "u1", Upgrades.REPLICA_KAFKA), "0.1.1", artifacts);
        Path replication = Upgrades.rebundle(Upgrades.shipped(harness, "u1", Upgrades.REPLICATION), "0.1.1", artifacts);
        Instant start = Instant.now();

        harness.exec("u1", "bundle", "update", "io.tandem.replica-kafka", kafka.toUri().toString());
        harness.exec("u1", "bundle", "update", "io.tandem.replication", replication.toUri().toString());

        assertEquals(List.of("0.1.1", "0.1.1"), Upgrades.replicationVersions(harness, "u1"));
        load.awaitProgress(30, PROGRESS);
        cluster.awaitEveryReplicaInSync("u2");
        resumedWhereItStopped("u1", start);
        resumedWhereItStopped("u2", start);
        assertTrue("the new agent consumes again", harness.logTime("u1", "Subscription of group tandem-applier-u1 consuming", start).isPresent());
        Harness.await("the Kafka client threads of the old bundle are gone (" + kafkaThreads + " as before)", PROGRESS,
                () -> Upgrades.threads(harness, "u1", "kafka-") == kafkaThreads
                        && Upgrades.threads(harness, "u1", "tandem-replica-kafka-") == subscriptionThreads);
        assertTrue(load.permanentFailures().toString(), load.permanentFailures().isEmpty());
    }

    @Test
    public void b_featureUpgradeUnderLoadOnBothNodes() throws Exception {
        Path repository = Upgrades.featureRepository(harness, "u1", "0.1.2", artifacts);
        Instant start = Instant.now();
        for (String node : List.of("u2", "u1")) {
            Upgrades.featureUpgrade(harness, node, repository, "0.1.2");
            assertEquals(List.of("0.1.2", "0.1.2"), Upgrades.replicationVersions(harness, node));
            load.awaitProgress(20, PROGRESS);
        }
        String features = harness.exec("u1", "feature", "list", "-i", "--no-format");
        assertTrue(features, features.lines().anyMatch(l -> l.matches("tandem-replication[\\s|]+0\\.1\\.2\\b.*")));
        // durable: the next feature operation (here a role feature installed again) keeps the upgraded bundles
        harness.exec("u1", "feature", "install", "tandem-role-mailstore");
        assertEquals(List.of("0.1.2", "0.1.2"), Upgrades.replicationVersions(harness, "u1"));
        cluster.awaitEveryReplicaInSync("u2");
        resumedWhereItStopped("u1", start);
        resumedWhereItStopped("u2", start);
    }

    @Test
    public void c_everyAcknowledgedMessageIsStoredOnceAndTheCopiesAreEqual() throws Exception {
        load.finish("HotUpgradeIT");
        cluster.assertExactlyOnceEverywhere(A, load.acknowledged(A), "u1", "u2");
        cluster.assertExactlyOnceEverywhere(B, load.acknowledged(B), "u2", "u1");
        JsonNode a = cluster.json("u1", "ha", "getAccountStatus", "accounts", A).get(0);
        assertEquals(a.toString(), cluster.copy("u2", A).get("sequence").asLong(), a.get("sequence").asLong());
    }
}
