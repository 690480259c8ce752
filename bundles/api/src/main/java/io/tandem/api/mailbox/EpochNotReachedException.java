package io.tandem.api.mailbox;

import java.util.UUID;

/**
 * A local change under an ownership epoch newer than this copy has reached: the account was promoted to
 * this node and the copy has not yet applied everything up to the promotion marker. Temporary: the
 * change can be retried once the copy {@linkplain MailboxStore#adoptEpoch adopted} the epoch.
 */
public class EpochNotReachedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public EpochNotReachedException(UUID accountId, long current, long got) {
        super("mailbox of " + accountId + " is at epoch " + current + ", not yet at epoch " + got
                + " (promotion in progress: the copy is catching up)");
    }
}
