package io.tandem.replica.kafka.internal;

import io.tandem.api.concurrent.Threads;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import io.tandem.api.replication.LogRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every write of one node to the log of one broker list, as Kafka transactions of one transactional producer
 * (docs/decisions/0024). Concurrent {@link #prepare}s are grouped: one thread takes what is queued, sends it in
 * one transaction, hands each caller where its records are and waits for every caller's decision; it commits
 * when all of them commit, otherwise it aborts and every caller is told its records were discarded. So a
 * change its source rolls back is never visible to a {@code read_committed} subscriber, and many concurrent
 * appends still cost about one transaction.
 *
 * <p>Failures: anything before the commit aborts the transaction (if even the abort fails, the producer is
 * dropped; the next one's {@code initTransactions} aborts what it left open), so those records are discarded.
 * A commit that does not complete is retried within the time-out; if it still cannot be confirmed (time-out,
 * fenced), a new producer of the same transactional id settles the transaction (Kafka completes it when
 * its commit was already logged and aborts it otherwise) and the records are read back to learn which: only
 * when that fails too is the outcome unknown.
 */
final class TransactionalWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TransactionalWriter.class);
    /** Most callers grouped into one transaction. */
    private static final int MAX_GROUP = 1000;
    /** Pause between two tries to initialise a producer while idle. */
    private static final long INIT_RETRY_MILLIS = 1000;

    enum Vote { COMMIT, ABORT }

    enum Outcome { COMMITTED, DISCARDED, UNKNOWN }

    private final String topic;
    private final String brokers;
    private final long timeoutMillis;
    private final Supplier<Producer<String, byte[]>> producers;
    private final Supplier<Consumer<String, byte[]>> readers;
    private final LinkedBlockingQueue<Member> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean healthy = true;
    /** Whether a producer of this id was initialised once: what this node's former self left open is settled. */
    private volatile boolean settled;
    /** The writer thread's producer (initialised for transactions), null until made or after it was dropped. */
    private Producer<String, byte[]> producer;

    /**
     * @param producers makes a transactional producer of this node's transactional id (not initialised)
     * @param readers   makes a {@code read_committed} consumer without a group, to read records back
     */
    TransactionalWriter(String topic, String brokers, long timeoutMillis, Supplier<Producer<String, byte[]>> producers,
                        Supplier<Consumer<String, byte[]>> readers, String threadName) {
        this.topic = topic;
        this.brokers = brokers;
        this.timeoutMillis = timeoutMillis;
        this.producers = producers;
        this.readers = readers;
        this.thread = Threads.daemon(this::run, threadName);
        this.thread.start();
    }

    /**
     * Queues the records for the next transaction and waits until they are written (invisible until
     * {@link Member#commit()}).
     *
     * @throws EventLogException not written in time, or refused: nothing of them will become visible
     */
    Member prepare(Map<String, byte[]> records, long deadlineNanos) {
        if (records.isEmpty()) {
            throw new IllegalArgumentException("nothing to append");
        }
        Member m = new Member(records, deadlineNanos);
        if (closed || !thread.isAlive()) {
            throw new EventLogException(KafkaEventLog.STOPPING);
        }
        queue.add(m);
        if (closed) { // raced close(): its final drain may have run before the add
            queue.remove(m);
            throw new EventLogException(KafkaEventLog.STOPPING);
        }
        return m.awaitWritten();
    }

    /**
     * The longest a caller's {@link Member#commit()} can wait for the writer: the rest of the group's votes, the
     * commit, then settling (a new producer and a read-back), each bounded by the time-out.
     */
    private long decisionBoundMillis() {
        return 5 * timeoutMillis + 5000;
    }

    /** Changes queued for the next transaction. */
    int waiting() {
        return queue.size();
    }

    /** Whether the last transaction's exchange with the brokers worked. */
    boolean healthy() {
        return healthy;
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.join(decisionBoundMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.warn("The log writer for {} did not stop within {} ms", brokers, decisionBoundMillis());
            thread.interrupt();
        }
    }

    // --- the writer thread ---------------------------------------------------------------------------------

    private void run() {
        long nextInit = 0;
        try {
            while (!closed) {
                if (producer == null && queue.isEmpty() && System.nanoTime() - nextInit >= 0) {
                    // at once, not at the first write: a transaction this node left open (it was killed, or an abort
                    // failed) blocks every read_committed reader of its partitions until it is settled
                    nextInit = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(INIT_RETRY_MILLIS);
                    try {
                        producer = initialisedProducer();
                    } catch (RuntimeException e) {
                        LOG.debug("Initialising the transactional producer at {} failed", brokers, e);
                    }
                }
                Member first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                List<Member> group = new ArrayList<>();
                group.add(first);
                queue.drainTo(group, MAX_GROUP - 1);
                group.removeIf(Member::withdrawnBeforeWritten); // their callers gave up waiting: nothing to write
                if (group.isEmpty()) {
                    continue;
                }
                try {
                    transaction(group);
                } catch (RuntimeException | LinkageError e) {
                    // never lose the thread: those callers are told, the next group starts with a fresh producer
                    LOG.error("A log transaction at {} failed unexpectedly", brokers, e);
                    dropProducer(Duration.ZERO);
                    group.forEach(m -> m.failedUnexpectedly("the log writer failed unexpectedly (" + e
                            + "); the records may or may not be in the log"));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            List<Member> left = new ArrayList<>();
            queue.drainTo(left);
            left.forEach(m -> m.notWritten(KafkaEventLog.STOPPING));
            dropProducer(Duration.ofMillis(timeoutMillis));
        }
    }

    private void transaction(List<Member> group) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        List<List<LogRecord>> written;
        try {
            try {
                written = write(group, deadline);
            } catch (Exception e) {
                if (!fenced(e) || e instanceof InterruptedException) {
                    throw e;
                }
                // this node's producer was fenced while it waited (a promotion of its accounts while it seemed gone,
                // or a writer of the same id): a fenced producer writes nothing, so the group goes to a new one
                LOG.info("The log writer at {} was fenced: writing with a new producer", brokers);
                dropProducer(Duration.ZERO);
                written = write(group, deadline);
            }
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            healthy = false;
            LOG.debug("Writing a transaction of {} append(s) to {} at {} failed", group.size(), topic, brokers, e);
            abort();
            String why = "append to topic " + topic + " at " + brokers + " failed: " + Failures.reason(e, timeoutMillis)
                    + "; nothing of it will be in the log";
            group.forEach(m -> m.notWritten(why));
            return;
        }
        for (int i = 0; i < group.size(); i++) {
            group.get(i).written(written.get(i)); // only now: a second try must not hand out positions twice
        }
        boolean all = true;
        for (Member m : group) {
            if (m.awaitVote() != Vote.COMMIT) {
                all = false; // no need to wait for the others: the group is aborted
                break;
            }
        }
        if (!all) {
            abort();
            group.forEach(m -> m.decided(Outcome.DISCARDED, m.vote() == Vote.ABORT ? "withdrawn"
                    : "another append of the same log transaction was withdrawn: nothing of it is in the log; try again"));
            return;
        }
        Outcome outcome = commit(group.get(0).records().get(0));
        String why = switch (outcome) {
            case COMMITTED -> "";
            case DISCARDED -> "the log discarded the transaction (this node's writer was fenced: a promotion of its accounts"
                    + " elsewhere, or a time-out): nothing of it is in the log";
            case UNKNOWN -> "the log did not confirm the commit of the transaction and cannot be asked: the records may"
                    + " or may not be in the log";
        };
        group.forEach(m -> m.decided(outcome, why));
    }

    /** Begins a transaction and sends the group's records in it; where each member's records are. */
    private List<List<LogRecord>> write(List<Member> group, long deadline) throws Exception {
        if (producer == null) {
            producer = initialisedProducer();
        }
        KafkaLoader.run(producer::beginTransaction);
        List<List<Future<RecordMetadata>>> sent = new ArrayList<>(group.size());
        KafkaLoader.run(() -> {
            for (Member m : group) {
                List<Future<RecordMetadata>> fs = new ArrayList<>(m.records.size());
                m.records.forEach((k, v) -> fs.add(producer.send(new ProducerRecord<>(topic, k, v))));
                sent.add(fs);
            }
        });
        List<List<LogRecord>> out = new ArrayList<>(group.size());
        for (int i = 0; i < group.size(); i++) {
            List<LogRecord> written = new ArrayList<>(group.get(i).records.size());
            int j = 0;
            for (Map.Entry<String, byte[]> e : group.get(i).records.entrySet()) {
                RecordMetadata md = sent.get(i).get(j++).get(remaining(deadline), TimeUnit.MILLISECONDS);
                written.add(new LogRecord(e.getKey(), e.getValue(), md.partition(), md.offset(), md.timestamp()));
            }
            out.add(written);
        }
        return out;
    }

    /** Whether {@code e} says this producer was fenced by a newer one of its transactional id. */
    private static boolean fenced(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.apache.kafka.common.errors.ProducerFencedException
                    || t instanceof org.apache.kafka.common.errors.InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    /** Commits the open transaction; when that cannot be confirmed, settles it and reads back which it was. */
    private Outcome commit(LogRecord probe) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        Exception last;
        while (true) {
            try {
                KafkaLoader.run(producer::commitTransaction);
                healthy = true;
                return Outcome.COMMITTED;
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                last = e; // the same call may be made again to complete the commit
                if (System.nanoTime() >= deadline) {
                    break;
                }
            } catch (RuntimeException e) {
                last = e; // fenced, or another fatal error: the producer cannot say
                break;
            }
        }
        healthy = false;
        LOG.warn("The commit of a log transaction to {} at {} was not confirmed ({}): settling it", topic, brokers,
                Failures.reason(last, timeoutMillis));
        return settle(probe);
    }

    /**
     * A new producer of the same transactional id makes the broker finish the transaction (committed if its
     * commit was logged, aborted otherwise); then the first record is read back with {@code read_committed}.
     */
    private Outcome settle(LogRecord r) {
        dropProducer(Duration.ZERO);
        try {
            producer = initialisedProducer();
            boolean visible = KafkaLoader.call(() -> readBack(r));
            LOG.warn("The log transaction with {}@{} was {}", r.partition(), r.offset(), visible ? "committed" : "discarded");
            return visible ? Outcome.COMMITTED : Outcome.DISCARDED;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.error("Cannot settle a log transaction at {}: its records may or may not be in the log", brokers, e);
            dropProducer(Duration.ZERO);
            return Outcome.UNKNOWN;
        }
    }

    /**
     * A new producer of this node's transactional id, initialised: that fences the id's former producer (this
     * node before a restart, or before it was dropped) and settles the transaction it left open.
     */
    private Producer<String, byte[]> initialisedProducer() {
        Producer<String, byte[]> p = KafkaLoader.get(producers);
        try {
            KafkaLoader.run(p::initTransactions);
        } catch (RuntimeException e) {
            KafkaLoader.run(() -> p.close(Duration.ZERO));
            throw e;
        }
        if (!settled) {
            synchronized (this) {
                settled = true;
                notifyAll();
            }
        }
        return p;
    }

    /**
     * Waits until a producer of this writer's id was initialised once (at the writer's start, or by its first
     * transaction): a transaction this id left open before (this node before a restart) is then committed or
     * aborted for good.
     *
     * @return whether it was, before the deadline
     */
    boolean awaitSettled(long deadlineNanos) throws InterruptedException {
        synchronized (this) {
            while (!settled) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0 || closed) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(200)));
            }
            return true;
        }
    }

    /** Whether {@code r} is visible to {@code read_committed} readers (the transaction is settled). */
    private boolean readBack(LogRecord r) {
        TopicPartition tp = new TopicPartition(topic, r.partition());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try (Consumer<String, byte[]> c = readers.get()) {
            c.assign(List.of(tp));
            c.seek(tp, r.offset());
            while (c.position(tp, Duration.ofMillis(remaining(deadline))) <= r.offset()) {
                for (ConsumerRecord<String, byte[]> cr : c.poll(Duration.ofMillis(Math.min(500, remaining(deadline))))) {
                    if (cr.offset() == r.offset()) {
                        return true;
                    }
                }
                if (System.nanoTime() >= deadline) {
                    throw new EventLogException("reading " + tp + " back from " + r.offset() + " took longer than " + timeoutMillis + " ms");
                }
            }
            return false; // read past it without seeing it: discarded
        }
    }

    private void abort() {
        if (producer == null) {
            return;
        }
        try {
            KafkaLoader.run(producer::abortTransaction);
        } catch (RuntimeException e) {
            // the next producer's initTransactions aborts what this one left open
            LOG.debug("Aborting a log transaction at {} failed: dropping the producer", brokers, e);
            dropProducer(Duration.ZERO);
        }
    }

    private void dropProducer(Duration timeout) {
        Producer<String, byte[]> p = producer;
        producer = null;
        if (p != null) {
            try {
                KafkaLoader.run(() -> p.close(timeout));
            } catch (RuntimeException e) {
                LOG.debug("Closing a producer of {} failed", brokers, e);
            }
        }
    }

    private static long remaining(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    /** One caller's records in a transaction: written, then decided by its caller, then committed or discarded. */
    final class Member implements EventLog.Prepared {

        final Map<String, byte[]> records;
        private final long deadlineNanos;
        /** Until when the writer waits for the caller's decision: the time-out from when the records were written. */
        private long voteDeadlineNanos;
        private List<LogRecord> written;
        private String notWritten;
        private Vote vote;
        private Outcome outcome;
        private String why;

        Member(Map<String, byte[]> records, long deadlineNanos) {
            Map<String, byte[]> copy = new LinkedHashMap<>();
            records.forEach((k, v) -> copy.put(Objects.requireNonNull(k, "key"), Objects.requireNonNull(v, "value")));
            this.records = copy;
            this.deadlineNanos = deadlineNanos;
        }

        synchronized Member awaitWritten() {
            try {
                while (written == null && notWritten == null) {
                    long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        vote = Vote.ABORT; // the writer drops it or aborts its transaction
                        notifyAll();
                        throw new EventLogException("append to topic " + topic + " at " + brokers + " not acknowledged within "
                                + timeoutMillis + " ms; nothing of it will be in the log");
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                vote = Vote.ABORT;
                notifyAll();
                throw new EventLogException("append to topic " + topic + " interrupted; nothing of it will be in the log");
            }
            if (notWritten != null) {
                throw new EventLogException(notWritten);
            }
            return this;
        }

        synchronized boolean withdrawnBeforeWritten() {
            return vote == Vote.ABORT;
        }

        synchronized void written(List<LogRecord> records) {
            this.written = List.copyOf(records);
            this.voteDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
            notifyAll();
        }

        synchronized void notWritten(String reason) {
            this.notWritten = reason;
            this.outcome = Outcome.DISCARDED;
            this.why = reason;
            notifyAll();
        }

        synchronized Vote vote() {
            return vote;
        }

        /** The caller's decision, ABORT when it did not decide in time (the writer thread). */
        synchronized Vote awaitVote() {
            try {
                while (vote == null) {
                    long left = voteDeadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        LOG.warn("An append to {} was neither committed nor withdrawn within {} ms: withdrawn", topic, timeoutMillis);
                        vote = Vote.ABORT;
                        break;
                    }
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                vote = Vote.ABORT;
            }
            return vote;
        }

        synchronized void failedUnexpectedly(String reason) {
            if (written == null && notWritten == null) {
                notWritten = reason;
            }
            if (outcome == null) {
                outcome = Outcome.UNKNOWN;
                why = reason;
            }
            notifyAll();
        }

        synchronized void decided(Outcome o, String reason) {
            this.outcome = o;
            this.why = reason;
            notifyAll();
        }

        @Override
        public List<LogRecord> records() {
            return written;
        }

        @Override
        public void commit() {
            synchronized (this) {
                if (vote == Vote.ABORT && outcome == null) {
                    throw new EventLogException("append to topic " + topic + " was withdrawn; nothing of it will be in the log");
                }
                vote = Vote.COMMIT;
                notifyAll();
                // the writer thread decides within its bounds (commit, then settle); this bound only guards against its loss.
                // Uninterruptible: once committing, giving up would only turn a known outcome into an unknown one.
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(decisionBoundMillis());
                boolean interrupted = false;
                try {
                    while (outcome == null) {
                        long left = deadline - System.nanoTime();
                        if (left <= 0) {
                            throw new EventLogException("the log writer for " + brokers + " did not decide an append within "
                                    + decisionBoundMillis() + " ms: it may or may not be in the log", null, true);
                        }
                        try {
                            TimeUnit.NANOSECONDS.timedWait(this, left);
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                } finally {
                    if (interrupted) {
                        Thread.currentThread().interrupt();
                    }
                }
                switch (outcome) {
                    case COMMITTED -> {
                        return;
                    }
                    case DISCARDED -> throw new EventLogException(why);
                    default -> throw new EventLogException(why, null, true);
                }
            }
        }

        @Override
        public synchronized void abort() {
            if (vote == null) {
                vote = Vote.ABORT;
                notifyAll();
            }
        }
    }
}
