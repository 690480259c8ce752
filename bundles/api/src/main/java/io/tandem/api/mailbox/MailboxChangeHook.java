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
}
