package io.tandem.api.mailbox;

/**
 * The body of one mailbox transaction, run by {@link MailboxStore#execute}: it makes its changes through
 * the {@link MailboxTransaction}, which allocates ids, validates, writes and records each operation.
 * Throwing rolls the whole transaction back.
 */
@FunctionalInterface
public interface Mutation {

    void run(MailboxTransaction tx);
}
