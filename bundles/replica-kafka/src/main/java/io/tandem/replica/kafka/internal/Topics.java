package io.tandem.replica.kafka.internal;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Creates the log's topics when missing, with a replication the cluster can hold. */
final class Topics {

    /** The replication chosen for a cluster of {@code liveBrokers}: RF min(3, brokers), min ISR 2 from RF 3. */
    record Plan(int replicationFactor, int minInsyncReplicas) {

        static Plan forBrokers(int liveBrokers) {
            if (liveBrokers < 1) {
                throw new IllegalArgumentException("no live broker");
            }
            int rf = Math.min(3, liveBrokers);
            return new Plan(rf, rf >= 3 ? 2 : 1);
        }
    }

    /** What {@link #ensure} did. */
    record Outcome(boolean created, Plan plan, int liveBrokers) {
    }

    private Topics() {
    }

    /**
     * Creates {@code topic} with {@code partitions} unless it exists (creating it concurrently with
     * another node is fine). Runs with the caller's context class loader already set.
     *
     * @param configs topic configurations besides {@code min.insync.replicas}
     */
    static Outcome ensure(Admin admin, String topic, int partitions, Map<String, String> configs, long timeoutMillis)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        if (admin.listTopics(new ListTopicsOptions().timeoutMs(remaining(deadline))).names()
                .get(remaining(deadline), TimeUnit.MILLISECONDS).contains(topic)) {
            awaitLeaders(admin, topic, deadline);
            return new Outcome(false, null, -1);
        }
        int live = admin.describeCluster(new DescribeClusterOptions().timeoutMs(remaining(deadline))).nodes()
                .get(remaining(deadline), TimeUnit.MILLISECONDS).size();
        Plan plan = Plan.forBrokers(live);
        Map<String, String> all = new HashMap<>(configs);
        if (plan.minInsyncReplicas() > 1) {
            all.put("min.insync.replicas", Integer.toString(plan.minInsyncReplicas()));
        }
        NewTopic spec = new NewTopic(topic, partitions, (short) plan.replicationFactor()).configs(all);
        try {
            admin.createTopics(List.of(spec), new CreateTopicsOptions().timeoutMs(remaining(deadline))).all()
                    .get(remaining(deadline), TimeUnit.MILLISECONDS);
            awaitLeaders(admin, topic, deadline);
            return new Outcome(true, plan, live);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                awaitLeaders(admin, topic, deadline);
                return new Outcome(false, null, live);
            }
            throw e;
        }
    }

    /**
     * Waits until the leader of every partition serves it (a ListOffsets is answered by the leader only).
     * A produce that reaches a leader before it applied the topic's creation fails with NOT_LEADER_OR_FOLLOWER,
     * and when the idempotent producer had a second request in flight for that partition, the broker accepts
     * the second and rejects every retry of the first as out of order until the append times out
     * (KAFKA-15591, fixed only in Kafka releases newer than the client shipped here). Nothing acknowledged is
     * lost then — the append fails — but the first writes after a topic's creation would fail for no reason.
     */
    private static void awaitLeaders(Admin admin, String topic, long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        // right after its creation a broker may not know the topic yet (UnknownTopicOrPartition) or its leaders
        // (LeaderNotAvailable): both are retriable, and the admin client does not retry them itself here
        for (long pause = 20; ; pause = Math.min(200, pause * 2)) {
            try {
                describeAndListOffsets(admin, topic, deadline);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)
                        || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause) >= deadline) {
                    throw e;
                }
                Thread.sleep(pause);
            }
        }
    }

    private static void describeAndListOffsets(Admin admin, String topic, long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        TopicDescription d = admin.describeTopics(List.of(topic), new DescribeTopicsOptions().timeoutMs(remaining(deadline)))
                .allTopicNames().get(remaining(deadline), TimeUnit.MILLISECONDS).get(topic);
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        d.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        admin.listOffsets(latest, new ListOffsetsOptions().timeoutMs(remaining(deadline))).all()
                .get(remaining(deadline), TimeUnit.MILLISECONDS);
    }

    private static int remaining(long deadlineNanos) {
        return (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }
}
