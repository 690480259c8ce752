package io.tandem.replica.kafka.internal;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.AlterPartitionReassignmentsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListPartitionReassignmentsOptions;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Grows the replication of topics created while brokers were missing (decision 0025). A topic is created with
 * the replication the cluster holds at that moment ({@link Topics.Plan}): made while one broker of three was
 * down it has 2 replicas and {@code min.insync.replicas} 1, and an append acknowledged by one replica is lost
 * with that broker. Whenever more brokers are live than a partition has replicas (up to 3), the partition is
 * reassigned to additional live brokers; once every partition of the topic has 3 in-sync replicas, the topic's
 * {@code min.insync.replicas} is raised to 2. Nothing is ever removed or lowered, so running it from several
 * nodes at once is harmless: the plan is a function of the topic's description and the live brokers, and a
 * partition being reassigned is left alone. Runs with the caller's context class loader already set.
 */
final class TopicGrowth {

    /** Kafka's internal topics the log depends on: its transactions, and the subscriptions' committed positions. */
    static final List<String> INTERNAL_TOPICS = List.of("__transaction_state", "__consumer_offsets");

    private static final Logger LOG = LoggerFactory.getLogger(TopicGrowth.class);
    private static final String MIN_INSYNC = "min.insync.replicas";

    /** A live broker, as the planning sees it: its id and rack (null when it has none). */
    record Broker(int id, String rack) {
    }

    /** What one look at a topic found. */
    enum State {
        /** Nothing to do now: fully grown, or as far as the live brokers allow. */
        SETTLED,
        /** Replicas being added, or waiting for them to be in sync before {@code min.insync.replicas} is raised. */
        PENDING,
        /** The topic does not exist (yet), or this client may not describe it. */
        MISSING
    }

    private TopicGrowth() {
    }

    // --- planning (pure) -------------------------------------------------------------------------------

    /**
     * The replicas to give the partitions that have fewer than min(3, live brokers): each keeps its replicas in
     * their order (its preferred leader stays first) and gets live brokers appended, each chosen among the live
     * brokers it does not have yet by: a rack none of its replicas is on first, then the fewest replicas of this
     * topic (counting the ones planned so far), then the lowest id. Partitions with enough replicas are absent.
     *
     * @param replicas the replicas (broker ids) of every partition of the topic, by partition
     * @param live     the live brokers
     */
    static Map<Integer, List<Integer>> plan(Map<Integer, List<Integer>> replicas, Collection<Broker> live) {
        int target = Math.min(3, live.size());
        Map<Integer, String> racks = new HashMap<>();
        Map<Integer, Integer> load = new TreeMap<>();
        for (Broker b : live) {
            racks.put(b.id(), b.rack());
            load.put(b.id(), 0);
        }
        replicas.values().forEach(list -> list.forEach(id -> load.computeIfPresent(id, (k, n) -> n + 1)));
        Map<Integer, List<Integer>> out = new LinkedHashMap<>();
        for (Map.Entry<Integer, List<Integer>> e : new TreeMap<>(replicas).entrySet()) {
            List<Integer> next = new ArrayList<>(e.getValue());
            while (next.size() < target) {
                Set<String> used = new HashSet<>();
                next.forEach(id -> {
                    String rack = racks.get(id);
                    if (rack != null) {
                        used.add(rack);
                    }
                });
                Optional<Integer> pick = load.keySet().stream()
                        .filter(id -> !next.contains(id))
                        .min(Comparator.<Integer>comparingInt(id -> racks.get(id) != null && used.contains(racks.get(id)) ? 1 : 0)
                                .thenComparingInt(load::get)
                                .thenComparingInt(id -> id));
                if (pick.isEmpty()) {
                    break; // cannot happen: fewer than target replicas leaves a live broker outside them
                }
                next.add(pick.get());
                load.merge(pick.get(), 1, Integer::sum);
            }
            if (next.size() > e.getValue().size()) {
                out.put(e.getKey(), List.copyOf(next));
            }
        }
        return out;
    }

    /**
     * The {@code min.insync.replicas} a topic should get, or empty to leave it: 2 once every partition has at least
     * 3 in-sync replicas and the topic's value is below 2; never lower.
     *
     * @param inSync the number of in-sync replicas of each partition
     */
    static Optional<Integer> raisedMinInsync(Collection<Integer> inSync, int current) {
        int wanted = Topics.Plan.forBrokers(3).minInsyncReplicas();
        if (inSync.isEmpty() || current >= wanted || inSync.stream().anyMatch(n -> n < 3)) {
            return Optional.empty();
        }
        return Optional.of(wanted);
    }

    // --- applying -------------------------------------------------------------------------------------

    /**
     * Looks at each of {@code topics} (missing ones are skipped) and grows what can be grown: reassigns the
     * partitions that lack replicas (except those already being reassigned), raises {@code min.insync.replicas}
     * when every partition has 3 in-sync replicas. Logs what it does at INFO.
     *
     * @return the state of each topic, in the given order
     */
    static Map<String, State> grow(Admin admin, Collection<String> topics, Collection<Node> liveNodes, long timeoutMillis)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        List<Broker> live = liveNodes.stream().map(n -> new Broker(n.id(), n.hasRack() ? n.rack() : null)).toList();
        Map<String, State> states = new LinkedHashMap<>();
        Map<String, KafkaFuture<TopicDescription>> futures = admin.describeTopics(topics,
                new DescribeTopicsOptions().timeoutMs(remaining(deadline))).topicNameValues();
        Map<String, TopicDescription> described = new LinkedHashMap<>();
        for (String topic : topics) {
            try {
                described.put(topic, futures.get(topic).get(remaining(deadline), TimeUnit.MILLISECONDS));
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicAuthorizationException) {
                    LOG.debug("Not allowed to describe topic {}: its replication is left as it is", topic);
                } else if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
                states.put(topic, State.MISSING);
            }
        }
        if (described.isEmpty()) {
            return states;
        }
        Set<TopicPartition> moving = null;
        Map<ConfigResource, KafkaFuture<Config>> configs = admin.describeConfigs(described.keySet().stream()
                        .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList(),
                new DescribeConfigsOptions().timeoutMs(remaining(deadline))).values();
        for (TopicDescription d : described.values()) {
            String topic = d.name();
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config;
            try {
                config = configs.get(resource).get(remaining(deadline), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
                states.put(topic, State.MISSING); // just created or deleted: the broker asked does not know it yet
                continue;
            }
            Map<Integer, List<Integer>> replicas = new TreeMap<>();
            List<Integer> inSync = new ArrayList<>();
            for (TopicPartitionInfo p : d.partitions()) {
                replicas.put(p.partition(), p.replicas().stream().map(Node::id).toList());
                inSync.add(p.isr().size());
            }
            Map<Integer, List<Integer>> plan = plan(replicas, live);
            if (!plan.isEmpty()) {
                if (moving == null) {
                    moving = new HashSet<>(admin.listPartitionReassignments(new ListPartitionReassignmentsOptions()
                            .timeoutMs(remaining(deadline))).reassignments().get(remaining(deadline), TimeUnit.MILLISECONDS).keySet());
                }
                Map<TopicPartition, Optional<NewPartitionReassignment>> changes = new TreeMap<>(
                        Comparator.comparingInt(TopicPartition::partition));
                for (Map.Entry<Integer, List<Integer>> e : plan.entrySet()) {
                    TopicPartition tp = new TopicPartition(topic, e.getKey());
                    if (!moving.contains(tp)) {
                        changes.put(tp, Optional.of(new NewPartitionReassignment(e.getValue())));
                    }
                }
                if (!changes.isEmpty()) {
                    int from = replicas.values().stream().mapToInt(List::size).min().orElse(0);
                    int to = plan.values().stream().mapToInt(List::size).min().orElse(from);
                    Map<Integer, Integer> added = new TreeMap<>();
                    changes.forEach((tp, r) -> r.orElseThrow().targetReplicas().stream()
                            .filter(id -> !replicas.get(tp.partition()).contains(id))
                            .forEach(id -> added.merge(id, 1, Integer::sum)));
                    admin.alterPartitionReassignments(changes, new AlterPartitionReassignmentsOptions().timeoutMs(remaining(deadline)))
                            .all().get(remaining(deadline), TimeUnit.MILLISECONDS);
                    LOG.info("Growing the replication of topic {}: replication factor {} -> {} ({} of {} partitions reassigned, "
                                    + "{} live brokers; replicas added per broker {})", topic, from, to, changes.size(),
                            replicas.size(), live.size(), added);
                }
                states.put(topic, State.PENDING);
                continue;
            }
            int current = minInsync(config);
            Optional<Integer> raised = raisedMinInsync(inSync, current);
            if (raised.isPresent()) {
                admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                                new ConfigEntry(MIN_INSYNC, Integer.toString(raised.get())), AlterConfigOp.OpType.SET))),
                        new AlterConfigsOptions().timeoutMs(remaining(deadline))).all().get(remaining(deadline), TimeUnit.MILLISECONDS);
                int rf = replicas.values().stream().mapToInt(List::size).min().orElse(0);
                LOG.info("Raised min.insync.replicas of topic {}: {} -> {} (replication factor {}, every partition has {} or more "
                        + "in-sync replicas)", topic, current, raised.get(), rf, inSync.stream().mapToInt(n -> n).min().orElse(0));
                states.put(topic, State.SETTLED);
            } else if (current < 2 && replicas.values().stream().allMatch(r -> r.size() >= 3)) {
                states.put(topic, State.PENDING); // 3 replicas, not all in sync yet: raise min.insync.replicas later
            } else {
                states.put(topic, State.SETTLED);
            }
        }
        Map<String, State> ordered = new LinkedHashMap<>();
        topics.forEach(t -> ordered.put(t, Objects.requireNonNull(states.get(t))));
        return ordered;
    }

    /** The topic's effective {@code min.insync.replicas} (its own or the brokers' default); unknown: never touched. */
    private static int minInsync(Config config) {
        ConfigEntry e = config == null ? null : config.get(MIN_INSYNC);
        if (e == null || e.value() == null) {
            return Integer.MAX_VALUE;
        }
        try {
            return Integer.parseInt(e.value().trim());
        } catch (NumberFormatException x) {
            return Integer.MAX_VALUE; // unknown: never touched
        }
    }

    private static int remaining(long deadlineNanos) {
        return (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }
}
