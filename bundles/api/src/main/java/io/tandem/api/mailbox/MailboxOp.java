package io.tandem.api.mailbox;

import io.tandem.api.blob.BlobRef;

import java.util.Objects;
import java.util.Set;

/**
 * One operation of a {@link MailboxChange}, with every id it needs already allocated, so that a replica
 * applying it ends with exactly the source's state. The records validate their own values; whether an
 * operation fits the mailbox (the folder exists, the name is free ...) is checked by the store, which
 * refuses it with an {@link IllegalArgumentException} naming the value.
 */
public sealed interface MailboxOp {

    /** Creates a folder; {@code parentId} {@code null} for the top level. Names are unique among siblings, ignoring case. */
    record CreateFolder(long folderId, String name, Long parentId) implements MailboxOp {
        public CreateFolder {
            Names.id("folder id", folderId);
            Names.folderName(name);
            if (parentId != null) {
                Names.id("parent folder id", parentId);
            }
        }
    }

    /** Renames a folder (not a system folder). */
    record RenameFolder(long folderId, String name) implements MailboxOp {
        public RenameFolder {
            Names.id("folder id", folderId);
            Names.folderName(name);
        }
    }

    /** Deletes an empty folder (no message, no sub-folder) that is not a system folder. */
    record DeleteFolder(long folderId) implements MailboxOp {
        public DeleteFolder {
            Names.id("folder id", folderId);
        }
    }

    /** Adds a message whose body is already stored as {@code blob}. */
    record AddMessage(long itemId, long folderId, BlobRef blob, long size, long receivedMillis,
                      String subject, String from, String to, Set<String> flags, Set<String> tags) implements MailboxOp {
        public AddMessage {
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

        /** The message this operation adds. */
        public Message message() {
            return new Message(itemId, folderId, blob, size, receivedMillis, subject, from, to, flags, tags);
        }
    }

    /** Replaces a message's flags. */
    record SetFlags(long itemId, Set<String> flags) implements MailboxOp {
        public SetFlags {
            Names.id("item id", itemId);
            flags = Names.keywords("flag", flags);
        }
    }

    /** Replaces a message's tags. */
    record SetTags(long itemId, Set<String> tags) implements MailboxOp {
        public SetTags {
            Names.id("item id", itemId);
            tags = Names.keywords("tag", tags);
        }
    }

    /** Moves a message to another folder. */
    record MoveMessage(long itemId, long folderId) implements MailboxOp {
        public MoveMessage {
            Names.id("item id", itemId);
            Names.id("folder id", folderId);
        }
    }

    /** Deletes a message's metadata (its blob is left to blob garbage collection). */
    record DeleteMessage(long itemId) implements MailboxOp {
        public DeleteMessage {
            Names.id("item id", itemId);
        }
    }
}
