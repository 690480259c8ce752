package io.tandem.api.mailbox;

import org.osgi.annotation.versioning.ProviderType;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The mailbox metadata of this Mailstore's accounts. Methods that name an account whose mailbox does not
 * exist here throw {@link MailboxNotFoundException}.
 */
@ProviderType // implemented by the Mailstore database only: methods may be added in minor versions
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

    /** Every mailbox held here (primaries and replica copies), by account id. */
    List<MailboxInfo> mailboxes();

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
     * @throws EpochNotReachedException {@code epoch} is newer than the mailbox's (a promotion is completing)
     * @throws RuntimeException         whatever a hook threw (nothing is changed)
     */
    MailboxChange execute(UUID accountId, long epoch, Mutation mutation);

    /**
     * Reads the whole mailbox under its lock and hands it to {@code whileLocked} before releasing the lock:
     * no change can commit in between, so whatever {@code whileLocked} writes (the snapshot, to the event
     * log) is ordered with the changes before and after it.
     *
     * @throws MailboxNotFoundException there is no such mailbox
     * @throws RuntimeException         whatever {@code whileLocked} threw
     */
    MailboxSnapshot snapshot(UUID accountId, java.util.function.Consumer<MailboxSnapshot> whileLocked);

    /**
     * Replaces this copy of the mailbox (if any) by {@code snapshot}, atomically: afterwards the copy is at
     * the snapshot's sequence, epoch and item id counter.
     *
     * @throws StaleEpochException the snapshot's epoch is older than this copy's
     */
    void restore(MailboxSnapshot snapshot);

    /**
     * This copy's epoch: the owner's epoch it follows or writes under; empty when there is no such mailbox
     * or the store cannot tell. A copy below its account's epoch in the directory is still being taken over.
     */
    default java.util.OptionalLong epoch(UUID accountId) {
        return java.util.OptionalLong.empty();
    }

    /**
     * Raises this copy's epoch to {@code epoch} (a promotion marker was applied); a lower or equal epoch
     * changes nothing.
     *
     * @return the copy's epoch afterwards
     * @throws MailboxNotFoundException there is no such mailbox
     */
    long adoptEpoch(UUID accountId, long epoch);

    /**
     * {@link #adoptEpoch} for several copies at once, in one transaction where the store can (a failover
     * brings hundreds of promotion markers in one batch).
     *
     * @return each copy's epoch afterwards; accounts without a mailbox here are absent
     */
    default java.util.Map<UUID, Long> adoptEpochs(java.util.Map<UUID, Long> epochs) {
        java.util.Map<UUID, Long> out = new java.util.LinkedHashMap<>();
        epochs.forEach((id, epoch) -> {
            try {
                out.put(id, adoptEpoch(id, epoch));
            } catch (MailboxNotFoundException e) {
                // absent from the result
            }
        });
        return out;
    }

    /**
     * Applies a change made on another copy (replicas), exactly once, atomically with the new sequence.
     * Sequence 1 creates the mailbox.
     *
     * @return {@code true} if applied, {@code false} if skipped because its sequence was already applied
     * @throws SequenceGapException     the change is not the next one (nothing is changed)
     * @throws ChangeConflictException  a different change was applied under its sequence (the copy diverged;
     *                                  nothing is changed)
     * @throws StaleEpochException      the change's epoch is older than the last applied one
     * @throws IllegalArgumentException an operation does not fit this copy (nothing is changed)
     */
    boolean apply(MailboxChange change);

    /**
     * Applies changes of one or more mailboxes in one transaction, each as {@link #apply} would (already
     * applied ones are skipped). Each mailbox's changes come in their sequence order (other mailboxes' may
     * come in between); the mailboxes' rows are locked together. If any of them is refused, nothing of the
     * batch is applied and its exception is thrown: the caller can then apply them mailbox by mailbox, or one
     * by one, to find which.
     *
     * @return how many were applied (not skipped), over all the mailboxes
     */
    int applyAll(java.util.List<MailboxChange> changes);

    /**
     * {@link #applyAll(java.util.List)} and, in the same transaction, the event log positions the applied
     * changes were read up to (see {@link #logPositions}): the copy's data and the position it resumes from
     * are never apart, even on a crash.
     *
     * @param log       which log the positions are in (as the subscription identifies it, at most 2048 characters)
     * @param positions partition to the offset of the first record not yet handled
     */
    int applyAll(java.util.List<MailboxChange> changes, String log, java.util.Map<Integer, Long> positions);

    /**
     * Stores event log positions alone, in one transaction: every record before them was handled and what it
     * changed is already committed (or it changed nothing here).
     */
    void saveLogPositions(String log, java.util.Map<Integer, Long> positions);

    /**
     * The positions stored for {@code log} by {@link #applyAll(java.util.List, String, java.util.Map)} and
     * {@link #saveLogPositions}: partition to the offset of the first record the replica copies here have not
     * handled. Empty when none were stored (a new store, or another log).
     */
    java.util.Map<Integer, Long> logPositions(String log);

    /**
     * Where this node, as a source, reads its own changes back from after a restart (decision 0026): per
     * partition of {@code log}, the highest position stored by a change's hook
     * ({@link MailboxChangeHook.Transaction#sourcePosition}) or by {@link #saveSourcePositions}. Every change
     * this node committed to the log and possibly not here is at or after it. Empty when none was stored.
     */
    default java.util.Map<Integer, Long> sourcePositions(String log) {
        return java.util.Map.of();
    }

    /**
     * Stores source positions (see {@link #sourcePositions}) alone: the log was read up to them and every change
     * of this node before them is in this store.
     */
    default void saveSourcePositions(String log, java.util.Map<Integer, Long> positions) {
        throw new UnsupportedOperationException("this store keeps no source positions");
    }

    /**
     * Why rows of this store may be missing since a crash, if they may: an embedded database rebuilt from its tables
     * when an index held rows its table no longer had. Its copies of other nodes' accounts must then be initialised
     * again, and the accounts it owns checked against their replicas. Reported until {@link #rowsMayBeMissingHandled()},
     * across restarts.
     */
    default Optional<String> rowsMayBeMissing() {
        return Optional.empty();
    }

    /** The copies were set to initialise again and the administrator told: {@link #rowsMayBeMissing()} is empty again. */
    default void rowsMayBeMissingHandled() {
    }

    /**
     * A digest of the mailbox's content (folders, messages with their flags and tags, the sequence and the
     * item id counter) that does not depend on the order things were written in: two copies with equal
     * checksums hold the same mailbox. Lowercase hexadecimal SHA-256.
     */
    String checksum(UUID accountId);

    /** Deletes the mailbox and all its metadata (not the blobs). */
    void delete(UUID accountId);
}
