package io.tandem.api.mailbox;

import java.util.UUID;

/**
 * A replica was given a change under a sequence it already applied, and the two are different changes
 * (their {@linkplain MailboxChange#stamp() stamps} differ): the one it applied reached the log but was
 * rolled back on the source, which then made another change under the same sequence. The copy holds a
 * change its source does not have and will never get the one it has: it must be re-initialised from a
 * snapshot. Nothing of the refused change was applied.
 */
public class ChangeConflictException extends IllegalStateException {

    private static final long serialVersionUID = 1L;
    private final UUID accountId;
    private final long sequence;

    public ChangeConflictException(UUID accountId, long sequence, long applied, long offered) {
        super("mailbox of " + accountId + ": change " + sequence + " was applied as " + Long.toHexString(applied)
                + " but the source's change " + sequence + " is " + Long.toHexString(offered)
                + " (a change the source rolled back reached the log)");
        this.accountId = accountId;
        this.sequence = sequence;
    }

    public UUID accountId() {
        return accountId;
    }

    public long sequence() {
        return sequence;
    }
}
