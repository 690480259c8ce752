package io.tandem.replica.kafka.internal;

import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import io.tandem.api.replication.LogRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@link EventLog#read}: committed records of some partitions from given offsets up to the end the log had when
 * the read began, with a {@code read_committed} consumer without a group. The end is the high watermark (every
 * record written, decided or not), so a record of a transaction still open then is waited for until it is
 * decided; records written later may come too and are left out.
 */
final class LogReader {

    private LogReader() {
    }

    static EventLog.Tail read(Admin admin, Consumer<String, byte[]> consumer, String topic, String log, Map<Integer, Long> from,
                              int maxRecords, long deadlineNanos) throws Exception {
        if (maxRecords < 1) {
            throw new IllegalArgumentException("maxRecords " + maxRecords + " is not >= 1");
        }
        try (consumer) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            from.keySet().forEach(p -> latest.put(new TopicPartition(topic, p), OffsetSpec.latest()));
            Map<Integer, Long> end = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED).timeoutMs(remaining(deadlineNanos)))
                    .all().get(remaining(deadlineNanos), TimeUnit.MILLISECONDS)
                    .forEach((tp, info) -> end.put(tp.partition(), info.offset()));
            Map<TopicPartition, OffsetSpec> earliestSpec = new HashMap<>();
            from.keySet().forEach(p -> earliestSpec.put(new TopicPartition(topic, p), OffsetSpec.earliest()));
            Map<Integer, Long> earliest = new HashMap<>();
            admin.listOffsets(earliestSpec, new ListOffsetsOptions().timeoutMs(remaining(deadlineNanos)))
                    .all().get(remaining(deadlineNanos), TimeUnit.MILLISECONDS)
                    .forEach((tp, info) -> earliest.put(tp.partition(), info.offset()));
            List<TopicPartition> reading = new ArrayList<>();
            Map<TopicPartition, Long> starts = new HashMap<>();
            Map<Integer, Long> reached = new HashMap<>();
            for (Integer partition : from.keySet()) {
                long start = Math.max(from.get(partition), earliest.get(partition)); // before: deleted by retention
                if (start < end.get(partition)) {
                    TopicPartition tp = new TopicPartition(topic, partition);
                    reading.add(tp);
                    starts.put(tp, start);
                } else {
                    reached.put(partition, start);
                }
            }
            // only the partitions with something to read are assigned: one assigned without a position would make
            // every poll fail ("Undefined offset with no reset policy"), and with it every read-back
            consumer.assign(reading);
            starts.forEach(consumer::seek);
            List<LogRecord> out = new ArrayList<>();
            while (!reading.isEmpty()) {
                if (System.nanoTime() >= deadlineNanos) {
                    throw new EventLogException("reading " + topic + " back to " + end + " took too long (at " + reached + ")");
                }
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(Math.min(500, remaining(deadlineNanos))))) {
                    if (r.offset() < end.get(r.partition())) {
                        if (out.size() == maxRecords) {
                            // full: each partition not read to its end stops after the last record returned from it
                            for (TopicPartition tp : reading) {
                                reached.put(tp.partition(), out.stream().filter(x -> x.partition() == tp.partition())
                                        .mapToLong(x -> x.offset() + 1).max().orElse(Math.max(from.get(tp.partition()),
                                                earliest.get(tp.partition()))));
                            }
                            out.sort(java.util.Comparator.comparingInt(LogRecord::partition).thenComparingLong(LogRecord::offset));
                            return new EventLog.Tail(log, out, reached, false);
                        }
                        out.add(new LogRecord(r.key() == null ? "" : r.key(), r.value() == null ? new byte[0] : r.value(),
                                r.partition(), r.offset(), r.timestamp()));
                    }
                }
                for (java.util.Iterator<TopicPartition> it = reading.iterator(); it.hasNext(); ) {
                    TopicPartition tp = it.next();
                    // the position passes records that were aborted and transaction markers too
                    long position = consumer.position(tp, Duration.ofMillis(remaining(deadlineNanos)));
                    if (position >= end.get(tp.partition())) {
                        reached.put(tp.partition(), end.get(tp.partition()));
                        consumer.pause(List.of(tp));
                        it.remove();
                    }
                }
            }
            out.sort(java.util.Comparator.comparingInt(LogRecord::partition).thenComparingLong(LogRecord::offset));
            return new EventLog.Tail(log, out, reached, true);
        }
    }

    private static int remaining(long deadlineNanos) {
        return (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }
}
