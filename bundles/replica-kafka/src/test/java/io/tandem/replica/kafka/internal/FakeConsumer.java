package io.tandem.replica.kafka.internal;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * Kafka's {@link MockConsumer} (rebalances, positions, commits, wake-ups, injected exceptions) over a small
 * in-memory log, so records come again after a seek back, like from a broker. Empty polls wait a few
 * milliseconds, as a real poll would wait for data (and the consumer thread does not spin).
 */
class FakeConsumer extends MockConsumer<String, byte[]> {

    static final String TOPIC = "events";

    private final Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> log = new ConcurrentHashMap<>();
    private final Map<TopicPartition, Long> starts = new ConcurrentHashMap<>();
    private final AtomicBoolean wakeup = new AtomicBoolean();
    private final Map<TopicPartition, Long> committed = new ConcurrentHashMap<>();
    private final java.util.List<Long> history = new java.util.concurrent.CopyOnWriteArrayList<>();

    FakeConsumer() {
        super(OffsetResetStrategy.NONE);
    }

    /** Appends a record to partition {@code p} of the fake log; returns its offset. */
    long append(int p, String key, String value) {
        TopicPartition tp = new TopicPartition(TOPIC, p);
        List<ConsumerRecord<String, byte[]>> part = log.computeIfAbsent(tp, k -> new CopyOnWriteArrayList<>());
        synchronized (part) {
            long offset = beginning(tp) + part.size();
            part.add(new ConsumerRecord<>(TOPIC, p, offset, key, value.getBytes(StandardCharsets.UTF_8)));
            updateEndOffsets(Map.of(tp, offset + 1));
            return offset;
        }
    }

    /** Partition {@code p} starts at {@code offset} (records before it were deleted); call before appending. */
    void startAt(int p, long offset) {
        TopicPartition tp = new TopicPartition(TOPIC, p);
        starts.put(tp, offset);
        updateBeginningOffsets(Map.of(tp, offset));
        updateEndOffsets(Map.of(tp, offset));
    }

    private long beginning(TopicPartition tp) {
        return starts.getOrDefault(tp, 0L);
    }

    /**
     * A wake-up is taken by the next blocking call, poll or commit, like KafkaConsumer's (MockConsumer's
     * commits ignore it).
     */
    @Override
    public void wakeup() {
        wakeup.set(true);
    }

    @Override
    public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
        commitSync(offsets);
    }

    @Override
    public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
        if (wakeup.getAndSet(false)) {
            throw new WakeupException();
        }
        super.commitSync(offsets);
        offsets.forEach((tp, o) -> committed.put(tp, o.offset()));
        offsets.values().forEach(o -> history.add(o.offset()));
    }

    /** Every position committed so far, in order, over all partitions. */
    java.util.List<Long> commitHistory() {
        return java.util.List.copyOf(history);
    }

    /** The last committed position of {@code tp}, null when none (readable after close too). */
    Long committedOffset(TopicPartition tp) {
        return committed.get(tp);
    }

    private final java.util.concurrent.atomic.AtomicLong polls = new java.util.concurrent.atomic.AtomicLong();

    /** Polls made so far (woken ones included). */
    long polls() {
        return polls.get();
    }

    private volatile boolean hanging;
    private final java.util.concurrent.atomic.AtomicInteger wakeupsToSwallow = new java.util.concurrent.atomic.AtomicInteger();

    /** From now on a poll does not return until the consumer is woken up (a consumer stuck in a rebalance). */
    void hang() {
        hanging = true;
    }

    /** Whether every wake-up to swallow has been. */
    boolean swallowedAll() {
        return wakeupsToSwallow.get() == 0;
    }

    /** The next wake-up of a hanging poll is taken and dropped (as a commit in a revocation callback may). */
    void swallowNextWakeup() {
        wakeupsToSwallow.incrementAndGet();
    }

    @Override
    public ConsumerRecords<String, byte[]> poll(Duration timeout) {
        polls.incrementAndGet();
        while (hanging) {
            if (wakeup.get()) {
                if (wakeupsToSwallow.get() > 0 && wakeup.getAndSet(false)) {
                    wakeupsToSwallow.decrementAndGet();
                    continue;
                }
                break;
            }
            LockSupport.parkNanos(Duration.ofMillis(1).toNanos()); // stuck until woken up
        }
        if (wakeup.getAndSet(false)) {
            throw new WakeupException();
        }
        super.poll(timeout); // poll tasks, injected exception, missing positions
        Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> out = new HashMap<>();
        for (TopicPartition tp : assignment()) {
            if (paused().contains(tp)) {
                continue;
            }
            long position = position(tp);
            List<ConsumerRecord<String, byte[]>> part = new ArrayList<>();
            for (ConsumerRecord<String, byte[]> r : log.getOrDefault(tp, List.of())) {
                if (r.offset() >= position) {
                    part.add(r);
                }
            }
            if (!part.isEmpty()) {
                out.put(tp, part);
                seek(tp, part.get(part.size() - 1).offset() + 1);
            }
        }
        if (out.isEmpty()) {
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos()); // a real poll waits for data
        }
        return new ConsumerRecords<>(out);
    }
}
