package io.tandem.api.mailbox;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The mailbox metadata of this Mailstore's accounts. Methods that name an account whose mailbox does not
 * exist here throw {@link MailboxNotFoundException}.
 */
public interface MailboxStore {

    /**
     * Creates an account's mailbox with its {@link Folder#systemFolders() system folders}, as change
     * sequence 1 (passed to the {@link MailboxChangeHook hooks} like any other change), under epoch 0.
     *
     * @throws IllegalArgumentException the mailbox exists already
     */
    default MailboxInfo create(UUID accountId) {
        return create(accountId, 0);
    }

    /** {@link #create(UUID)} under the given ownership epoch. */
    MailboxInfo create(UUID accountId, long epoch);

    Optional<MailboxInfo> info(UUID accountId);

    /** All folders, by id. */
    List<Folder> folders(UUID accountId);

    /**
     * A page of a folder's messages, newest first (by arrival time, then item id).
     *
     * @throws IllegalArgumentException the folder does not exist, or offset/limit are out of range
     */
    List<Message> messages(UUID accountId, long folderId, int offset, int limit);

    /** Messages whose subject, from or to contain {@code text}, ignoring case; newest first. */
    List<Message> search(UUID accountId, String text, int limit);

    Optional<Message> message(UUID accountId, long itemId);

    /**
     * The single path of every local change: runs {@code mutation} in one transaction, allocating ids,
     * validating and writing its operations, increments the mailbox's sequence by exactly one, calls every
     * {@link MailboxChangeHook} with the change, then commits.
     *
     * @param epoch the ownership epoch the caller holds; lower than the mailbox's last epoch is refused
     * @return the committed change, with the ids it allocated
     * @throws IllegalArgumentException an invalid operation (nothing is changed), or no operation at all
     * @throws StaleEpochException      {@code epoch} is older than the mailbox's
     * @throws RuntimeException         whatever a hook threw (nothing is changed)
     */
    MailboxChange execute(UUID accountId, long epoch, Mutation mutation);

    /**
     * Applies a change made on another copy (replicas), exactly once, atomically with the new sequence.
     * Sequence 1 creates the mailbox.
     *
     * @return {@code true} if applied, {@code false} if skipped because its sequence was already applied
     * @throws SequenceGapException     the change is not the next one (nothing is changed)
     * @throws StaleEpochException      the change's epoch is older than the last applied one
     * @throws IllegalArgumentException an operation does not fit this copy (nothing is changed)
     */
    boolean apply(MailboxChange change);

    /**
     * A digest of the mailbox's content (folders, messages with their flags and tags, the sequence and the
     * item id counter) that does not depend on the order things were written in: two copies with equal
     * checksums hold the same mailbox. Lowercase hexadecimal SHA-256.
     */
    String checksum(UUID accountId);

    /** Deletes the mailbox and all its metadata (not the blobs). */
    void delete(UUID accountId);
}
