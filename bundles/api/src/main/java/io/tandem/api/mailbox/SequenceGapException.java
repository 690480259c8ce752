package io.tandem.api.mailbox;

import java.util.UUID;

/**
 * A replica was given a change that is not the next one: applying it would lose the changes in between.
 * Nothing was applied; the replica of that account must stop and be marked unavailable (or re-initialised).
 */
public class SequenceGapException extends IllegalStateException {

    private static final long serialVersionUID = 1L;
    private final UUID accountId;
    private final long expected;
    private final long got;

    public SequenceGapException(UUID accountId, long expected, long got) {
        super("mailbox of " + accountId + ": expected change sequence " + expected + ", got " + got);
        this.accountId = accountId;
        this.expected = expected;
        this.got = got;
    }

    public UUID accountId() {
        return accountId;
    }

    public long expected() {
        return expected;
    }

    public long got() {
        return got;
    }
}
