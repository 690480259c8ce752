package io.tandem.replication.internal;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.mailbox.MailboxSnapshot;
import io.tandem.api.mailbox.MailboxStore;
import io.tandem.api.mailbox.Message;
import io.tandem.api.replication.EventLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Writes snapshots of the accounts this node owns, for replicas being initialised (docs/decisions/0009). */
final class SnapshotWriter {

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotWriter.class);
    /** Snapshot chunks stay well under the log's default 1 MiB record limit. */
    static final int CHUNK_BYTES = 256 * 1024;

    private final String node;
    private final DirectoryService directory;
    private final MailboxStore store;
    private final EventLog log;

    SnapshotWriter(String node, DirectoryService directory, MailboxStore store, EventLog log) {
        this.node = node;
        this.directory = directory;
        this.store = store;
        this.log = log;
    }

    /**
     * Writes a snapshot of the account for {@code destination} into its partition, under the mailbox lock
     * (so it sits between the changes before and after it), if this node owns the account. Creates the
     * mailbox first when the account never had one.
     *
     * <p>The ownership is checked again under the mailbox lock, with the epoch: a node the directory names as
     * owner only serves a snapshot once its copy holds the directory's epoch (it took the account over, so it
     * applied everything before the promotion marker). A copy still catching up, or one whose owner moved
     * meanwhile, serves nothing; the replica asks again.
     *
     * @return the snapshot's sequence, or -1 when this node does not own the account under its current epoch
     */
    /** When a refused snapshot was last logged (monotonic). */
    private volatile long lastRefusalLog = System.nanoTime() - java.util.concurrent.TimeUnit.MINUTES.toNanos(2);

    long snapshot(UUID accountId, String destination) {
        if (destination.equals(node)) {
            return -1; // the owner's own copy is the primary: never overwritten by a snapshot of itself
        }
        Account owner = directory.account(accountId).orElse(null);
        if (owner == null || !owner.mailHost().equals(node)) {
            return -1;
        }
        java.util.Optional<String> lost = store.rowsMayBeMissing();
        if (lost.isPresent() && directory.replicas(accountId).stream().anyMatch(r -> !r.destination().equals(node) && Applier.mayHoldMore(r))) {
            // another copy may hold what this one lacks: a snapshot would overwrite a replica with less
            long now = System.nanoTime();
            if (now - lastRefusalLog > java.util.concurrent.TimeUnit.MINUTES.toNanos(1)) {
                lastRefusalLog = now;
                LOG.warn("Snapshot of {} for {} not served: rows may be missing from this node's database ({}); promote the "
                        + "account to its replica (ha:promoteAccounts). Said once a minute for every such account", accountId,
                        destination, lost.get());
            }
            return -1;
        }
        if (store.info(accountId).isEmpty()) {
            try {
                store.create(accountId, owner.epoch());
            } catch (IllegalArgumentException e) {
                LOG.debug("Mailbox of {} created concurrently", accountId);
            }
        }
        UUID snapshotId = UUID.randomUUID();
        MailboxSnapshot s;
        try {
            s = store.snapshot(accountId, snap -> write(snap, destination, snapshotId));
        } catch (NotOwned e) {
            LOG.info("Snapshot of {} for {} not written: {}", accountId, destination, e.getMessage());
            return -1;
        }
        LOG.info("Snapshot {} of {} for {} written at sequence {} ({} messages)", snapshotId, accountId, destination,
                s.sequence(), s.messages().size());
        return s.sequence();
    }

    /** The copy is not (or no longer, or not yet) the account's owner under the directory's epoch. */
    private static final class NotOwned extends RuntimeException {
        NotOwned(String message) {
            super(message, null, false, false);
        }
    }

    /** Under the mailbox lock: checks the ownership and epoch, then appends the snapshot's records. */
    private void write(MailboxSnapshot snap, String destination, UUID snapshotId) {
        UUID accountId = snap.accountId();
        Account owner = directory.account(accountId).orElse(null);
        if (owner == null || !owner.mailHost().equals(node)) {
            throw new NotOwned("owned by " + (owner == null ? "nobody" : owner.mailHost()) + " now");
        }
        if (owner.epoch() != snap.epoch()) {
            throw new NotOwned("this copy is at epoch " + snap.epoch() + ", the directory's is " + owner.epoch()
                    + " (not taken over yet, or fenced)");
        }
        List<List<Message>> chunks = chunks(snap.messages());
        String key = accountId.toString();
        log.append(key, EventCodec.encode(new Event.SnapshotBegin(accountId, destination, snapshotId, snap.epoch(),
                snap.sequence(), snap.itemId(), chunks.size(), snap.folders(), snap.stamp())));
        for (int i = 0; i < chunks.size(); i++) {
            log.append(key, EventCodec.encode(new Event.SnapshotChunk(accountId, snapshotId, i, chunks.get(i))));
        }
    }

    static List<List<Message>> chunks(List<Message> messages) {
        List<List<Message>> out = new ArrayList<>();
        List<Message> current = new ArrayList<>();
        int bytes = 0;
        for (Message m : messages) {
            int size = EventCodec.size(m);
            if (!current.isEmpty() && bytes + size > CHUNK_BYTES) {
                out.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(m);
            bytes += size;
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }
}
