package io.tandem.replica.kafka.internal;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
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
            return new Outcome(true, plan, live);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return new Outcome(false, null, live);
            }
            throw e;
        }
    }

    private static int remaining(long deadlineNanos) {
        return (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }
}
