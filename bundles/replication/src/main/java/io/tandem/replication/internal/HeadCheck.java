package io.tandem.replication.internal;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxInfo;
import io.tandem.api.mailbox.MailboxStore;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A source's check of its head against the event log after it starts (decision 0026). A Mailstore killed after
 * the log committed a change and before its own database did starts one change behind its replicas: its next
 * change would take the same sequence and every replica would have to re-initialise. So before it takes a
 * replicated change, it reads the log from where its changes may be ({@link MailboxStore#sourcePositions}) to
 * the end, and applies to its own mailboxes the changes it finds there and not in its database, as its replicas
 * did. Only changes of accounts the directory names it the owner of, under the epoch of the change and of the
 * local mailbox, and next in sequence, are applied.
 */
final class HeadCheck {

    private static final Logger LOG = LoggerFactory.getLogger(HeadCheck.class);

    private final String node;
    private final MailboxStore store;
    private final DirectoryService directory;
    private final EventLog log;
    private final Duration timeout;
    private volatile boolean checked;

    HeadCheck(String node, MailboxStore store, DirectoryService directory, EventLog log, Duration timeout) {
        this.node = node;
        this.store = store;
        this.directory = directory;
        this.log = log;
        this.timeout = timeout;
    }

    boolean checked() {
        return checked;
    }

    /** At most this many records are read (and held) at once; the read goes on from where it stopped. */
    static final int CHUNK = 5000;

    /**
     * Runs the check unless it is done. Without a log (replication not configured) nothing replicated can be
     * written either: the check waits for one. What was read is saved as it goes, so a try that fails (time-out)
     * leaves the next one less to read.
     *
     * @throws RuntimeException the log or a database cannot answer now (the caller tries again later)
     */
    void check() {
        if (checked || !log.enabled()) {
            return;
        }
        String id = log.identity(timeout);
        Map<Integer, Long> from = store.sourcePositions(id);
        if (from.isEmpty()) {
            checked = true;
            LOG.info("No change of {} to read back from the event log {}", node, id);
            return;
        }
        Map<Integer, Long> start = from;
        int read = 0;
        int applied = 0;
        while (true) {
            EventLog.Tail tail = log.read(from, CHUNK, timeout);
            if (!tail.log().equals(id)) {
                throw new IllegalStateException("the event log changed from " + id + " to " + tail.log() + " while it was read");
            }
            for (LogRecord r : tail.records()) {
                if (rollForward(r)) {
                    applied++;
                }
            }
            read += tail.records().size();
            store.saveSourcePositions(id, tail.end());
            if (tail.complete()) {
                break;
            }
            from = tail.end();
        }
        checked = true;
        LOG.info("Read back from the event log what {} wrote before it started: {} records from {}, {} change{} applied",
                node, read, start, applied, applied == 1 ? "" : "s");
    }

    /**
     * Whether this node wrote the account's changes under {@code epoch}: it owns the account under it, or it is the
     * account's claimant under it (a promotion away that its new owner never took over may give it back: this
     * copy must then hold every change it acknowledged, decision 0027).
     */
    private boolean wroteUnder(Account a, long epoch) {
        return a.mailHost().equals(node) && a.epoch() == epoch || node.equals(a.claimedHost()) && a.claimedEpoch() == epoch;
    }

    /** Applies the record's change if it is one of this node's that its database lacks. */
    private boolean rollForward(LogRecord r) {
        Event event;
        try {
            event = EventCodec.decode(r.value());
        } catch (UnreadableEventException e) {
            // written by a newer version (or damaged): if this node wrote it, its replicas stop on it visibly
            LOG.warn("Record {}@{} of {} is not readable by this version, not read back: {}", r.partition(), r.offset(), r.key(),
                    e.getMessage());
            return false;
        }
        if (!(event instanceof Event.Change c)) {
            return false;
        }
        MailboxChange change = c.change();
        Optional<MailboxInfo> info = store.info(change.accountId());
        long head = info.map(MailboxInfo::sequence).orElse(0L);
        if (head != change.sequence() - 1) {
            return false; // already here, or not the next one (not a mailbox this node writes)
        }
        OptionalLong epoch = store.epoch(change.accountId());
        if (info.isPresent() && (epoch.isEmpty() || epoch.getAsLong() != change.epoch())) {
            return false;
        }
        Optional<Account> owner = directory.account(change.accountId());
        if (owner.isEmpty() || !wroteUnder(owner.get(), change.epoch())) {
            return false; // promoted away meanwhile: the copy follows the new owner like any replica
        }
        boolean applied;
        try {
            applied = store.apply(change);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // does not fit (gap, conflict, stale epoch, an operation the copy refuses): this account only, the
            // others are read back; its replicas hold the change and re-initialise at its next one (decision 0021)
            LOG.error("Change {} of {} (epoch {}) is in the event log but not in this Mailstore's database, and cannot be "
                    + "applied here: {}", change.sequence(), change.accountId(), change.epoch(), e.toString());
            return false;
        }
        if (applied) {
            LOG.warn("Change {} of {} (epoch {}) was in the event log but not in this Mailstore's database ({} stopped between "
                    + "the two commits; its client was not answered): applied now, as its replicas did", change.sequence(),
                    change.accountId(), change.epoch(), node);
        }
        return applied;
    }
}
