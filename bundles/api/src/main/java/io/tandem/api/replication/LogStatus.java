package io.tandem.api.replication;

import java.util.List;
import java.util.Objects;

/**
 * How the event log's brokers and topic stand right now, as the brokers describe them: which brokers are
 * live, and per partition of the topic its replicas and in-sync replicas.
 *
 * @param reachable         the brokers answered (when {@code false}, {@code error} says why and the rest is empty)
 * @param brokers           the broker list in use ({@code ""} when replication is disabled)
 * @param liveBrokers       {@code host:port} of every live broker, as the cluster describes itself
 * @param topicExists       the topic is there (it is created at the first contact)
 * @param replicationFactor replicas per partition (the largest over the partitions; -1 unknown)
 * @param minInsyncReplicas the topic's {@code min.insync.replicas} (-1 unknown)
 * @param partitions        one entry per partition, in partition order
 * @param error             why the description failed, or {@code ""}
 */
public record LogStatus(boolean reachable, String brokers, String topic, List<String> liveBrokers, boolean topicExists,
                        int replicationFactor, int minInsyncReplicas, List<Partition> partitions, String error) {

    public LogStatus {
        Objects.requireNonNull(brokers, "brokers");
        Objects.requireNonNull(topic, "topic");
        liveBrokers = List.copyOf(liveBrokers);
        partitions = List.copyOf(partitions);
        error = error == null ? "" : error;
    }

    /** The brokers did not answer (or replication is disabled): {@code error} says why. */
    public static LogStatus unreachable(String brokers, String topic, String error) {
        return new LogStatus(false, brokers, topic, List.of(), false, -1, -1, List.of(), error);
    }

    /** Partitions whose in-sync replicas are fewer than their replicas. */
    public long underReplicated() {
        return partitions.stream().filter(p -> p.isr().size() < p.replicas().size()).count();
    }

    /** Partitions with fewer in-sync replicas than {@code min.insync.replicas}: appends to them are refused. */
    public long belowMinInsync() {
        return minInsyncReplicas < 0 ? 0 : partitions.stream().filter(p -> p.isr().size() < minInsyncReplicas).count();
    }

    /** Partitions without a leader: neither readable nor writable. */
    public long offline() {
        return partitions.stream().filter(p -> p.leader() < 0).count();
    }

    /**
     * One partition of the topic.
     *
     * @param leader   broker id of the leader, -1 when none
     * @param replicas broker ids holding a replica
     * @param isr      broker ids of the in-sync replicas
     */
    public record Partition(int partition, int leader, List<Integer> replicas, List<Integer> isr) {

        public Partition {
            replicas = List.copyOf(replicas);
            isr = List.copyOf(isr);
        }
    }
}
