package io.tandem.mailstore.internal;

import io.tandem.api.mailbox.MailboxStore;

import java.util.UUID;

/** Helpers over the mailbox store shared by LMTP delivery and the HTTP API. */
public final class Mailboxes {

    private Mailboxes() {
    }

    /**
     * Creates the account's mailbox unless it exists. Two first deliveries may race to create it: the
     * loser's failure (duplicate key, or the store's own refusal) is fine when the mailbox now exists.
     */
    public static void ensure(MailboxStore store, UUID accountId, long epoch) {
        if (store.info(accountId).isPresent()) {
            return;
        }
        try {
            store.create(accountId, epoch);
        } catch (RuntimeException e) {
            if (store.info(accountId).isEmpty()) {
                throw e;
            }
        }
    }
}
