package io.tandem.replication.internal;

import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.Message;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What replication writes to an account's partition of the event log, in the order it happened. Encoded
 * by {@link EventCodec}.
 */
public sealed interface Event {

    UUID accountId();

    /** One committed mailbox change of the account's primary. */
    record Change(MailboxChange change) implements Event {
        public Change {
            Objects.requireNonNull(change, "change");
        }

        @Override
        public UUID accountId() {
            return change.accountId();
        }
    }

    /**
     * The start of a snapshot for {@code destination} (initial sync or re-sync): the mailbox at
     * {@code sequence}, whose change had {@code stamp} (0: unknown); its messages follow in {@code chunks}
     * {@link SnapshotChunk}s.
     */
    record SnapshotBegin(UUID accountId, String destination, UUID snapshotId, long epoch, long sequence, long itemId,
                         int chunks, List<Folder> folders, long stamp) implements Event {
        public SnapshotBegin {
            Objects.requireNonNull(accountId, "accountId");
            Objects.requireNonNull(destination, "destination");
            Objects.requireNonNull(snapshotId, "snapshotId");
            folders = List.copyOf(folders);
        }
    }

    /** Messages of a snapshot; {@code index} counts from 0. */
    record SnapshotChunk(UUID accountId, UUID snapshotId, int index, List<Message> messages) implements Event {
        public SnapshotChunk {
            Objects.requireNonNull(accountId, "accountId");
            Objects.requireNonNull(snapshotId, "snapshotId");
            messages = List.copyOf(messages);
        }
    }

    /**
     * Written after the directory moved ownership to {@code newOwner} under {@code epoch}: the new owner
     * takes over once it has applied everything before this marker; every copy fences older epochs.
     *
     * @param returnEpoch 0 for a promotion; for a give-back (decision 0027), the epoch {@code newOwner} claimed
     *                    last: it takes the account over from its own copy if that copy is still at this epoch,
     *                    in sync or not (the owner it replaced never took the account over)
     */
    record Promotion(UUID accountId, long epoch, String newOwner, String previousOwner, UUID operationId,
                     long createdMillis, long returnEpoch) implements Event {
        public Promotion {
            Objects.requireNonNull(accountId, "accountId");
            Objects.requireNonNull(newOwner, "newOwner");
            Objects.requireNonNull(previousOwner, "previousOwner");
            if (returnEpoch < 0 || returnEpoch >= epoch && returnEpoch != 0) {
                throw new IllegalArgumentException("return epoch " + returnEpoch + " is not below epoch " + epoch);
            }
        }

        Promotion(UUID accountId, long epoch, String newOwner, String previousOwner, UUID operationId, long createdMillis) {
            this(accountId, epoch, newOwner, previousOwner, operationId, createdMillis, 0);
        }

        /** Whether this marker gives the account back to its claimant. */
        boolean giveBack() {
            return returnEpoch > 0;
        }
    }
}
