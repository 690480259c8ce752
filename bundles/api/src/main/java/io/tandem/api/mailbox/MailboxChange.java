package io.tandem.api.mailbox;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What one committed transaction did to one mailbox: exactly what replication encodes and ships, and
 * what a replica {@link MailboxStore#apply applies}.
 *
 * @param epoch           the account's ownership epoch the change was made under
 * @param sequence        the mailbox's change number; the first change (the creation) is 1, each next one +1
 * @param itemId          the mailbox's item id counter after the change (last id allocated)
 * @param ops             the operations, in the order they were made, with their allocated ids; never empty
 * @param committedMillis when the source committed it, milliseconds since the epoch
 * @param stamp           a random non-zero number drawn by the source for this change, stored with the mailbox's
 *                        sequence on every copy: two changes with the same sequence and different stamps are
 *                        different changes (one was rolled back after it reached the log); 0 when unknown (a
 *                        change written by a version without stamps)
 */
public record MailboxChange(UUID accountId, long epoch, long sequence, long itemId, List<MailboxOp> ops, long committedMillis,
                            long stamp) {

    /** A change without a stamp (0: unknown). */
    public MailboxChange(UUID accountId, long epoch, long sequence, long itemId, List<MailboxOp> ops, long committedMillis) {
        this(accountId, epoch, sequence, itemId, ops, committedMillis, 0);
    }

    public MailboxChange {
        Objects.requireNonNull(accountId, "accountId");
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch " + epoch + " is negative");
        }
        if (sequence < 1) {
            throw new IllegalArgumentException("sequence " + sequence + " is not >= 1");
        }
        ops = List.copyOf(ops);
        if (ops.isEmpty()) {
            throw new IllegalArgumentException("change " + sequence + " of " + accountId + " has no operation");
        }
    }
}
