package io.tandem.replication.internal;

import io.tandem.api.cluster.OwnershipLease;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxChangeHook;
import io.tandem.api.mailbox.StaleEpochException;
import io.tandem.api.mailbox.WritesFencedException;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The write side of Active Replica on an account's primary (docs/decisions/0009).
 *
 * <p>As a {@link MailboxChangeHook} it runs inside every local mailbox transaction, before the commit: for
 * a replicated account (at least one replica not paused) it {@linkplain EventLog#prepare prepares} the change
 * in the event log (written durably, invisible to replicas), then re-reads the account's owner from the
 * directory's database; only if this node still owns the account under the change's epoch does it commit the
 * change in the log, and then the local transaction commits. Any failure throws, the change is withdrawn from
 * the log, the transaction rolls back and the client is not acknowledged (LMTP 451, HTTP 503): an
 * acknowledged change is always in the log <em>before</em> any promotion marker of a newer epoch, and a change
 * that was not acknowledged never reaches a replica (decision 0024).
 *
 * <p>Before all that, the node must hold its {@link OwnershipLease} (it sees a core quorum): a Mailstore cut
 * off from the core nodes stops acknowledging changes of replicated accounts before automatic failover may
 * promote them elsewhere (docs/decisions/0010).
 *
 * <p>The owner check from the directory's database, the fence that makes a second writer impossible, applies
 * to every change, replicated or not (decision 0023): an account without a replica now may have had one a
 * moment ago that took it over, so its former owner must not acknowledge a change the new owner never sees.
 * The lease is not needed there: a replica added later is initialised by a snapshot taken under the mailbox
 * lock, after this change commits, so no promotion can overtake it; an unreplicated account stays writable
 * on a Mailstore cut off from the core nodes as long as the directory names it the owner.
 *
 * <p>Whether an account is replicated is remembered once the directory said so ({@link ReplicatedAccounts},
 * decision 0018); the owner read after the acknowledgement never comes from a cache.
 */
final class Publisher implements MailboxChangeHook {

    private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);

    private final String node;
    private final DirectoryAdminService directory;
    private final EventLog log;
    private final OwnershipLease lease;
    private final ReplicatedAccounts replicated;
    private final AckJournal journal;
    /** This node's changes that may be in the log and not in its database yet (decision 0026). */
    private final SourcePositions positions = new SourcePositions();
    /**
     * Per account, its changes the log committed (or may have) whose database commit is not known yet. Closed when
     * a change of the account under the same or a higher sequence commits: the database is then past them.
     */
    private final java.util.concurrent.ConcurrentMap<java.util.UUID, List<InLog>> inLogOnly = new java.util.concurrent.ConcurrentHashMap<>();

    private record InLog(long sequence, SourcePositions.Open open) {
    }
    /** Whether this node read back the changes it made before it started (decision 0026). */
    private volatile java.util.function.BooleanSupplier headChecked = () -> true;

    Publisher(String node, DirectoryAdminService directory, EventLog log, OwnershipLease lease) {
        this(node, directory, log, lease, Clock.systemUTC(), AckJournal.OFF);
    }

    Publisher(String node, DirectoryAdminService directory, EventLog log, OwnershipLease lease, Clock clock, AckJournal journal) {
        this.node = node;
        this.journal = journal;
        this.directory = directory;
        this.log = log;
        this.lease = lease;
        this.replicated = new ReplicatedAccounts(directory, clock);
    }

    /** Replicated changes are refused until {@code checked} says this node read back its own changes (decision 0026). */
    void headChecked(java.util.function.BooleanSupplier checked) {
        this.headChecked = checked;
    }

    /** Replica rows changed in the directory (announced on {@link Topics#REPLICAS}). */
    void replicasChanged() {
        replicated.forgetAll();
    }

    /** How many accounts are remembered as replicated (tests). */
    int remembered() {
        return replicated.remembered();
    }

    @Override
    public void beforeCommit(MailboxChange change) {
        beforeCommit(change, null);
    }

    /**
     * As {@link #beforeCommit(MailboxChange)}; with the change's transaction, where this node reads its own
     * changes back from after a restart is stored with the change (decision 0026).
     */
    @Override
    public void beforeCommit(MailboxChange change, Transaction transaction) {
        if (!replicated.replicated(change.accountId())) {
            // not replicated (or every replica paused: they re-sync from a snapshot on restart): only the owner check
            long at = System.nanoTime();
            checkOwner(change);
            journal.record(at, change);
            return;
        }
        if (!lease.valid()) {
            // cut off from the core quorum: automatic failover may promote this account elsewhere (decision 0010)
            throw new WritesFencedException("change of " + change.accountId() + " refused: this node's ownership lease "
                    + lease.describe() + "; try again on the account's owner");
        }
        if (!headChecked.getAsBoolean()) {
            // a change this node committed to the log and not to its database before it stopped would get the
            // sequence of this one: the replicas would diverge (decision 0026)
            throw new WritesFencedException("change of " + change.accountId() + " refused: this Mailstore is still reading "
                    + "back from the event log the changes it made before it started; try again in a moment");
        }
        byte[] event = EventCodec.encode(new Event.Change(change));
        try {
            publish(change, event, transaction);
        } catch (NotWritten e) {
            // the log could not take it at all (brokers unreachable or hung): a second try would only double the
            // client's wait before the same refusal
            throw e.cause;
        } catch (EventLogException e) {
            if (e.outcomeUnknown()) {
                throw unknown(change, e);
            }
            // discarded, nothing of it in the log: most often with a neighbour's change of the same log transaction
            // (withdrawn by its source); once more, with a fresh owner check, before the client is refused
            LOG.debug("Change {} of {} discarded by the log ({}): writing it again", change.sequence(), change.accountId(), e.getMessage());
            try {
                publish(change, event, transaction);
            } catch (NotWritten again) {
                throw again.cause;
            } catch (EventLogException again) {
                throw again.outcomeUnknown() ? unknown(change, again) : again;
            }
        }
    }

    /** Prepares the change in the log, checks the owner, commits; withdraws it on any failure (decision 0024). */
    private void publish(MailboxChange change, byte[] event, Transaction transaction) {
        SourcePositions.Open open = transaction == null ? null : positions.begin();
        boolean committed = false;
        boolean unknown = false;
        try {
            // written but invisible until committed: if this change is not acknowledged, no replica ever sees it
            EventLog.Prepared prepared;
            try {
                prepared = log.prepare(Map.of(change.accountId().toString(), event));
            } catch (EventLogException e) {
                throw new NotWritten(e); // nothing of it committed: whatever was written is aborted, never visible
            }
            try {
                if (open != null) {
                    positions.written(open, prepared.records());
                    storeResumePoint(prepared, transaction);
                }
                checkOwner(change); // after the write: a promotion marker of a newer epoch can only come after it in the log
                long at = System.nanoTime(); // no later than the log's commit: a newer owner's changes are all after it
                try {
                    prepared.commit();
                } catch (EventLogException e) {
                    unknown = e.outcomeUnknown();
                    throw e;
                }
                committed = true;
                journal.record(at, change);
            } finally {
                if (!committed) {
                    prepared.abort();
                }
            }
        } finally {
            if (open != null) {
                if (committed || unknown) {
                    // in the log (or maybe): open until the database holds this sequence (afterCommit)
                    inLogOnly.compute(change.accountId(), (k, l) -> {
                        List<InLog> out = l == null ? new java.util.ArrayList<>() : l;
                        out.add(new InLog(change.sequence(), open));
                        return out;
                    });
                } else {
                    positions.close(open); // not in the log
                }
            }
        }
    }

    /** Stores with the change where a restart of this node reads its own changes back from (decision 0026). */
    private void storeResumePoint(EventLog.Prepared prepared, Transaction transaction) {
        String logId = prepared.log();
        if (logId == null) {
            return;
        }
        int partition = prepared.records().get(0).partition();
        positions.resumePoint(partition).ifPresent(offset -> transaction.sourcePosition(logId, partition, offset));
    }

    /**
     * The change is in the database: it, and any earlier one of the account that the log holds and the database
     * did not take (its next change took the sequence; a read-back would skip it), no longer hold the resume point.
     */
    @Override
    public void afterCommit(MailboxChange change) {
        inLogOnly.computeIfPresent(change.accountId(), (k, l) -> {
            l.removeIf(c -> {
                if (c.sequence() <= change.sequence()) {
                    positions.close(c.open());
                    return true;
                }
                return false;
            });
            return l.isEmpty() ? null : l;
        });
    }

    /** The log refused to write a change at all: nothing of it is in the log. */
    private static final class NotWritten extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final EventLogException cause;

        NotWritten(EventLogException cause) {
            super(cause.getMessage(), cause, false, false);
            this.cause = cause;
        }
    }

    private static EventLogException unknown(MailboxChange change, EventLogException e) {
        LOG.error("Change {} of {} (epoch {}) not acknowledged and the log cannot say whether it holds it: {}",
                change.sequence(), change.accountId(), change.epoch(), e.getMessage());
        return e;
    }

    /**
     * Whether the directory's database names this node the owner under the change's epoch, and whether this node
     * claimed that epoch (decision 0027), replicated or not (an account whose replicas are all paused is not
     * replicated now, and could be given back once one is restarted); throws when not.
     */
    private void checkOwner(MailboxChange change) {
        Account owner = directory.account(change.accountId())
                .orElseThrow(() -> new ReplicationException("account " + change.accountId() + " no longer exists: change not acknowledged"));
        if (!owner.mailHost().equals(node) || owner.epoch() != change.epoch()) {
            // promoted away meanwhile: callers answer with the new owner (HTTP 421) or ask to retry (LMTP 451)
            LOG.info("Change {} of {} not acknowledged: {} now owns it under epoch {} (change made under epoch {})",
                    change.sequence(), owner.name(), owner.mailHost(), owner.epoch(), change.epoch());
            throw new StaleEpochException(change.accountId(), owner.epoch(), change.epoch());
        }
        if (!owner.claimed() && !claimAdopted(owner, change)) {
            // an epoch its owner never claimed may be given back to its claimant, whose copy would not hold this
            // change (a mailbox created on an owner that never took the account over, for example)
            throw new WritesFencedException("change of " + owner.name() + " refused: " + node + " has not taken it over under "
                    + "epoch " + owner.epoch() + " yet (its last claimant is " + owner.claimedHost() + " under epoch "
                    + owner.claimedEpoch() + "); try again in a moment");
        }
    }

    /**
     * Claims the owner's epoch for a copy that adopted it without claiming (only a node of an older version does,
     * before a rolling upgrade reached it): that copy took the account over and may have acknowledged changes, so
     * the claim says what is. A mailbox being created (sequence 1) adopted nothing: not claimed.
     */
    private boolean claimAdopted(Account owner, MailboxChange change) {
        if (change.sequence() <= 1) {
            return false;
        }
        boolean claimed = directory.claim(node, Map.of(owner.id(), owner.epoch())).contains(owner.id());
        if (claimed) {
            LOG.warn("{} was taken over here under epoch {} without a claim (by an older version): claimed now", owner.name(),
                    owner.epoch());
        }
        return claimed;
    }
}
