package io.tandem.itests.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.QuorumInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

/**
 * The cluster's Kafka run by its three core nodes (embedded, no Kafka fixture): k1 and k2 are core
 * Mailstores, k3 a core node only. The brokers form a three-voter KRaft quorum and set the global
 * brokers themselves; the replication topic gets 3 replicas and min.insync.replicas 2; alice's mailbox
 * replicates from k1 to k2 through them; after kill -9 of k3 its broker is gone with it and replication
 * goes on with two brokers; a broker killed alone is restarted by its node. One cluster for all steps,
 * hence the fixed order.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class EmbeddedKafkaIT {

    private static final String ALICE = "alice@example.com";
    private static final String TOPIC = "tandem.mailbox-events";
    private static final String BROKERS = "127.0.14.1:9092,127.0.14.2:9092,127.0.14.3:9092";
    private static final Duration UP = Duration.ofSeconds(180);
    /** The watchdog polls once a second, then gives the broker stop.timeout.seconds (20) before SIGKILL. */
    private static final Duration ORPHAN_BOUND = Duration.ofSeconds(30);

    private static HaCluster cluster;
    private static Harness harness;
    private static int delivered;

    @BeforeClass
    public static void up() throws Exception {
        cluster = HaCluster.startWithEmbeddedKafka("kafka", "it-kafka", "127.0.14.", "k1 core,mailstore", "k2 core,mailstore", "k3 core");
        harness = cluster.harness;
        harness.exec("k1", "prov", "createAccount", ALICE, "k1");
        harness.exec("k1", "ha", "setAutoFailover", "disable");
    }

    @AfterClass
    public static void down() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** kafka:status --json of a node, or null when it does not answer. */
    private static JsonNode kafka(String node) {
        try {
            return cluster.json(node, "kafka", "status");
        } catch (Exception | AssertionError e) {
            return null;
        }
    }

    private static Admin admin(String bootstrap) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000));
    }

    private static void deliver(int count) throws Exception {
        for (int i = 0; i < count; i++) {
            delivered++;
            String reply = Lmtp.deliver(cluster.address("k1"), 7025, ALICE, "message " + delivered);
            assertTrue("delivery " + delivered + ": " + reply, reply.startsWith("250"));
        }
    }

    /** GET /health/core of a node: "code body". */
    private static String coreHealth(String node) throws Exception {
        java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create("http://" + cluster.address(node) + ":8405/health/core")
                .toURL().openConnection(java.net.Proxy.NO_PROXY);
        c.setConnectTimeout(2000);
        c.setReadTimeout(5000);
        int code = c.getResponseCode();
        try (java.io.InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
            return code + " " + (in == null ? "" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    @Test
    public void a_theCoreNodesBrokersFormAThreeVoterQuorumAndSetTheGlobalBrokers() throws Exception {
        for (String node : List.of("k1", "k2", "k3")) {
            Harness.await(node + "'s broker runs and sees 3 live brokers", UP, () -> {
                JsonNode s = kafka(node);
                return s != null && "running".equals(s.get("state").asText()) && s.get("liveBrokers").asInt() == 3;
            });
        }
        Set<String> clusterIds = new TreeSet<>();
        for (int i = 1; i <= 3; i++) {
            JsonNode s = kafka("k" + i);
            assertEquals(s.toString(), "embedded", s.get("mode").asText());
            assertEquals(s.toString(), i, s.get("nodeId").asInt());
            assertEquals(s.toString(), "127.0.14." + i + ":9092", s.get("listener").asText());
            assertEquals(s.toString(), "127.0.14." + i + ":9093", s.get("controller").asText());
            assertEquals(s.toString(), "[\"1@127.0.14.1:9093\",\"2@127.0.14.2:9093\",\"3@127.0.14.3:9093\"]", s.get("voters").toString());
            assertEquals(s.toString(), 0, s.get("restarts").asInt());
            assertTrue(s.toString(), s.get("pid").asLong() > 0 && alive(s.get("pid").asLong()));
            clusterIds.add(s.get("clusterId").asText());
        }
        assertEquals("one cluster id on every core node: " + clusterIds, 1, clusterIds.size());
        try (Admin admin = admin(BROKERS)) {
            QuorumInfo quorum = admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS);
            assertEquals(quorum.toString(), Set.of(1, 2, 3),
                    quorum.voters().stream().map(QuorumInfo.ReplicaState::replicaId).collect(Collectors.toSet()));
            assertTrue(quorum.toString(), Set.of(1, 2, 3).contains(quorum.leaderId()));
            assertEquals(clusterIds.iterator().next(), admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS));
        }
        Harness.await("the global brokers name the embedded brokers", Duration.ofSeconds(30), () -> {
            JsonNode s = kafka("k2");
            return s != null && s.get("brokersEmbedded").asBoolean();
        });
        assertEquals(BROKERS, kafka("k3").get("brokers").asText());
        String health = coreHealth("k1");
        assertTrue(health, health.startsWith("200 ") && health.contains("Kafka broker 1 running"));
        String text = harness.exec("k1", "kafka", "status");
        assertTrue(text, text.contains("embedded") && text.contains("(the embedded brokers)"));
        String services = harness.exec("k1", "supervisor", "list");
        assertTrue(services, services.contains("kafka") && services.contains("core"));
    }

    @Test
    public void b_theReplicationTopicHasThreeReplicasAndMinInsyncReplicasTwo() throws Exception {
        deliver(3); // the first append makes the event log create its topic, if it has not yet
        String op = HaCluster.uuid(harness.exec("k1", "ha", "setAccountDestination", "k2", "10", "accounts", ALICE));
        cluster.awaitDone("k1", op);
        try (Admin admin = admin(BROKERS)) {
            TopicDescription topic = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC);
            assertFalse(topic.partitions().isEmpty());
            for (TopicPartitionInfo p : topic.partitions()) {
                assertEquals(p.toString(), 3, p.replicas().size());
            }
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, TOPIC);
            Config config = admin.describeConfigs(List.of(r)).all().get(30, TimeUnit.SECONDS).get(r);
            assertEquals("2", config.get("min.insync.replicas").value());
        }
    }

    @Test
    public void c_aliceReplicatesFromK1ToK2ThroughTheEmbeddedBrokers() throws Exception {
        deliver(5);
        cluster.awaitSameCopyOf(ALICE, "k1", "k2");
        assertEquals(1 + delivered, cluster.copy("k2", ALICE).get("sequence").asLong());
    }

    @Test
    public void d_killNineOfACoreNodeTakesItsBrokerAlongAndReplicationGoesOn() throws Exception {
        long broker = kafka("k3").get("pid").asLong();
        assertTrue(alive(broker));
        harness.run(60, "kill", "k3");
        Harness.await("k3's broker (pid " + broker + ") ended with its node", ORPHAN_BOUND, () -> !alive(broker));
        String k3 = harness.run(30, "dir", "k3").trim();
        // the broker's watchdog ends right after the group it guards: wait for it too, within the same bound
        java.util.function.Supplier<List<String>> left = () -> ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(k3 + "/")).orElse(false))
                .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
                .toList();
        Harness.await("no process of k3 is left", ORPHAN_BOUND, () -> left.get().isEmpty());
        assertEquals(List.of(), left.get());
        Harness.await("k1's broker sees 2 live brokers", Duration.ofSeconds(60), () -> {
            JsonNode s = kafka("k1");
            return s != null && "running".equals(s.get("state").asText()) && s.get("liveBrokers").asInt() == 2;
        });
        deliver(5);
        cluster.awaitSameCopyOf(ALICE, "k1", "k2");
        assertEquals(1 + delivered, cluster.copy("k2", ALICE).get("sequence").asLong());
    }

    @Test
    public void e_aBrokerKilledAloneIsRestartedByItsNode() throws Exception {
        JsonNode before = kafka("k2");
        long pid = before.get("pid").asLong();
        assertTrue(ProcessHandle.of(pid).orElseThrow().destroyForcibly());
        Harness.await("k2 restarted its broker", Duration.ofSeconds(90), () -> {
            JsonNode s = kafka("k2");
            return s != null && "running".equals(s.get("state").asText()) && s.get("restarts").asInt() == 1
                    && s.get("pid").asLong() != pid;
        });
        assertNotEquals(pid, kafka("k2").get("pid").asLong());
        deliver(3);
        cluster.awaitSameCopyOf(ALICE, "k1", "k2");
    }
}
