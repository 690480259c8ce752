package io.tandem.api.test;

import io.tandem.api.replication.BrokerCheck;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import io.tandem.api.replication.LogRecord;
import io.tandem.api.replication.LogStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory {@link EventLog} for unit tests, behaving as the Kafka adapter does; both pass
 * {@link EventLogContract}. One topic of N partitions: a key's partition is {@link #partitionOf}
 * ({@code floorMod(key.hashCode(), N)}, stable across runs); offsets start at 0 per partition; records stay
 * until {@link #deleteBefore} removes them (retention). Appends never fail while the log is open; it is always
 * {@linkplain #enabled() enabled} and {@linkplain #connected() connected}, its brokers are {@value #BROKERS}.
 *
 * <p>Prepared records ({@link #prepare}) take their offsets at once and stay invisible until committed: a
 * subscription stops at the first undecided record of a partition and skips discarded ones, as Kafka's
 * {@code read_committed} consumers do. {@link #fence} discards what a node prepared and did not commit;
 * {@link #writer(String)} is the log as written by a given node. Each decision (commit or abort) takes an offset
 * in every partition it concerns, as Kafka's commit and abort markers do.
 *
 * <p>Subscriptions:
 * <ul>
 *   <li>Each has its own thread handing the records of the partitions it owns to the handler in batches (at most
 *       {@code maxBatch} records, partitions in turn, each partition's records in log order). The live
 *       subscriptions of a group share the partitions (partition p goes to the (p mod n)-th member in the order
 *       they subscribed); a partition moves only between two batches of its owner, so no two members ever
 *       handle it at once.</li>
 *   <li>When a subscription is given partitions, {@link EventLog.Handler#positions} is asked before any of their
 *       records is handed over; it starts at the returned offsets, else at the group's committed position, else
 *       at the earliest record (then committed at once); the log it names is {@link #logId()}. When
 *       {@code positions} throws, those partitions stay unread and it is asked again after the back-off.</li>
 *   <li>After the handler returned, the batch's positions are committed for the group at once. When it throws,
 *       nothing moves and the same records come again after the back-off.</li>
 *   <li>A position outside the log (before its earliest record after {@link #deleteBefore}, or beyond its end)
 *       is reported to {@link EventLog.Handler#positionLost}, then consumption goes on from the earliest record,
 *       committed at once: what Kafka does on an out-of-range fetch. When the report throws it is made again
 *       after the back-off.</li>
 *   <li>While idle it fetches nothing, commits nothing and sees no lost position (it still asks
 *       {@code positions} for partitions it is given); its lag is then -1 (unknown), as with Kafka.</li>
 *   <li>{@link Subscription#close()} wakes the thread, waits for a running handler (up to {@code closeTimeout},
 *       then interrupts it) and hands the partitions to the group's other members.</li>
 * </ul>
 * All waits inside are on one condition signalled by every change (append, deletion, commit, membership, idle,
 * close): no polling. Handlers are called without any lock held.
 */
public final class MemoryEventLog implements EventLog, AutoCloseable {

    public static final String BROKERS = "memory";
    /** The node that writes through the log itself (not through a {@link #writer(String)} view). */
    public static final String WRITER = "memory-writer";
    public static final Duration DEFAULT_BACKOFF = Duration.ofMillis(20);

    private static final Logger LOG = LoggerFactory.getLogger(MemoryEventLog.class);

    private final String topic;
    private final int partitionCount;
    private final long backoffNanos;
    private final int maxBatch;
    private final long closeTimeoutMillis;
    private static final AtomicInteger LOGS = new AtomicInteger();

    private final String logId;
    private final AtomicInteger sequence = new AtomicInteger();

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every change of the state below. */
    private final Condition changed = lock.newCondition();
    /** The records still in the log, per partition; the first is at {@link #earliest}. */
    private final List<List<LogRecord>> partitions = new ArrayList<>();
    private final long[] earliest;
    private final Map<String, Group> groups = new HashMap<>();
    private final Set<MemorySubscription> live = new HashSet<>();
    /** Records prepared and not decided yet: no subscriber reads past one of them in its partition. */
    private final Set<LogRecord> undecided = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Records prepared and then discarded: never handed to a subscriber. */
    private final Set<LogRecord> discarded = Collections.newSetFromMap(new IdentityHashMap<>());
    private final List<MemoryPrepared> open = new ArrayList<>();
    /** The decisions' control records (Kafka's commit and abort markers): they take an offset, nobody sees them. */
    private final Set<LogRecord> controls = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean closed;

    /** 3 partitions, a back-off of {@link #DEFAULT_BACKOFF}. */
    public MemoryEventLog(String topic) {
        this(topic, 3, DEFAULT_BACKOFF);
    }

    public MemoryEventLog(String topic, int partitions, Duration backoff) {
        this(topic, partitions, backoff, 500, Duration.ofSeconds(15));
    }

    /**
     * @param backoff      how long a subscription waits before it hands a failed batch again (or asks
     *                     {@code positions}, reports a lost position again)
     * @param maxBatch     most records in one batch
     * @param closeTimeout how long {@link Subscription#close()} waits for a running handler before it interrupts it
     */
    public MemoryEventLog(String topic, int partitions, Duration backoff, int maxBatch, Duration closeTimeout) {
        this.topic = Objects.requireNonNull(topic, "topic");
        if (partitions < 1 || maxBatch < 1 || backoff.isNegative() || closeTimeout.isNegative()) {
            throw new IllegalArgumentException("partitions " + partitions + ", maxBatch " + maxBatch + ", backoff "
                    + backoff + ", closeTimeout " + closeTimeout);
        }
        this.logId = BROKERS + "/" + topic + "/" + LOGS.incrementAndGet();
        this.partitionCount = partitions;
        this.backoffNanos = backoff.toNanos();
        this.maxBatch = maxBatch;
        this.closeTimeoutMillis = closeTimeout.toMillis();
        this.earliest = new long[partitions];
        for (int p = 0; p < partitions; p++) {
            this.partitions.add(new ArrayList<>());
        }
    }

    // --- the log ------------------------------------------------------------------------------------------

    /** The partition of {@code key}'s records. */
    public int partitionOf(String key) {
        return Math.floorMod(key.hashCode(), partitionCount);
    }

    public int partitions() {
        return partitionCount;
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public boolean connected() {
        return true;
    }

    @Override
    public String brokers() {
        return BROKERS;
    }

    @Override
    public String topic() {
        return topic;
    }

    /** Prepares records as written by {@value #WRITER}; see {@link #writer(String)} for another node's. */
    @Override
    public Prepared prepare(Map<String, byte[]> records) {
        return prepare(WRITER, records);
    }

    @Override
    public void fence(String node, Duration timeout) {
        Objects.requireNonNull(node, "node");
        lock.lock();
        try {
            for (MemoryPrepared p : open) {
                if (p.node.equals(node)) {
                    p.decide(false);
                }
            }
            open.removeIf(p -> p.node.equals(node));
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The same log as written by {@code node}: what it {@linkplain #prepare prepares} is discarded by
     * {@link #fence fence(node)}. Everything else is this log's.
     */
    public EventLog writer(String node) {
        Objects.requireNonNull(node, "node");
        return new EventLog() {
            @Override
            public boolean enabled() {
                return MemoryEventLog.this.enabled();
            }

            @Override
            public boolean connected() {
                return MemoryEventLog.this.connected();
            }

            @Override
            public String brokers() {
                return BROKERS;
            }

            @Override
            public String topic() {
                return topic;
            }

            @Override
            public Prepared prepare(Map<String, byte[]> records) {
                return MemoryEventLog.this.prepare(node, records);
            }

            @Override
            public void fence(String other, Duration timeout) {
                MemoryEventLog.this.fence(other, timeout);
            }

            @Override
            public Subscription subscribe(String group, Handler handler) {
                return MemoryEventLog.this.subscribe(group, handler);
            }

            @Override
            public List<BrokerCheck> test(List<String> brokers, Duration timeout) {
                return MemoryEventLog.this.test(brokers, timeout);
            }

            @Override
            public LogStatus describe(Duration timeout) {
                return MemoryEventLog.this.describe(timeout);
            }

            @Override
            public String identity(Duration timeout) {
                return MemoryEventLog.this.identity(timeout);
            }

            @Override
            public Tail read(Map<Integer, Long> from, int maxRecords, Duration timeout) {
                return MemoryEventLog.this.read(from, maxRecords, timeout);
            }

            @Override
            public String toString() {
                return MemoryEventLog.this + " written by " + node;
            }
        };
    }

    private Prepared prepare(String node, Map<String, byte[]> records) {
        Objects.requireNonNull(records, "records");
        Map<String, byte[]> copy = new LinkedHashMap<>();
        records.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "key"), Objects.requireNonNull(v, "value").clone()));
        List<LogRecord> out = new ArrayList<>(copy.size());
        lock.lock();
        try {
            if (closed) {
                throw new EventLogException("the in-memory event log " + topic + " is closed");
            }
            long now = System.currentTimeMillis();
            copy.forEach((key, value) -> {
                int p = partitionOf(key);
                LogRecord r = new LogRecord(key, value, p, end(p), now);
                partitions.get(p).add(r);
                undecided.add(r);
                out.add(r);
            });
            MemoryPrepared prepared = new MemoryPrepared(node, List.copyOf(out));
            open.add(prepared);
            return prepared;
        } finally {
            lock.unlock();
        }
    }

    /** Records prepared together by one node, visible once committed. */
    private final class MemoryPrepared implements Prepared {
        final String node;
        final List<LogRecord> records;
        /** null while open; guarded by the log's lock. */
        Boolean committed;

        MemoryPrepared(String node, List<LogRecord> records) {
            this.node = node;
            this.records = records;
        }

        @Override
        public List<LogRecord> records() {
            return records;
        }

        @Override
        public String log() {
            return logId;
        }

        @Override
        public void commit() {
            lock.lock();
            try {
                if (committed == null) {
                    decide(true);
                    open.remove(this);
                    changed.signalAll();
                } else if (!committed) {
                    throw new EventLogException("the records prepared by " + node + " at " + records.get(0).partition() + "/"
                            + records.get(0).offset() + " were discarded (withdrawn, or the writer was fenced)");
                }
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void abort() {
            lock.lock();
            try {
                if (committed == null) {
                    decide(false);
                    open.remove(this);
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }

        /**
         * Under the lock. As Kafka does, the decision takes an offset of its own in each partition the records are
         * in (a control record, never handed over): offsets are not contiguous, and nothing may assume they are.
         */
        void decide(boolean commit) {
            committed = commit;
            records.forEach(undecided::remove);
            if (!commit) {
                discarded.addAll(records);
            }
            long now = System.currentTimeMillis();
            for (int p : new TreeSet<>(records.stream().map(LogRecord::partition).toList())) {
                LogRecord marker = new LogRecord("", new byte[0], p, end(p), now);
                partitions.get(p).add(marker);
                discarded.add(marker);
                controls.add(marker);
            }
        }
    }

    /**
     * Removes the records of {@code partition} before {@code offset}, as retention (or Kafka's delete-records)
     * does: a group whose position was among them gets {@link EventLog.Handler#positionLost}.
     *
     * @throws IllegalArgumentException {@code offset} is beyond the end of the partition
     */
    public void deleteBefore(int partition, long offset) {
        lock.lock();
        try {
            if (offset > end(partition)) {
                throw new IllegalArgumentException("offset " + offset + " is beyond the end " + end(partition)
                        + " of partition " + partition);
            }
            long n = offset - earliest[partition];
            if (n > 0) {
                partitions.get(partition).subList(0, (int) n).clear();
                earliest[partition] = offset;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The records of {@code partition} still in the log, in order (without the decisions' control records). */
    public List<LogRecord> records(int partition) {
        lock.lock();
        try {
            return partitions.get(partition).stream().filter(r -> !controls.contains(r)).toList();
        } finally {
            lock.unlock();
        }
    }

    /** The offset of the first record still in {@code partition} (its end when it is empty). */
    public long earliestOffset(int partition) {
        lock.lock();
        try {
            return earliest[partition];
        } finally {
            lock.unlock();
        }
    }

    /** The offset the next record of {@code partition} gets. */
    public long endOffset(int partition) {
        lock.lock();
        try {
            return end(partition);
        } finally {
            lock.unlock();
        }
    }

    /** The positions {@code group} committed, by partition (partitions it never read are missing). */
    public Map<Integer, Long> committed(String group) {
        lock.lock();
        try {
            Group g = groups.get(group);
            return g == null ? Map.of() : Map.copyOf(g.committed);
        } finally {
            lock.unlock();
        }
    }

    /** The subscriptions not closed yet. */
    public int subscriptionCount() {
        lock.lock();
        try {
            return live.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String identity(Duration timeout) {
        return logId;
    }

    /**
     * {@link EventLog#read}: waits (bounded) until no record before the end of the partitions as of the call is
     * undecided, then returns the committed ones. A node's former self is not settled here: a test that models a
     * restart fences the node first ({@link #fence}), as a restarted Kafka writer does.
     */
    @Override
    public Tail read(Map<Integer, Long> from, int maxRecords, Duration timeout) {
        Objects.requireNonNull(from, "from");
        if (maxRecords < 1) {
            throw new IllegalArgumentException("maxRecords " + maxRecords + " is not >= 1");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            Map<Integer, Long> end = new HashMap<>();
            from.keySet().forEach(p -> end.put(p, end(p)));
            while (undecided.stream().anyMatch(r -> end.containsKey(r.partition()) && r.offset() >= from.get(r.partition())
                    && r.offset() < end.get(r.partition()))) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) {
                    throw new EventLogException("reading " + topic + " back to " + end + ": records still undecided after " + timeout);
                }
                changed.awaitNanos(left);
            }
            List<LogRecord> out = new ArrayList<>();
            Map<Integer, Long> reached = new HashMap<>();
            boolean complete = true;
            for (Map.Entry<Integer, Long> e : new TreeMap<>(from).entrySet()) {
                int p = e.getKey();
                long start = Math.max(e.getValue(), earliest[p]);
                long o = start;
                for (; o < end.get(p); o++) {
                    LogRecord r = partitions.get(p).get((int) (o - earliest[p]));
                    if (!discarded.contains(r)) {
                        if (out.size() == maxRecords) {
                            complete = false;
                            break;
                        }
                        out.add(r);
                    }
                }
                reached.put(p, Math.max(start, o));
            }
            return new Tail(logId, out, reached, complete);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventLogException("interrupted while reading " + topic);
        } finally {
            lock.unlock();
        }
    }

    /**
     * What identifies this log to {@link EventLog.Handler#positions}: {@code memory/<topic>/<n>}, n counting the
     * logs made in this JVM, so another instance (like a topic made again) is another log.
     */
    public String logId() {
        return logId;
    }

    private long end(int partition) {
        return earliest[partition] + partitions.get(partition).size();
    }

    @Override
    public List<BrokerCheck> test(List<String> brokers, Duration timeout) {
        return brokers.stream().map(b -> new BrokerCheck(b, false, 0, "an in-memory event log has no brokers")).toList();
    }

    @Override
    public LogStatus describe(Duration timeout) {
        List<LogStatus.Partition> parts = new ArrayList<>();
        for (int p = 0; p < partitionCount; p++) {
            parts.add(new LogStatus.Partition(p, 0, List.of(0), List.of(0)));
        }
        return new LogStatus(true, BROKERS, topic, List.of(BROKERS), true, 1, 1, parts, "");
    }

    /** Closes every subscription (each bounded by the close time-out); appends fail from now on. */
    @Override
    public void close() {
        List<MemorySubscription> subs;
        lock.lock();
        try {
            closed = true;
            subs = new ArrayList<>(live);
        } finally {
            lock.unlock();
        }
        subs.forEach(MemorySubscription::close);
    }

    // --- subscriptions ------------------------------------------------------------------------------------

    @Override
    public Subscription subscribe(String group, Handler handler) {
        Objects.requireNonNull(handler, "handler");
        if (group == null || group.isBlank()) {
            throw new IllegalArgumentException("a subscription needs a group name");
        }
        MemorySubscription s;
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("the in-memory event log " + topic + " is closed");
            }
            Group g = groups.computeIfAbsent(group.trim(), k -> new Group());
            s = new MemorySubscription(group.trim(), g, handler,
                    "memory-event-log-" + topic + "-" + group.trim() + "-" + sequence.incrementAndGet());
            g.members.add(s);
            live.add(s);
            changed.signalAll(); // the other members give up the partitions that are now the new one's
        } finally {
            lock.unlock();
        }
        s.thread.start();
        return s;
    }

    /** A consumer group: its members (in the order they subscribed), who owns which partition, its positions. */
    private static final class Group {
        final List<MemorySubscription> members = new ArrayList<>();
        final Map<Integer, MemorySubscription> owner = new HashMap<>();
        final Map<Integer, Long> committed = new HashMap<>();
    }

    /** What a subscription thread does next, outside the lock. */
    private sealed interface Step permits AskPositions, ReportLost, Hand {
    }

    private record AskPositions(Set<Integer> partitions) implements Step {
    }

    private record ReportLost(int partition, long lostOffset, long earliestOffset) implements Step {
    }

    private record Hand(List<LogRecord> batch) implements Step {
    }

    private final class MemorySubscription implements Subscription {

        final String group;
        final Group g;
        final Handler handler;
        final Thread thread;

        // guarded by lock
        final TreeSet<Integer> owned = new TreeSet<>();
        /** Owned partitions whose start {@link Handler#positions} has not answered yet. */
        final TreeSet<Integer> unpositioned = new TreeSet<>();
        /** Per owned partition with a start: the offset of the next record to hand over. */
        final Map<Integer, Long> position = new HashMap<>();
        /** The partition the next batch starts with (partitions take turns). */
        int turn;
        boolean closing;

        volatile boolean idle;
        volatile long lag = -1;

        MemorySubscription(String group, Group g, Handler handler, String threadName) {
            this.group = group;
            this.g = g;
            this.handler = handler;
            this.thread = new Thread(this::run, threadName);
            this.thread.setDaemon(true);
        }

        @Override
        public long lag() {
            return lag;
        }

        @Override
        public void idle(boolean idle) {
            lock.lock();
            try {
                this.idle = idle;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean idle() {
            return idle;
        }

        @Override
        public void close() {
            lock.lock();
            try {
                if (closing) {
                    return;
                }
                closing = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (Thread.currentThread() == thread) {
                return; // a handler closing its own subscription: the thread ends after it returned
            }
            try {
                thread.join(closeTimeoutMillis);
                if (thread.isAlive()) {
                    LOG.warn("Subscription of group {} did not stop within {} ms (handler still running?): interrupting it",
                            group, closeTimeoutMillis);
                    thread.interrupt();
                    thread.join(1000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void run() {
            try {
                for (Step step = next(); step != null; step = next()) {
                    if (!perform(step)) {
                        backoff();
                    }
                }
            } finally {
                leave();
            }
        }

        /** Waits (under the lock) until there is something to do; null once closing. */
        private Step next() {
            lock.lock();
            try {
                while (!closing) {
                    rebalance();
                    if (!unpositioned.isEmpty()) {
                        lag = -1;
                        return new AskPositions(Collections.unmodifiableSet(new TreeSet<>(unpositioned)));
                    }
                    if (idle) {
                        lag = -1; // like a paused Kafka partition: nothing fetched, so no lost position seen either
                    } else {
                        for (int p : owned) {
                            long at = position.get(p);
                            if (at < earliest[p] || at > end(p)) {
                                return new ReportLost(p, at, earliest[p]);
                            }
                        }
                        List<LogRecord> batch = take();
                        if (!batch.isEmpty()) {
                            return new Hand(batch);
                        }
                    }
                    changed.awaitUninterruptibly();
                }
                return null;
            } finally {
                lock.unlock();
            }
        }

        /** Gives up the partitions that are now another member's; takes the free ones that are now this one's. */
        private void rebalance() {
            int members = g.members.size();
            int me = g.members.indexOf(this);
            for (int p = 0; p < partitionCount; p++) {
                boolean mine = p % members == me;
                MemorySubscription holder = g.owner.get(p);
                if (!mine && holder == this) {
                    release(p);
                    changed.signalAll();
                } else if (mine && holder == null) {
                    g.owner.put(p, this);
                    owned.add(p);
                    unpositioned.add(p);
                }
            }
        }

        private void release(int p) {
            g.owner.remove(p);
            owned.remove(p);
            unpositioned.remove(p);
            position.remove(p);
        }

        /** The next batch from the owned partitions' positions (nothing moves yet); sets the lag. */
        private List<LogRecord> take() {
            List<LogRecord> batch = new ArrayList<>();
            List<Integer> order = new ArrayList<>(owned.tailSet(turn, true));
            order.addAll(owned.headSet(turn, false));
            long behind = 0;
            boolean first = true;
            for (int p : order) {
                List<LogRecord> records = partitions.get(p);
                int from = (int) (position.get(p) - earliest[p]);
                int taken = 0;
                int i = from;
                // as a read_committed Kafka consumer: nothing past an undecided record, discarded ones skipped
                for (; i < records.size() && !undecided.contains(records.get(i)) && batch.size() < maxBatch; i++) {
                    if (!discarded.contains(records.get(i))) {
                        batch.add(records.get(i));
                        taken++;
                    }
                }
                if (taken > 0 && first) {
                    turn = p + 1; // the next batch starts with the next partition
                    first = false;
                }
                behind += records.size() - i;
            }
            lag = behind;
            return List.copyOf(batch);
        }

        /** Calls the handler (no lock held) and records the outcome; false when it threw. */
        private boolean perform(Step step) {
            try {
                if (step instanceof AskPositions a) {
                    Map<Integer, Long> answer = handler.positions(logId, a.partitions());
                    positioned(a.partitions(), answer == null ? Map.of() : answer);
                } else if (step instanceof ReportLost l) {
                    handler.positionLost(l.partition(), l.lostOffset(), l.earliestOffset());
                    restartAtEarliest(l);
                } else if (step instanceof Hand h) {
                    handler.handle(h.batch());
                    commit(h.batch());
                }
                return true;
            } catch (Throwable t) {
                if (t instanceof VirtualMachineError e) {
                    throw e;
                }
                LOG.warn("Handler of group {} failed on {}: {}; again in {} ms", group, describe(step), t.toString(),
                        backoffNanos / 1_000_000, t);
                return false;
            }
        }

        private void positioned(Set<Integer> asked, Map<Integer, Long> answer) {
            lock.lock();
            try {
                for (int p : asked) {
                    if (!unpositioned.remove(p)) {
                        continue; // given to another member meanwhile
                    }
                    Long at = answer.get(p);
                    if (at == null) {
                        at = g.committed.get(p);
                    }
                    if (at == null) {
                        at = earliest[p];
                        g.committed.put(p, at); // as Kafka: a group's first position is stored at once
                    }
                    position.put(p, at);
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        private void restartAtEarliest(ReportLost l) {
            lock.lock();
            try {
                Long at = position.get(l.partition());
                if (owned.contains(l.partition()) && at != null && at == l.lostOffset()) {
                    position.put(l.partition(), l.earliestOffset());
                    g.committed.put(l.partition(), l.earliestOffset());
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }

        private void commit(List<LogRecord> batch) {
            lock.lock();
            try {
                Map<Integer, Long> next = new TreeMap<>();
                for (LogRecord r : batch) {
                    next.put(r.partition(), r.offset() + 1);
                }
                next.forEach((p, at) -> {
                    if (owned.contains(p)) { // always: only this thread gives a partition up
                        position.put(p, at);
                        g.committed.put(p, at);
                    }
                });
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** Waits the back-off; ends early on close. */
        private void backoff() {
            Thread.interrupted(); // a handler's interrupt is not a close (close sets closing first)
            lock.lock();
            try {
                long left = backoffNanos;
                while (!closing && left > 0) {
                    left = changed.awaitNanos(left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // only close interrupts, after closing was set
            } finally {
                lock.unlock();
            }
        }

        private void leave() {
            lock.lock();
            try {
                closing = true;
                g.members.remove(this);
                for (int p : new ArrayList<>(owned)) {
                    release(p);
                }
                live.remove(this);
                lag = -1;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        private String describe(Step step) {
            if (step instanceof AskPositions a) {
                return "positions of partitions " + a.partitions();
            }
            if (step instanceof ReportLost l) {
                return "the lost position " + l.lostOffset() + " of partition " + l.partition();
            }
            List<LogRecord> batch = ((Hand) step).batch();
            return batch.size() + " records from " + batch.get(0).partition() + "@" + batch.get(0).offset();
        }

        @Override
        public String toString() {
            return "MemorySubscription[" + group + " on " + topic + "]";
        }
    }

    @Override
    public String toString() {
        return "MemoryEventLog[" + topic + ", " + partitionCount + " partitions]";
    }
}
