package io.tandem.api.mailbox;

import java.util.Objects;
import java.util.UUID;

/**
 * A mailbox's identity and position.
 *
 * @param mailboxId this store's local number for the mailbox (differs between copies)
 * @param sequence  the number of the last committed (or applied) change; 1 right after creation
 * @param itemId    the last item id allocated (folders and messages share the counter)
 */
public record MailboxInfo(UUID accountId, long mailboxId, long sequence, long itemId) {

    public MailboxInfo {
        Objects.requireNonNull(accountId, "accountId");
    }
}
