package io.tandem.api.mailbox;

/**
 * Whiteboard service: called by the {@link MailboxStore} with every local change, inside its transaction,
 * after the change was written and before it commits. If a hook throws, the transaction rolls back
 * (nothing is written, the sequence does not move) and {@link MailboxStore#execute} throws that exception.
 * Replication uses this to have the event acknowledged by the event stream before the client is.
 *
 * <p>The mailbox is locked while hooks run (the next change of the same mailbox waits), so hooks see the
 * changes of a mailbox in sequence order; they should be quick and must not call back into the store for
 * the same mailbox. Changes applied by {@link MailboxStore#apply} (replicas) are not passed to hooks.
 */
@FunctionalInterface
public interface MailboxChangeHook {

    /**
     * Service property naming a hook (e.g. {@code replication}). A mailbox store configured to require a
     * hook by name refuses every change while no hook of that name is registered, so a change can never
     * commit unseen by replication (e.g. while its bundle is being updated).
     */
    String NAME_PROPERTY = "tandem.hook";


    void beforeCommit(MailboxChange change);

    /**
     * {@link #beforeCommit(MailboxChange)} with the change's transaction, for a hook that writes something that
     * must commit with the change or not at all (a source's log positions, decision 0026). By default it only
     * calls {@link #beforeCommit(MailboxChange)}; stores call this one.
     */
    default void beforeCommit(MailboxChange change, Transaction transaction) {
        beforeCommit(change);
    }

    /**
     * Called once the change committed, before its caller is answered. Not called for a change that rolled
     * back, nor when the store cannot tell whether it committed. Must not throw.
     */
    default void afterCommit(MailboxChange change) {
    }

    /** What a hook may add to the transaction of the change it sees. */
    interface Transaction {

        /**
         * Stores with the change (on its mailbox, so nothing else is locked) where its source reads its own
         * changes back from after a restart: every change of this node that may be in the log and not in this
         * store is at or after {@code offset} of {@code partition} ({@link MailboxStore#sourcePositions}).
         *
         * @param log the log's identity (at most 2048 characters)
         */
        void sourcePosition(String log, int partition, long offset);
    }
}
