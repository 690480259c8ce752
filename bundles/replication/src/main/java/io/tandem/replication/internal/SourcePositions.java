package io.tandem.replication.internal;

import io.tandem.api.replication.LogRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Which of this node's own changes may be in the event log and not (yet) in its mailbox database, as positions
 * (decision 0026). A change is <em>open</em> from the moment its source starts to write it to the log until its
 * database commit is known: committed, or withdrawn from the log. {@link #resumePoint} gives, for a partition, a
 * position at or before every open change in it, and before every change still to come: stored with a change,
 * it tells a restarted source where to read its own changes back from.
 *
 * <p>Why any position it ever gave stays valid: a change missing from the database after a crash was not
 * committed when the position was computed, so it was open then (its offset known, or its write still under way
 * and then after every offset this node had seen written) or it started later, and a record written later has a
 * higher offset than every record acknowledged before. Thread-safe.
 */
final class SourcePositions {

    /** A change being written: its offsets once known; before that, the floor its records will be above. */
    final class Open {
        private final Map<Integer, Long> floor;
        private List<LogRecord> records;

        private Open(Map<Integer, Long> floor) {
            this.floor = floor;
        }
    }

    /** Per partition, the offset after the highest record of this node seen written. */
    private final Map<Integer, Long> written = new HashMap<>();
    /** Per partition, the offsets of open changes' records (offset to how many records are there). */
    private final Map<Integer, TreeMap<Long, Integer>> open = new HashMap<>();
    /** Changes whose write is under way (offsets not known yet). */
    private final List<Open> writing = new ArrayList<>();

    /** A change starts to be written. */
    synchronized Open begin() {
        Open o = new Open(Map.copyOf(written));
        writing.add(o);
        return o;
    }

    /** Its records are written (invisible until committed): their offsets are known. */
    synchronized void written(Open o, List<LogRecord> records) {
        writing.remove(o);
        o.records = List.copyOf(records);
        for (LogRecord r : o.records) {
            open.computeIfAbsent(r.partition(), p -> new TreeMap<>()).merge(r.offset(), 1, Integer::sum);
            written.merge(r.partition(), r.offset() + 1, Math::max);
        }
    }

    /** The change is settled: committed to the database, or never written, or withdrawn from the log. */
    synchronized void close(Open o) {
        writing.remove(o);
        if (o.records == null) {
            return;
        }
        for (LogRecord r : o.records) {
            TreeMap<Long, Integer> offsets = open.get(r.partition());
            if (offsets != null && offsets.merge(r.offset(), -1, Integer::sum) == 0) {
                offsets.remove(r.offset());
                if (offsets.isEmpty()) {
                    open.remove(r.partition());
                }
            }
        }
        o.records = null;
    }

    /**
     * A position of {@code partition} at or before every record of this node's open changes and of its changes
     * to come; empty when it cannot be told (a change whose write began before anything of this node was seen
     * in that partition is still under way).
     */
    synchronized OptionalLong resumePoint(int partition) {
        Long seen = written.get(partition);
        if (seen == null) {
            return OptionalLong.empty();
        }
        long point = seen;
        TreeMap<Long, Integer> offsets = open.get(partition);
        if (offsets != null && !offsets.isEmpty()) {
            point = Math.min(point, offsets.firstKey());
        }
        for (Open w : writing) {
            Long floor = w.floor.get(partition);
            if (floor == null) {
                return OptionalLong.empty();
            }
            point = Math.min(point, floor);
        }
        return OptionalLong.of(point);
    }
}
