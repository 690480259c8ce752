package io.tandem.api.replication;

import java.time.Duration;
import java.util.List;

/**
 * A durable, partitioned, ordered log of keyed records: records with the same key keep their order (they
 * share a partition). Replication writes one record per mailbox change, keyed by account id.
 *
 * <p>The log's brokers come from the directory's global {@code brokers} setting; while it is unset the log
 * is {@linkplain #enabled() disabled} and {@link #append} fails with a message saying so.
 */
@org.osgi.annotation.versioning.ProviderType
public interface EventLog {

    /** Whether replication is enabled (the global {@code brokers} is set). */
    boolean enabled();

    /** Whether the last exchange with the brokers succeeded. */
    boolean connected();

    /** The brokers in use ("" when disabled), and the topic. */
    String brokers();

    String topic();

    /**
     * Appends a record and waits until the log acknowledged it durably (every in-sync replica) and made it
     * visible to subscribers: {@link #prepare} and {@link Prepared#commit()} in one call.
     *
     * @return where it was written
     * @throws EventLogException not appended; when the message says the outcome is unknown, the record may
     *                           still become visible
     */
    default LogRecord append(String key, byte[] value) {
        return appendAll(java.util.Map.of(key, value)).get(0);
    }

    /**
     * Appends several records (key to value, in the map's order) atomically, as {@link #append}: all of them
     * become visible, or none. Sent together, so many records cost about one round trip, not one each.
     *
     * @return where each was written, in order
     */
    default List<LogRecord> appendAll(java.util.Map<String, byte[]> records) {
        Prepared prepared = prepare(records);
        prepared.commit();
        return prepared.records();
    }

    /**
     * The first step of an append that can still be withdrawn: writes the records (key to value, in the
     * map's order) durably but invisible to every subscriber, and returns where they are. They become visible,
     * all of them and in their place in the log, only when {@link Prepared#commit()} succeeds; after
     * {@link Prepared#abort()}, a failure, the writer's death or {@link #fence} of this node, no subscriber ever
     * sees them. A subscriber does not read past a prepared record of a partition until it is decided (records
     * after it wait), so the log's order is the order records were prepared in.
     *
     * <p>This is how a source appends a change and only then decides whether it may acknowledge it (it still
     * owns the account): a change it rolls back can never reach a replica (docs/decisions/0024).
     *
     * @throws EventLogException nothing was prepared (and nothing will become visible)
     */
    Prepared prepare(java.util.Map<String, byte[]> records);

    /**
     * Fences the writer of another node, for a promotion of its accounts while it is gone: records it prepared
     * and had not committed are discarded now (subscribers no longer wait for them), and a later commit of
     * theirs fails. The node's next writes work again (a restarted writer fences its own former self).
     *
     * @throws EventLogException the log could not be told (its subscribers then wait until the log discards the
     *                           fenced node's open records by itself, after at most the transaction time-out)
     */
    void fence(String node, Duration timeout);

    /** Records {@linkplain #prepare prepared} and not yet decided. */
    @org.osgi.annotation.versioning.ProviderType
    interface Prepared {

        /** Where the records are, in the order they were given. */
        List<LogRecord> records();

        /**
         * The identity of the log the records are in (as {@link Handler#positions} and {@link #read} name it), so
         * a position stored with them is never read against another log; {@code null} when it cannot say.
         */
        default String log() {
            return null;
        }

        /**
         * Makes the records visible; when it returns they are in the log for good.
         *
         * @throws EventLogException not committed: the records are discarded, unless the message says the
         *                           outcome is unknown ({@link EventLogException#outcomeUnknown()})
         */
        void commit();

        /** Withdraws the records: no subscriber will ever see them. Never throws; does nothing after a commit. */
        void abort();
    }

    /**
     * Reads the committed records of some partitions, each from its given offset up to the end the log had
     * when the call began, including records then still undecided once they are decided (it waits for them):
     * what a subscriber would be handed, at once and without a group. Before it reads, this node's own former
     * writer (this node before a restart) is settled: nothing it committed can become visible after the read.
     * This is how a restarted source finds the changes it committed to the log and not to its database
     * (docs/decisions/0026).
     *
     * @param from       partition to the first offset to read (an offset before the earliest one still held reads
     *                   from the earliest)
     * @param maxRecords at most this many records are returned; then {@link Tail#complete()} is false and
     *                   {@link Tail#end()} says where to read on
     * @throws EventLogException the log cannot be read in time (nothing may be concluded from it)
     */
    default Tail read(java.util.Map<Integer, Long> from, int maxRecords, Duration timeout) {
        throw new EventLogException("this event log cannot be read back");
    }

    /**
     * What {@link #read} found.
     *
     * @param log      the identity of the log read (as {@link Prepared#log()} names it)
     * @param records  the records, per partition in log order
     * @param end      partition to the offset after the last record read: every record before it was returned
     * @param complete whether every partition was read to the end (else the record limit stopped the read)
     */
    record Tail(String log, List<LogRecord> records, java.util.Map<Integer, Long> end, boolean complete) {

        public Tail {
            java.util.Objects.requireNonNull(log, "log");
            records = List.copyOf(records);
            end = java.util.Map.copyOf(end);
        }
    }

    /**
     * The identity of the log in use (the Kafka cluster id, the topic and its id), as {@link Prepared#log()} and
     * {@link Handler#positions} name it.
     *
     * @throws EventLogException the log cannot say in time
     */
    default String identity(Duration timeout) {
        throw new EventLogException("this event log has no identity");
    }

    /**
     * Starts consuming the whole topic in {@code group}: batches go to {@code handler} on one thread, in
     * log order per partition. A batch's positions are committed only after the handler returned; when it
     * throws, the same records come again after a back-off (so handlers must be idempotent). The
     * subscription survives broker changes and outages.
     */
    Subscription subscribe(String group, Handler handler);

    /**
     * Checks connectivity to {@code brokers} without changing anything in use: per broker a TCP and
     * metadata check, then a probe record produced to and consumed from a test topic.
     */
    List<BrokerCheck> test(List<String> brokers, Duration timeout);

    /**
     * Which log cluster {@code brokers} (a comma list) belong to (for Kafka: its cluster id), so a change of the
     * broker list can be told apart from a switch to another cluster. Empty when they cannot say (unreachable).
     */
    default java.util.Optional<String> clusterId(String brokers, Duration timeout) {
        return java.util.Optional.empty();
    }

    /**
     * Describes the brokers in use and the topic's partitions (replicas, in-sync replicas, leader) and its
     * {@code min.insync.replicas}. Never throws for broker failures: they come back as an unreachable status.
     * An implementation that cannot describe itself says so in an unreachable status.
     */
    default LogStatus describe(Duration timeout) {
        return LogStatus.unreachable(brokers(), topic(), "this event log cannot describe its brokers");
    }

    /** Consumes log records. */
    @org.osgi.annotation.versioning.ConsumerType
    interface Handler {

        void handle(List<LogRecord> batch) throws Exception;

        /**
         * The group's stored position in a partition is no longer in the log (retention deleted it): the
         * subscription restarts from the earliest record; what was lost must be re-initialised.
         */
        default void positionLost(int partition, long lostOffset, long earliestOffset) {
        }

        /**
         * Where the handler's own durable state says each of {@code partitions} resumes: the offset of the first
         * record it has not handled durably (for a replica copy: stored in its database in the same transaction
         * as the applied data). Asked whenever partitions are given to the subscription, before any of their
         * records is handed over; the subscription starts there, whatever the group's committed position says.
         * For a partition it returns nothing for, the group's committed position (or the earliest record) is
         * used. When it throws, those partitions stay unread and it is asked again after a back-off.
         *
         * @param log        what identifies the log the partitions belong to (for Kafka: the cluster's id, the topic's
         *                   name and the topic's id): every batch handed over after this call comes from it, until
         *                   the next call. Positions are only meaningful in the log they were read from: after a
         *                   switch to another cluster, or a topic made again, positions stored for the old log must
         *                   not be returned.
         * @param partitions the partitions just given to the subscription
         */
        default java.util.Map<Integer, Long> positions(String log, java.util.Set<Integer> partitions) {
            return java.util.Map.of();
        }
    }

    /** A running consumer. */
    interface Subscription extends AutoCloseable {

        /** Records behind the end of the log at the last poll, over all partitions (-1 unknown). */
        long lag();

        /**
         * Whether the handler has a use for records. While idle the subscription fetches nothing: it stays
         * in its group, keeps its positions and commits nothing new. When it is no longer idle it goes on
         * from where it stopped, so no record is missed; what was appended meanwhile comes first. A new
         * subscription is not idle.
         */
        void idle(boolean idle);

        /** Whether it is idle (see {@link #idle(boolean)}). */
        boolean idle();

        @Override
        void close();
    }
}
