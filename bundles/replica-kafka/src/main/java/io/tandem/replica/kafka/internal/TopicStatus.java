package io.tandem.replica.kafka.internal;

import io.tandem.api.replication.LogStatus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Describes the brokers and the log's topic into a {@link LogStatus}; Kafka's types stay here. */
final class TopicStatus {

    private TopicStatus() {
    }

    /** Runs with the caller's context class loader already set (see {@link KafkaLoader}). */
    static LogStatus describe(Admin admin, String brokers, String topic, long timeoutMillis) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        List<String> live = new ArrayList<>();
        for (Node n : admin.describeCluster(new DescribeClusterOptions().timeoutMs(remaining(deadline))).nodes()
                .get(remaining(deadline), TimeUnit.MILLISECONDS)) {
            live.add(n.host() + ":" + n.port());
        }
        live.sort(Comparator.naturalOrder());
        TopicDescription d;
        try {
            d = admin.describeTopics(List.of(topic), new DescribeTopicsOptions().timeoutMs(remaining(deadline)))
                    .allTopicNames().get(remaining(deadline), TimeUnit.MILLISECONDS).get(topic);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return new LogStatus(true, brokers, topic, live, false, -1, -1, List.of(), "");
            }
            throw e;
        }
        List<LogStatus.Partition> partitions = new ArrayList<>();
        int rf = -1;
        for (TopicPartitionInfo p : d.partitions()) {
            List<Integer> replicas = p.replicas().stream().map(Node::id).toList();
            List<Integer> isr = p.isr().stream().map(Node::id).toList();
            partitions.add(new LogStatus.Partition(p.partition(), p.leader() == null || p.leader().isEmpty() ? -1 : p.leader().id(),
                    replicas, isr));
            rf = Math.max(rf, replicas.size());
        }
        partitions.sort(Comparator.comparingInt(LogStatus.Partition::partition));
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(resource),
                new DescribeConfigsOptions().timeoutMs(remaining(deadline))).all().get(remaining(deadline), TimeUnit.MILLISECONDS);
        int minIsr = -1;
        Config c = configs.get(resource);
        ConfigEntry e = c == null ? null : c.get("min.insync.replicas");
        if (e != null && e.value() != null) {
            minIsr = Integer.parseInt(e.value().trim());
        }
        return new LogStatus(true, brokers, topic, live, true, rf, minIsr, partitions, "");
    }

    private static int remaining(long deadlineNanos) {
        return (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }
}
