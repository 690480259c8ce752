package io.tandem.api.mailbox;

import java.util.UUID;

/** The account has no mailbox in this store. */
public class MailboxNotFoundException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final UUID accountId;

    public MailboxNotFoundException(UUID accountId) {
        super("no mailbox for account " + accountId);
        this.accountId = accountId;
    }

    public UUID accountId() {
        return accountId;
    }
}
