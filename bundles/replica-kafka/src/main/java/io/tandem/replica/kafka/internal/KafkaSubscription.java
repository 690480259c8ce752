package io.tandem.replica.kafka.internal;

import io.tandem.api.concurrent.Backoff;
import io.tandem.api.concurrent.Threads;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.LogRecord;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.NoOffsetForPartitionException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * One subscription: a thread with its own consumer in the group, subscribed to the topic.
 *
 * <ul>
 *   <li>Every poll's records go to the handler as one batch; their positions are committed (synchronously)
 *       only after the handler returned, at most every 500 ms under load, and at once when idle, on a
 *       revocation and on close. When it throws, every partition of the batch is moved back to the
 *       batch's first record and the batch comes again after a back-off (1 s doubling to 5 s by default).</li>
 *   <li>A partition given to this consumer first asks the handler where it resumes
 *       ({@link EventLog.Handler#positions}): the handler's durable state, not the group's committed position,
 *       decides. Until it answered, the partition stays paused; when it throws, it is asked again after the
 *       back-off. The group's committed position is used only for partitions it says nothing about.</li>
 *   <li>A partition without a committed position starts from its earliest record
 *       ({@code auto.offset.reset=none}, then an explicit seek). A committed position that is no longer in the
 *       log (retention, deleted records) is reported to {@link EventLog.Handler#positionLost} and consumption
 *       continues from the earliest record.</li>
 *   <li>While {@linkplain #idle(boolean) idle}, every assigned partition is paused: the consumer stays in the
 *       group (its heartbeats go on) and fetches nothing. Leaving idle wakes the poll and resumes the
 *       partitions at their positions.</li>
 *   <li>When the log's brokers change the consumer is closed and a new one is made for the new brokers;
 *       while there are none (replication disabled) the thread waits. Outages are ridden out by the consumer
 *       itself (it reconnects); failures of the consumer make a new one after a back-off.</li>
 * </ul>
 *
 * The thread's context class loader is this bundle's for its whole life (it only runs Kafka code and the
 * handler).
 */
final class KafkaSubscription implements EventLog.Subscription {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaSubscription.class);

    /** Where the subscription gets its brokers and consumers from (the event log; a mock in unit tests). */
    interface Source {

        /** The brokers to consume from, "" while there are none (disabled, invalid, clients failed). */
        String brokers();

        /** A new consumer of {@code group} for {@code brokers} (auto commit off, auto.offset.reset=none). */
        Consumer<String, byte[]> consumer(String brokers, String group);

        /** Makes sure the topic exists on {@code brokers}; false (or a runtime exception) when it cannot yet. */
        boolean topicReady(String brokers);

        /**
         * What identifies the log at {@code brokers} for positions stored by handlers: the cluster's id, the
         * topic's name and the topic's id, so a topic deleted and made again, or another cluster, is another log,
         * and a broker added to the list is the same. Throws when the brokers cannot say.
         */
        String logId(String brokers);
    }

    /** Timings; shorter in unit tests. */
    record Timing(Duration poll, long backoffInitialMillis, long backoffMaxMillis, Duration commitTimeout,
            long closeTimeoutMillis) {

        static final Timing DEFAULT = new Timing(Duration.ofSeconds(1), 1000, 5000, Duration.ofSeconds(10), 15_000);
    }

    /**
     * A poll that has not returned after this is stuck: the classic consumer's group leader waits for fresh
     * metadata without a bound while it assigns partitions ({@code ConsumerCoordinator.updateGroupSubscription}),
     * and a nemesis run saw it wait until the metadata's maximum age (5 minutes) with no replica copy of the node
     * applied meanwhile. {@link #checkStuck} wakes such a consumer up and the loop makes a new one.
     */
    static final long STUCK_POLL_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);

    /** How long a subscription without brokers sleeps between looks (it is woken on every change anyway). */
    private static final long IDLE_MILLIS = 60_000;

    private final Source source;
    private final String topic;
    private final String group;
    private final EventLog.Handler handler;
    private final Timing timing;
    private final java.util.function.Consumer<KafkaSubscription> onClosed;
    private final Thread thread;
    private final Pause pause = new Pause();
    /** Between retries of a failed batch or lost-position report. */
    private final Backoff backoff;
    /** Between attempts to make a consumer (topic missing, brokers unusable, consumer failed). */
    private final Backoff setupBackoff;

    private volatile boolean closed;
    /** The consumer in use (for {@link Consumer#wakeup()}, the only call another thread may make). */
    private volatile Consumer<String, byte[]> consumer;
    private volatile long lag = -1;
    /** When the poll under way began (System.nanoTime()), 0 when none is. */
    private volatile long pollSince;
    /** The consumer {@link #checkStuck} woke up because its poll did not return: the loop replaces it. */
    private volatile Consumer<String, byte[]> stuck;
    /** When {@link #checkStuck} last woke a consumer up (it wakes a poll that still has not returned again later). */
    private volatile long lastWakeNanos;
    private volatile boolean idle;
    /** Whether the group gave this consumer its partitions (before that, the lag is unknown). */
    private boolean assigned;

    /** Under load, handled positions are committed at most this often (replays after a crash are skipped by the handler). */
    static final long COMMIT_INTERVAL_NANOS = 500_000_000L;
    private long lastCommitNanos = System.nanoTime() - COMMIT_INTERVAL_NANOS;

    /** Assigned partitions whose start the handler has not given yet: paused, nothing of them is handed over. */
    private final Set<TopicPartition> unpositioned = new java.util.HashSet<>();

    /** Handled but not yet committed (a commit failed): committed with the next batch or before a revocation. */
    private final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();

    KafkaSubscription(Source source, String topic, String group, EventLog.Handler handler, Timing timing,
            String threadName, java.util.function.Consumer<KafkaSubscription> onClosed) {
        this.source = source;
        this.topic = topic;
        this.group = group;
        this.handler = handler;
        this.timing = timing;
        this.onClosed = onClosed;
        this.backoff = new Backoff(timing.backoffInitialMillis(), timing.backoffMaxMillis());
        this.setupBackoff = new Backoff(timing.backoffInitialMillis(), timing.backoffMaxMillis());
        this.thread = Threads.daemon(this::run, threadName);
    }

    void start() {
        thread.start();
    }

    String group() {
        return group;
    }

    @Override
    public long lag() {
        return lag;
    }

    @Override
    public void idle(boolean idle) {
        if (this.idle == idle) {
            return;
        }
        this.idle = idle;
        LOG.info("Subscription of group {} {}", group, idle ? "idle: fetching nothing until records are wanted again"
                : "resumes fetching");
        Consumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup(); // the poll under way returns at once; the loop goes on with the same consumer
        }
    }

    @Override
    public boolean idle() {
        return idle;
    }

    /** The log's brokers changed: leave the current consumer (or stop waiting) and look again. */
    void brokersChanged() {
        wake();
    }

    private void wake() {
        Consumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        pause.wake();
    }

    /**
     * Stops the thread: a poll is woken at once; a running handler is waited for (bounded), then the thread
     * is interrupted. The positions of handled batches are committed before the consumer leaves the group.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        wake();
        try {
            if (Thread.currentThread() != thread) {
                thread.join(timing.closeTimeoutMillis());
                if (thread.isAlive()) {
                    LOG.warn("Subscription of group {} did not stop within {} ms (handler still running?): interrupting it",
                            group, timing.closeTimeoutMillis());
                    thread.interrupt();
                    thread.join(1000);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            onClosed.accept(this);
        }
    }

    boolean alive() {
        return thread.isAlive();
    }

    /**
     * Wakes up the consumer when its poll has not returned for {@link #STUCK_POLL_NANOS} (the event log's poller
     * looks every few seconds); the loop closes it and makes a new one, which resumes from the stored positions.
     */
    void checkStuck(long nowNanos) {
        long since = pollSince;
        Consumer<String, byte[]> c = consumer;
        if (since == 0 || c == null || nowNanos - since < STUCK_POLL_NANOS
                || stuck == c && nowNanos - lastWakeNanos < STUCK_POLL_NANOS) {
            return;
        }
        // tied to this consumer (a new one is not taken for it); woken again if the wake-up was swallowed (a
        // commit in a revocation callback) and the same poll still has not returned a period later
        stuck = c;
        lastWakeNanos = nowNanos;
        LOG.warn("Subscription of group {}: a poll of {} has not returned for {} s (a consumer stuck in the group's "
                + "rebalance): it is woken up and replaced by a new consumer", group, topic,
                java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(nowNanos - since));
        c.wakeup();
    }

    private void run() {
        Thread.currentThread().setContextClassLoader(KafkaLoader.LOADER);
        LOG.info("Subscription of group {} to {} started", group, topic);
        while (!closed) {
            String brokers = source.brokers();
            if (brokers.isEmpty()) {
                pause.await(IDLE_MILLIS);
                continue;
            }
            Consumer<String, byte[]> c;
            try {
                if (!source.topicReady(brokers)) {
                    pause.await(setupBackoff.next());
                    continue;
                }
                c = source.consumer(brokers, group);
            } catch (RuntimeException e) {
                long delay = setupBackoff.next();
                LOG.warn("Subscription of group {}: cannot consume {} at {} yet ({}); next try in {} ms", group, topic,
                        brokers, Failures.reason(e, 0), delay);
                pause.await(delay);
                continue;
            }
            consume(c, brokers);
        }
        LOG.info("Subscription of group {} to {} stopped", group, topic);
    }

    /** Consumes with {@code c} until closed or the brokers change; always closes {@code c}. */
    private void consume(Consumer<String, byte[]> c, String brokers) {
        consumer = c;
        try {
            // close() or brokersChanged() may have run before consumer was set: look again
            if (closed || !brokers.equals(source.brokers())) {
                return;
            }
            c.subscribe(List.of(topic), new Rebalance(c));
            setupBackoff.reset();
            LOG.info("Subscription of group {} consuming {} at {}", group, topic, brokers);
            while (!closed && brokers.equals(source.brokers())) {
                try {
                    step(c, brokers);
                } catch (WakeupException e) {
                    // closed or brokers changed (the loop ends), or idle changed (it goes on), or stuck (below)
                }
                if (stuck == c) {
                    return; // replaced (also when the wake-up was swallowed and the poll came back later)
                }
            }
        } catch (WakeupException e) {
            // closed or brokers changed: the loops decide
        } catch (RuntimeException e) {
            if (!closed) {
                long delay = setupBackoff.next();
                LOG.warn("Subscription of group {}: consumer of {} at {} failed ({}); a new one in {} ms", group, topic,
                        brokers, Failures.reason(e, 0), delay, e);
                pause.await(delay);
            }
        } finally {
            consumer = null;
            lag = -1;
            assigned = false;
            // the positions of handled batches are stored before the consumer leaves: the next consumer of the
            // group (after a bundle update, a restart, a brokers change) resumes exactly after them
            if (!uncommitted.isEmpty()) {
                try {
                    commitPending(c);
                } catch (RuntimeException e) {
                    LOG.debug("Group {}: committing {} before closing failed", group, uncommitted, e);
                }
            }
            uncommitted.clear(); // what still was not committed comes again (handlers are idempotent)
            unpositioned.clear();
            try {
                c.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.debug("Closing the consumer of group {} failed", group, e);
            }
        }
    }

    /** One poll: hand the batch over, then commit; or move back and wait when the handler failed. */
    private void step(Consumer<String, byte[]> c, String brokers) {
        if (!unpositioned.isEmpty() && !position(c, brokers)) {
            lag = -1; // nothing of those partitions is read: the lag is not known
            return;
        }
        boolean idleNow = idle;
        if (idleNow) {
            Set<TopicPartition> assignment = c.assignment();
            if (!c.paused().containsAll(assignment)) {
                c.pause(assignment);
            }
        } else if (!c.paused().isEmpty()) {
            c.resume(c.paused());
        }
        ConsumerRecords<String, byte[]> records;
        try {
            pollSince = Math.max(1, System.nanoTime());
            records = c.poll(timing.poll());
        } catch (NoOffsetForPartitionException e) {
            pollSince = 0;
            LOG.info("Group {} has no position in {}: starting from the earliest records", group, names(e.partitions()));
            c.seekToBeginning(e.partitions());
            // stored at once, so the group has a position in every partition and the next consumer of the group
            // (after a bundle update or a restart) resumes from it rather than starting over
            for (TopicPartition tp : e.partitions()) {
                uncommitted.put(tp, new OffsetAndMetadata(c.position(tp, timing.commitTimeout())));
            }
            commitPending(c);
            return;
        } catch (OffsetOutOfRangeException e) {
            pollSince = 0;
            positionLost(c, e.offsetOutOfRangePartitions());
            return;
        } catch (RuntimeException e) {
            pollSince = 0;
            throw e;
        }
        pollSince = 0;
        lag = assigned && !idleNow ? lag(c) : -1; // a paused partition's end is not fetched: unknown
        if (records.isEmpty()) {
            commitPending(c);
            return;
        }
        List<LogRecord> batch = new ArrayList<>(records.count());
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<String, byte[]>> part = records.records(tp);
            for (ConsumerRecord<String, byte[]> r : part) {
                batch.add(new LogRecord(r.key() == null ? "" : r.key(), r.value() == null ? new byte[0] : r.value(),
                        r.partition(), r.offset(), r.timestamp()));
            }
            next.put(tp, new OffsetAndMetadata(part.get(part.size() - 1).offset() + 1));
        }
        try {
            handler.handle(batch);
        } catch (Throwable t) {
            rethrowIfFatal(t);
            for (TopicPartition tp : records.partitions()) {
                c.seek(tp, records.records(tp).get(0).offset());
            }
            if (closed) {
                return;
            }
            Thread.interrupted(); // a handler's interrupt is not a close: the back-off must wait
            long delay = backoff.next();
            LOG.warn("Handler of group {} failed on {} records of {}: {}; the same records come again in {} ms", group,
                    batch.size(), names(records.partitions()), t.toString(), delay, t);
            pause.await(delay);
            return;
        }
        backoff.reset();
        uncommitted.putAll(next);
        // handlers are idempotent, so positions need not be committed after every batch: at most every
        // COMMIT_INTERVAL under load (an idle poll, a revocation and close commit what is pending)
        if (System.nanoTime() - lastCommitNanos >= COMMIT_INTERVAL_NANOS) {
            commitPending(c);
        }
    }

    /**
     * Moves the partitions just assigned to where the handler's durable state resumes, then lets them be
     * fetched. False when the handler could not say (it was waited for with the back-off; asked again next step).
     */
    private boolean position(Consumer<String, byte[]> c, String brokers) {
        Set<Integer> partitions = unpositioned.stream().map(TopicPartition::partition).collect(Collectors.toCollection(TreeSet::new));
        Map<Integer, Long> stored;
        String step = "the log's identity";
        try {
            String log = source.logId(brokers);
            step = "the handler's stored positions";
            Map<Integer, Long> answer = handler.positions(log, partitions);
            stored = answer == null ? Map.of() : answer;
        } catch (Throwable t) {
            rethrowIfFatal(t);
            if (closed) {
                return false;
            }
            Thread.interrupted();
            long delay = backoff.next();
            LOG.warn("Group {}: partitions {} stay unread, {} not known: {}; asked again in {} ms", group, partitions, step,
                    t.toString(), delay);
            pause.await(delay);
            return false;
        }
        for (TopicPartition tp : unpositioned) {
            Long offset = stored.get(tp.partition());
            if (offset != null) {
                c.seek(tp, offset);
                uncommitted.remove(tp); // a position handled before this assignment must not move the group past it
            }
        }
        LOG.info("Group {}: partitions {} resume at {} (handler's stored positions; the others at the group's)", group,
                partitions, stored);
        if (!idle) {
            c.resume(unpositioned);
        }
        unpositioned.clear();
        backoff.reset();
        return true;
    }

    /** Commits the handled positions; on failure they stay pending (the records come again if never committed). */
    private void commitPending(Consumer<String, byte[]> c) {
        if (uncommitted.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(uncommitted);
        lastCommitNanos = System.nanoTime();
        try {
            try {
                c.commitSync(offsets, timing.commitTimeout());
            } catch (WakeupException e) {
                // a wake-up (close, brokers change) must not lose the commit of a handled batch: it is one-shot,
                // so the second attempt runs; then the loops act on it
                c.commitSync(offsets, timing.commitTimeout());
                uncommitted.keySet().removeAll(offsets.keySet());
                throw e;
            }
            uncommitted.keySet().removeAll(offsets.keySet());
        } catch (CommitFailedException | RebalanceInProgressException e) {
            // the partitions moved to another member: it continues from the last committed position
            LOG.info("Group {}: positions {} not committed, the partitions moved to another consumer ({})", group,
                    offsets, e.getMessage());
            uncommitted.keySet().removeAll(offsets.keySet());
        } catch (org.apache.kafka.common.errors.TimeoutException e) {
            LOG.warn("Group {}: committing positions {} timed out after {} ms; retried with the next poll", group,
                    offsets, timing.commitTimeout().toMillis());
        }
    }

    /** The committed positions of {@code lost} are no longer in the log: report, then continue from the earliest. */
    private void positionLost(Consumer<String, byte[]> c, Map<TopicPartition, Long> lost) {
        Map<TopicPartition, Long> earliest = c.beginningOffsets(lost.keySet(), timing.commitTimeout());
        for (Map.Entry<TopicPartition, Long> e : lost.entrySet()) {
            TopicPartition tp = e.getKey();
            long from = earliest.getOrDefault(tp, 0L);
            LOG.warn("Group {} lost its position {} in {}: the log now starts at {} (retention or deleted records); "
                    + "continuing from there", group, e.getValue(), tp, from);
            try {
                handler.positionLost(tp.partition(), e.getValue(), from);
            } catch (Throwable ex) {
                rethrowIfFatal(ex);
                long delay = backoff.next();
                LOG.warn("Handler of group {} failed on the lost position in {}: {}; reported again in {} ms", group, tp,
                        ex.toString(), delay, ex);
                pause.await(delay); // the position is unchanged: the next poll reports it again
                return;
            }
            c.seek(tp, from);
            // reported once: the new position is stored at once, even before the next batch
            uncommitted.put(tp, new OffsetAndMetadata(from));
        }
        backoff.reset();
        commitPending(c);
    }

    /** Errors the JVM cannot recover from end the thread; everything else a handler throws is retried. */
    private static void rethrowIfFatal(Throwable t) {
        if (t instanceof VirtualMachineError e) {
            throw e;
        }
    }

    /** Records behind the end over the assigned partitions (0 without any), -1 while unknown. */
    private static long lag(Consumer<String, byte[]> c) {
        long total = 0;
        for (TopicPartition tp : c.assignment()) {
            OptionalLong l = c.currentLag(tp);
            if (l.isEmpty()) {
                return -1;
            }
            total += l.getAsLong();
        }
        return total;
    }

    private static String names(Collection<TopicPartition> partitions) {
        return partitions.stream().map(TopicPartition::toString).collect(Collectors.toCollection(TreeSet::new)).toString();
    }

    /** Commits what was handled before partitions go to another member; logs the moves. */
    private final class Rebalance implements ConsumerRebalanceListener {

        private final Consumer<String, byte[]> c;

        Rebalance(Consumer<String, byte[]> c) {
            this.c = c;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            unpositioned.removeAll(partitions);
            if (partitions.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata o = uncommitted.remove(tp);
                if (o != null) {
                    pending.put(tp, o);
                }
            }
            if (!pending.isEmpty()) {
                try {
                    c.commitSync(pending, timing.commitTimeout());
                } catch (RuntimeException e) {
                    LOG.info("Group {}: positions {} not committed before revocation ({})", group, pending, e.toString());
                }
            }
            LOG.info("Group {}: partitions {} revoked", group, names(partitions));
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            partitions.forEach(uncommitted::remove);
            unpositioned.removeAll(partitions);
            LOG.info("Group {}: partitions {} lost (another consumer owns them now)", group, names(partitions));
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assigned = true;
            // not fetched by the poll that assigned them: first the handler says where they resume
            unpositioned.addAll(partitions);
            c.pause(partitions);
            LOG.info("Group {}: partitions {} assigned", group, names(partitions));
        }
    }

    @Override
    public String toString() {
        return "KafkaSubscription[" + group + " on " + topic + "]";
    }
}
