package io.tandem.itests.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * A rolling upgrade of the replication bundles across three Mailstores (w1..w3), one node at a time under
 * continuous LMTP load, with mixed versions side by side meanwhile; the checks an operator makes between two
 * nodes (cluster:node-list, ha:getServices, ha:getAccountStatus). While w1 runs the newer release and w3 the
 * older one, events of a newer encoding are written into the topic: a change with appended fields is applied
 * by w3's older applier, a change of the next major version stops w3's replica of that account visibly
 * (failed, reason, notification) without skipping it; once w3 is upgraded, ha:restartReplicas brings the
 * replica back. The newer release is the built bundles re-packaged with a higher Bundle-Version.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class RollingUpgradeIT {

    private static final String A = "ada@example.com";
    private static final String B = "bea@example.com";
    private static final String E = "eve@example.com";
    private static final String NEW = "0.1.1";
    private static final Duration PROGRESS = Duration.ofSeconds(90);

    private static HaCluster cluster;
    private static Harness harness;
    private static LmtpLoad load;
    private static Path repository;

    @BeforeClass
    public static void up() throws Exception {
        cluster = HaCluster.startInCluster("rolling-upgrade", "it-upgrade", "127.0.15.2",
                "w1 core,mailstore", "w2 core,mailstore", "w3 core,mailstore");
        harness = cluster.harness;
        harness.exec("w1", "global", "set", "brokers", cluster.kafka.brokers());
        harness.exec("w1", "ha", "setAutoFailover", "disable");
        harness.exec("w1", "prov", "createAccount", A, "w1");
        harness.exec("w1", "prov", "createAccount", B, "w2");
        harness.exec("w1", "prov", "createAccount", E, "w1");
        String a = HaCluster.uuid(harness.exec("w1", "ha", "setAccountDestination", "w2", "10", "accounts", A));
        String a3 = HaCluster.uuid(harness.exec("w1", "ha", "setAccountDestination", "w3", "20", "accounts", A));
        String b = HaCluster.uuid(harness.exec("w1", "ha", "setAccountDestination", "w3", "10", "accounts", B));
        String e = HaCluster.uuid(harness.exec("w1", "ha", "setAccountDestination", "w3", "10", "accounts", E));
        for (String op : List.of(a, a3, b, e)) {
            cluster.awaitDone("w1", op);
        }
        repository = Upgrades.featureRepository(harness, "w1", NEW,
                Path.of(System.getProperty("tandem.it.dir")).resolve("rolling-upgrade-artifacts"));
        load = new LmtpLoad().deliver(cluster.address("w1"), A, "to-w1").deliver(cluster.address("w2"), B, "to-w2");
        load.awaitProgress(10, PROGRESS);
    }

    @AfterClass
    public static void down() throws Exception {
        HaCluster.close(load, cluster);
    }

    /** What an operator checks before moving to the next node: all members, all Mailstores connected, replicas in sync. */
    private static void healthyBetweenNodes() throws Exception {
        assertEquals(3, harness.membersSeenBy("w2").orElseThrow().size());
        Upgrades.show(harness, "w2", "cluster", "node-list");
        Upgrades.show(harness, "w2", "ha", "getServices");
        Harness.await("every Mailstore answers, connected to Kafka, with no failed replica", HaCluster.SYNC, () -> {
            try {
                JsonNode services = cluster.json("w2", "ha", "getServices");
                if (services.size() != 3) {
                    return false;
                }
                for (JsonNode s : services) {
                    int copies = s.get("replicasInSync").asInt() + s.get("replicasInitialising").asInt()
                            + s.get("replicasFailed").asInt() + s.get("replicasPaused").asInt();
                    // w1 keeps no replica copy: its applier fetches nothing (decision 0020)
                    if (!(copies == 0 ? "idle" : "running").equals(s.get("applier").asText()) || !s.get("canConnectToKafka").asBoolean()
                            || s.get("replicasFailed").asInt() != 0) {
                        return false;
                    }
                }
                return true;
            } catch (Exception ex) {
                return false;
            }
        });
        cluster.awaitEveryReplicaInSync("w2");
    }

    private static void upgrade(String node) throws Exception {
        Upgrades.featureUpgrade(harness, node, repository, NEW);
        assertEquals(List.of(NEW, NEW), Upgrades.replicationVersions(harness, node));
        load.awaitProgress(15, PROGRESS);
    }

    @Test
    public void a_firstNodeUpgradedUnderLoadRunsBesideTheOlderOnes() throws Exception {
        healthyBetweenNodes();
        upgrade("w1");
        healthyBetweenNodes();
        Upgrades.show(harness, "w2", "ha", "getAccountStatus", "accounts", A);
        Upgrades.show(harness, "w1", "bundle", "list", "-t", "0", "io.tandem.replication", "io.tandem.replica-kafka");
        String old = System.getProperty("tandem.version").replace('-', '.');
        assertEquals(List.of(old, old), Upgrades.replicationVersions(harness, "w3"));
    }

    @Test
    public void b_anOlderApplierAppliesAChangeWithAppendedFields() throws Exception {
        UUID eve = UUID.fromString(cluster.json("w1", "prov", "getAccount", E).get("id").asText());
        long epoch = cluster.json("w1", "prov", "getAccount", E).get("epoch").asLong();
        JsonNode before = cluster.copy("w3", E);
        long sequence = before.get("sequence").asLong();
        Upgrades.write(cluster.kafka.brokers(), eve, Upgrades.withAppendedFields(Upgrades.folderCreation(eve, epoch, sequence,
                before.get("itemId").asLong(), "Written by a later version")));
        Harness.await("w3 applied the change with appended fields", HaCluster.SYNC,
                () -> cluster.copy("w3", E).get("sequence").asLong() == sequence + 1);
        assertEquals(before.get("folders").asInt() + 1, cluster.copy("w3", E).get("folders").asInt());
        JsonNode replica = cluster.json("w1", "ha", "getAccountStatus", "accounts", E).get(0).get("replicas").get(0);
        assertEquals(replica.toString(), "in-sync", replica.get("state").asText());
    }

    @Test
    public void c_aNewerMajorVersionStopsTheOlderReplicaVisiblyAndIsNotSkipped() throws Exception {
        UUID eve = UUID.fromString(cluster.json("w1", "prov", "getAccount", E).get("id").asText());
        long epoch = cluster.json("w1", "prov", "getAccount", E).get("epoch").asLong();
        JsonNode before = cluster.copy("w3", E);
        Upgrades.write(cluster.kafka.brokers(), eve, Upgrades.asNextMajor(Upgrades.folderCreation(eve, epoch,
                before.get("sequence").asLong(), before.get("itemId").asLong(), "Needs encoding 2")));
        Harness.await("w3's replica of " + E + " failed", HaCluster.SYNC, () -> {
            try {
                return "failed".equals(cluster.json("w1", "ha", "getAccountStatus", "accounts", E).get(0).get("replicas")
                        .get(0).get("state").asText());
            } catch (Exception ex) {
                return false;
            }
        });
        JsonNode replica = cluster.json("w1", "ha", "getAccountStatus", "accounts", E).get(0).get("replicas").get(0);
        assertTrue(replica.toString(), replica.get("reason").asText().contains("event encoding version 2"));
        String notifications = harness.exec("w2", "notification", "list");
        assertTrue(notifications, notifications.contains("Replica of " + eve + " on w3 stopped"));
        assertEquals("not skipped: nothing after it was applied", before.get("sequence").asLong(),
                cluster.copy("w3", E).get("sequence").asLong());
        Upgrades.show(harness, "w1", "ha", "getAccountStatus", "accounts", E);
        // the other accounts' replicas on w3 keep following
        long followed = cluster.copy("w3", B).get("sequence").asLong();
        load.awaitProgress(10, PROGRESS);
        Harness.await("w3 keeps applying " + B, PROGRESS, () -> cluster.copy("w3", B).get("sequence").asLong() > followed + 5);
    }

    @Test
    public void d_theOtherNodesOneByOneThenTheStoppedReplicaRestarts() throws Exception {
        upgrade("w2");
        assertEquals(List.of(NEW, NEW), Upgrades.replicationVersions(harness, "w1"));
        upgrade("w3");
        for (String node : List.of("w1", "w2", "w3")) {
            assertEquals(node, List.of(NEW, NEW), Upgrades.replicationVersions(harness, node));
        }
        harness.exec("w1", "ha", "restartReplicas", "accounts", E);
        cluster.awaitSameCopyOf(E, "w1", "w3"); // the copy is w1's again: re-initialised from a snapshot
        healthyBetweenNodes();
    }

    @Test
    public void e_everyAcknowledgedMessageIsStoredOnceAndTheCopiesAreEqual() throws Exception {
        load.finish("RollingUpgradeIT");
        cluster.assertExactlyOnceEverywhere(A, load.acknowledged(A), "w1", "w2", "w3");
        cluster.assertExactlyOnceEverywhere(B, load.acknowledged(B), "w2", "w3");
    }
}
