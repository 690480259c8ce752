package io.tandem.api.mailbox;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A whole mailbox at one change sequence: what a new replica starts from (initial sync). Restoring it
 * gives a copy whose {@link MailboxStore#checksum checksum} equals the source's at {@code sequence}.
 *
 * @param itemId the item id counter (the last allocated id)
 */
public record MailboxSnapshot(UUID accountId, long epoch, long sequence, long itemId, List<Folder> folders,
                              List<Message> messages) {

    public MailboxSnapshot {
        Objects.requireNonNull(accountId, "accountId");
        if (sequence < 1) {
            throw new IllegalArgumentException("snapshot sequence " + sequence + " is not >= 1");
        }
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch " + epoch + " is negative");
        }
        folders = List.copyOf(folders);
        messages = List.copyOf(messages);
    }
}
