package io.tandem.api.mailbox;

import io.tandem.api.blob.BlobRef;

import java.util.Objects;
import java.util.Set;

/**
 * The summary of a message as the store keeps it: where its body is ({@code blob}), its folder, size,
 * arrival time, the header fields shown in lists, and its flags (e.g. {@code \Seen}) and tags
 * (user keywords). Flags and tags are sorted, immutable sets; {@code null} summary fields become "",
 * longer ones are cut at 4000 characters.
 *
 * @param size           size of the message in bytes (the blob may be stored compressed)
 * @param receivedMillis arrival time, milliseconds since the epoch
 */
public record Message(long itemId, long folderId, BlobRef blob, long size, long receivedMillis,
                      String subject, String from, String to, Set<String> flags, Set<String> tags) {

    public Message {
        Names.id("item id", itemId);
        Names.id("folder id", folderId);
        Objects.requireNonNull(blob, "blob");
        if (size < 0) {
            throw new IllegalArgumentException("message size " + size + " is negative");
        }
        subject = Names.text(subject);
        from = Names.text(from);
        to = Names.text(to);
        flags = Names.keywords("flag", flags);
        tags = Names.keywords("tag", tags);
    }
}
