package io.tandem.api.mailbox;

import io.tandem.api.blob.BlobRef;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What a {@link Mutation} may do inside one mailbox transaction. Each method validates its operation against
 * the mailbox as changed so far in this transaction (an invalid one throws {@link IllegalArgumentException}
 * naming the value, and the whole transaction is rolled back), writes it and records it in the
 * {@link MailboxChange}. Valid only during {@link Mutation#run}.
 */
public interface MailboxTransaction {

    /** @return the new folder's id */
    long createFolder(String name, Long parentId);

    void renameFolder(long folderId, String name);

    void deleteFolder(long folderId);

    /** @return the new message's item id */
    long addMessage(long folderId, BlobRef blob, long size, long receivedMillis, String subject, String from, String to,
                    Set<String> flags, Set<String> tags);

    void setFlags(long itemId, Set<String> flags);

    void setTags(long itemId, Set<String> tags);

    void moveMessage(long itemId, long folderId);

    void deleteMessage(long itemId);

    /** The folders as they are in this transaction. */
    List<Folder> folders();

    /** A message as it is in this transaction. */
    Optional<Message> message(long itemId);

    /**
     * The lowest item id of a message of this mailbox (any folder) whose body is the blob with this SHA-256
     * digest ({@link BlobRef#sha256()}, lower-case hex), as the mailbox is in this transaction; empty when there
     * is none. LMTP delivery uses it to recognise a delivery it already stored: the MTA makes every accepted
     * message's bytes unique, so the same digest in the same mailbox is the same delivery retried.
     */
    OptionalLong itemWithBlob(String sha256);
}
