package io.tandem.api.mailbox;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A whole mailbox at one change sequence: what a new replica starts from (initial sync). Restoring it
 * gives a copy whose {@link MailboxStore#checksum checksum} equals the source's at {@code sequence}.
 *
 * @param itemId the item id counter (the last allocated id)
 * @param stamp  the {@linkplain MailboxChange#stamp() stamp} of the change at {@code sequence} (0: unknown)
 */
public record MailboxSnapshot(UUID accountId, long epoch, long sequence, long itemId, List<Folder> folders,
                              List<Message> messages, long stamp) {

    /** A snapshot without the stamp of its last change (0: unknown). */
    public MailboxSnapshot(UUID accountId, long epoch, long sequence, long itemId, List<Folder> folders,
                           List<Message> messages) {
        this(accountId, epoch, sequence, itemId, folders, messages, 0);
    }

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
