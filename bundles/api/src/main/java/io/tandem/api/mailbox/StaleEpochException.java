package io.tandem.api.mailbox;

import java.util.UUID;

/**
 * A change under an ownership epoch older than the one the mailbox has already seen: it comes from a
 * fenced (former) owner. Nothing was changed.
 */
public class StaleEpochException extends IllegalStateException {

    private static final long serialVersionUID = 1L;
    private final UUID accountId;
    private final long current;
    private final long got;

    public StaleEpochException(UUID accountId, long current, long got) {
        super("mailbox of " + accountId + " is at epoch " + current + ", refused a change under epoch " + got);
        this.accountId = accountId;
        this.current = current;
        this.got = got;
    }

    public UUID accountId() {
        return accountId;
    }

    public long current() {
        return current;
    }

    public long got() {
        return got;
    }
}
