package io.tandem.replica.kafka.internal;

import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import io.tandem.api.replication.LogRecord;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.Await;
import io.tandem.api.test.KafkaClusterFixture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The log's topics grow their replication when brokers appear (decision 0025), on a real cluster of 3 Kafka
 * nodes (KRaft, each broker and controller; {@link KafkaClusterFixture}): a topic created while one broker was
 * down has 2 replicas and {@code min.insync.replicas} 1; once the broker is back it gets 3 in-sync replicas and
 * {@code min.insync.replicas} 2, and so do Kafka's {@code __transaction_state} and {@code __consumer_offsets}
 * (made with replication factor 2 here, as a cluster configured for the brokers it had would make them).
 */
public class TopicGrowthIT {

    private static final String TOPIC = "tandem.grow-events";
    private static final List<String> TOPICS = List.of(TOPIC, "__transaction_state", "__consumer_offsets");
    private static final Duration WAIT = Duration.ofSeconds(120);

    private KafkaClusterFixture cluster;
    private Admin admin;
    private final List<KafkaEventLog> logs = new ArrayList<>();

    @Before
    public void startCluster() throws Exception {
        cluster = KafkaClusterFixture.start("kafka-grow", 3, 2);
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.brokers()));
    }

    @After
    public void stopCluster() {
        logs.forEach(KafkaEventLog::deactivate);
        for (AutoCloseable c : new AutoCloseable[] {admin, cluster}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                System.err.println("closing " + c + ": " + e);
            }
        }
    }

    private KafkaEventLog log(String node) {
        String brokers = cluster.brokers();
        KafkaEventLog log = new KafkaEventLog(node, () -> brokers, ConfigProxy.of(KafkaEventLog.Config.class, Map.of(
                "topic", TOPIC, "partitions", 6, "brokers_poll_ms", 200L, "append_timeout_ms", 20_000L)),
                KafkaSubscription.Timing.DEFAULT);
        logs.add(log);
        return log;
    }

    /** The replication of a topic as the test asserts it. */
    private record Replication(int partitions, int minReplicas, int minInSync, int minInsyncReplicas) {
    }

    private Replication replication(String topic) {
        try {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config c = admin.describeConfigs(List.of(r)).all().get(10, TimeUnit.SECONDS).get(r);
            int rf = Integer.MAX_VALUE;
            int isr = Integer.MAX_VALUE;
            for (TopicPartitionInfo p : d.partitions()) {
                rf = Math.min(rf, p.replicas().size());
                isr = Math.min(isr, p.isr().size());
            }
            return new Replication(d.partitions().size(), rf, isr, Integer.parseInt(c.get("min.insync.replicas").value()));
        } catch (Exception e) {
            throw new IllegalStateException("describing " + topic + ": " + e, e);
        }
    }

    private Map<String, Replication> replications() {
        Map<String, Replication> out = new TreeMap<>();
        TOPICS.forEach(t -> out.put(t, replication(t)));
        return out;
    }

    private int liveBrokers() {
        try {
            return admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Polls {@code condition} every 500 ms until {@link #WAIT}; fails with the state at the end. */
    private static void await(String what, Supplier<Boolean> condition, Supplier<?> state) {
        Await.until(what, WAIT, java.time.Duration.ofMillis(500), () -> {
            try {
                return condition.get();
            } catch (RuntimeException e) {
                return false; // not yet (a topic not created, a broker moving): look again
            }
        }, () -> String.valueOf(state.get()));
    }

    private static final class Collector implements EventLog.Handler {
        final List<String> values = new CopyOnWriteArrayList<>();

        @Override
        public void handle(List<LogRecord> batch) {
            batch.forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8)));
        }
    }

    /**
     * Appends, trying again within {@link #WAIT} while the log refuses (the first transaction waits for Kafka to
     * create and load {@code __transaction_state}; a broker stopped moves leaders): a refused append left nothing.
     */
    private static void append(EventLog log, String key, String value) throws InterruptedException {
        await("appending " + value, () -> {
            try {
                log.append(key, value.getBytes(StandardCharsets.UTF_8));
                return true;
            } catch (EventLogException e) {
                System.err.println("append of " + value + " refused, trying again: " + e.getMessage());
                return false;
            }
        }, () -> "");
    }

    @Test
    public void topicsCreatedWhileABrokerWasDownGrowTo3InSyncReplicasAndMinInsync2WhenItIsBack() throws Exception {
        cluster.stop(3);
        await("broker 3 gone from the cluster", () -> liveBrokers() == 2, this::liveBrokers);

        // the log creates its topic with the 2 live brokers; the first transaction and subscription make Kafka's
        KafkaEventLog log = log("node-a");
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            append(log, "account-" + i, "before-" + i);
            expected.add("before-" + i);
        }
        Collector reader = new Collector();
        log.subscribe("grow-readers", reader);
        await("the records read before the broker is back", () -> reader.values.containsAll(expected), () -> reader.values);
        Map<String, Replication> before = replications();
        assertEquals(before.toString(), new Replication(6, 2, 2, 1), before.get(TOPIC));
        assertEquals(before.toString(), new Replication(50, 2, 2, 1), before.get("__transaction_state"));
        assertEquals(before.toString(), new Replication(10, 2, 2, 1), before.get("__consumer_offsets"));

        cluster.start(3);
        await("every topic at 3 in-sync replicas per partition and min.insync.replicas 2", () -> replications().values().stream()
                .allMatch(r -> r.minReplicas() == 3 && r.minInSync() == 3 && r.minInsyncReplicas() == 2), this::replications);
        Map<String, Replication> after = replications();
        assertEquals(after.toString(), new Replication(6, 3, 3, 2), after.get(TOPIC));
        assertEquals(after.toString(), new Replication(50, 3, 3, 2), after.get("__transaction_state"));
        assertEquals(after.toString(), new Replication(10, 3, 3, 2), after.get("__consumer_offsets"));
        assertTrue(admin.listPartitionReassignments().reassignments().get(10, TimeUnit.SECONDS).isEmpty());

        // the log goes on: appends and reads, on this log and on a new one (another node)
        for (int i = 0; i < 12; i++) {
            append(log, "account-" + i, "after-" + i);
            expected.add("after-" + i);
        }
        await("the records appended after the growth read", () -> reader.values.containsAll(expected), () -> reader.values);
        KafkaEventLog other = log("node-b");
        append(other, "account-x", "from-b");
        expected.add("from-b");
        Collector late = new Collector();
        other.subscribe("grow-late-readers", late);
        await("every record read by a new group", () -> late.values.containsAll(expected), () -> late.values);

        // and now one broker may go: min.insync.replicas 2 of 3 still takes appends, every record is still there
        cluster.stop(1);
        await("broker 1 gone from the cluster", () -> liveBrokers() == 2, this::liveBrokers);
        append(log, "account-y", "one-down");
        expected.add("one-down");
        Collector third = new Collector();
        other.subscribe("grow-third-readers", third);
        await("every record read with broker 1 down", () -> third.values.containsAll(expected), () -> third.values);
    }
}
