package io.tandem.replication.internal;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.Notification;
import io.tandem.api.directory.Replica;
import io.tandem.api.mailbox.ChangeConflictException;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxInfo;
import io.tandem.api.mailbox.MailboxNotFoundException;
import io.tandem.api.mailbox.MailboxSnapshot;
import io.tandem.api.mailbox.MailboxStore;
import io.tandem.api.mailbox.Message;
import io.tandem.api.mailbox.SequenceGapException;
import io.tandem.api.mailbox.StaleEpochException;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.LogRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Applies the event log to the replica copies this Mailstore keeps (docs/decisions/0009).
 *
 * <p>Per account it is in the state of its directory replica row: {@code initialising} (waiting for a
 * snapshot; changes are ignored, the snapshot carries them), {@code in-sync} (changes are applied in log
 * order, exactly once: the copy's sequence is the position, stored atomically with the data), {@code
 * failed} (a gap, an unreadable event or an operation that does not fit stopped it; nothing more is applied
 * until {@code ha:restartReplicas}) or {@code paused}. Changes of an older epoch than the copy's are fenced
 * (counted, not applied). A promotion marker makes the copy adopt the new epoch; the new owner then drops
 * its replica row and serves the account.
 *
 * <p>All state changes happen under one lock, on the log's consumer thread or the refresh ticker, so a
 * refresh never races with an applied event. What the lock's holder does is kept where it can be read without
 * the lock ({@link #activity()}): a call that never returns is seen and reported (the agent's watchdog), and a
 * status request never waits for it for long ({@link #boxes(java.time.Duration)}).
 *
 * <p>Nothing is handled before the first refresh loaded which copies this node keeps, nor after a refresh
 * failed until one succeeds: a batch handed over meanwhile is refused (it comes again), so no record is
 * skipped for want of a view. Where each log partition resumes is stored in the mailbox database, with the
 * changes applied from the records before it (decision 0022), and given back to the subscription through
 * {@link #positions}: a copy restarted after a crash reads again exactly what its data lacks.
 *
 * <p>A store failure on one account's changes or snapshot (its rows damaged, say) holds only that account: the
 * batch's other copies are applied, and the batch comes again. After {@link #ISOLATE_AFTER} batches in a row
 * where that account failed while the database took a write, its copy fails alone (its later events are
 * ignored, its row says why), so the other copies of this node stop waiting on it. When the database takes no
 * write at all, no copy is blamed: the batch comes again until it does.
 */
final class Applier implements EventLog.Handler {

    private static final Logger LOG = LoggerFactory.getLogger(Applier.class);
    /** How long an initialising replica waits for a snapshot before asking again. */
    static final long SNAPSHOT_RETRY_MILLIS = 10_000;
    /**
     * Batches in a row in which the store failed on one account's events while it took a write, after which that
     * account's copy fails alone: a passing cause (a lock time-out) clears before that.
     */
    static final int ISOLATE_AFTER = 3;

    private final String node;
    private final MailboxStore store;
    private final DirectoryAdminService directory;
    private final BiConsumer<UUID, String> requestSnapshot;
    private final java.util.function.BooleanSupplier readyForSnapshot;
    private final Clock clock;
    private final Map<UUID, Slot> slots = new HashMap<>();
    /** Whether {@link #slots} reflects the directory: the last refresh succeeded. */
    private boolean viewLoaded;
    /** The log the subscription reads (set when it asks for {@link #positions}); null: positions are not stored. */
    private String log;
    /** Where each partition of the batch being handled resumes, once the batch is handled. */
    private final Map<Integer, Long> batchPositions = new TreeMap<>();
    /** Whether the batch's positions were stored with its changes. */
    private boolean positionsStored;
    /** Positions of batches that changed nothing are stored at most this often (re-reading them is harmless). */
    static final long POSITIONS_ALONE_INTERVAL_MILLIS = 1000;
    /** When positions were last stored alone (monotonic), null: never. */
    private Long positionsAloneNanos;

    /** The applier's view of one replica copy. */
    static final class Slot {
        String state;
        String detail;
        UUID operationId;
        int priority;
        /** The replica row's {@code updatedMillis} as last seen: a change by an operator moves it. */
        long updated;
        long lastAppliedMillis;
        long lastCommitMillis;
        long fenced;
        /** Batches in a row in which the store failed on this copy's events while it took other writes. */
        int storeFailures;
        /** When a snapshot was last asked for (monotonic: a clock step never delays the next request), null: ask now. */
        Long requestedNanos;
        Pending pending;

        Slot(Replica r) {
            this.state = r.state();
            this.detail = r.detail();
            this.operationId = r.operationId();
            this.priority = r.priority();
            this.updated = r.updatedMillis();
        }
    }

    /** The applier's state is changed under this lock only; status reads wait for it at most a bounded time. */
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();

    /**
     * What the lock's holder is doing: read without the lock, by the watchdog and the status, so that an
     * applier blocked in a call that does not return (a database or broker that never answers) is seen.
     */
    record Activity(String what, Thread thread, long sinceNanos) {
        long millis(long nowNanos) {
            return TimeUnit.NANOSECONDS.toMillis(nowNanos - sinceNanos);
        }
    }

    private volatile Activity activity;

    /** What the applier is doing now, empty between two calls. */
    Optional<Activity> activity() {
        return Optional.ofNullable(activity);
    }

    /** Takes the lock; the outermost call of a thread records what it does (a nested one keeps its caller's). */
    private void begin(String what) {
        lock.lock();
        if (lock.getHoldCount() == 1) {
            activity = new Activity(what, Thread.currentThread(), System.nanoTime());
        }
    }

    private void end() {
        if (lock.getHoldCount() == 1) {
            activity = null;
        }
        lock.unlock();
    }

    /** Whether this node read back the changes it made before it started (decision 0026). */
    private volatile java.util.function.BooleanSupplier headChecked = () -> true;

    /**
     * A copy taken over while it is not in sync (a give-back, or an epoch this node claimed already) must first
     * hold this node's own changes that the log has and its database lost: until {@code checked} says they are
     * read back, such a marker is refused (its batch comes again).
     */
    void headChecked(java.util.function.BooleanSupplier checked) {
        this.headChecked = checked;
    }

    /** The store's failures on accounts' events in the batch being handled (the first per account). */
    private final Map<UUID, RuntimeException> storeFailed = new java.util.LinkedHashMap<>();
    /** The accounts with a copy here that have events in the batch being handled. */
    private final Set<UUID> batchAccounts = new java.util.HashSet<>();
    /** Where each partition of the batch being handled starts (its first record). */
    private final Map<Integer, Long> batchStart = new TreeMap<>();
    /** Whether the store took the probe write in the batch being handled (null: not tried yet). */
    private Boolean probed;

    /** The store failed on one account's event for a reason the protocol does not handle (not a refusal). */
    private static final class StoreFailure extends RuntimeException {
        final UUID accountId;

        StoreFailure(UUID accountId, RuntimeException cause) {
            super(cause.toString(), cause);
            this.accountId = accountId;
        }
    }

    /** Promotion markers of the batch being handled whose epoch is not adopted yet. */
    private final Map<UUID, Event.Promotion> adopting = new java.util.LinkedHashMap<>();

    /** Accounts taken over in the batch being handled, their replica rows deleted at its end. */
    /** As the former owners' replica rows that replace this node's (account, former owner, priority). */
    private final List<DirectoryAdminService.TakeOver> tookOver = new ArrayList<>();

    /** A snapshot being received. */
    private record Pending(Event.SnapshotBegin begin, TreeMap<Integer, List<Message>> chunks) {
    }

    /**
     * @param requestSnapshot  asks the account's owner for a snapshot for this node (account, this node)
     * @param readyForSnapshot whether the log is read close enough to its end that a snapshot asked for now is
     *                         read soon; until then none is asked for (a snapshot asked for while a long backlog
     *                         is still being read would be asked for again every {@link #SNAPSHOT_RETRY_MILLIS})
     */
    Applier(String node, MailboxStore store, DirectoryAdminService directory, BiConsumer<UUID, String> requestSnapshot,
            java.util.function.BooleanSupplier readyForSnapshot, Clock clock) {
        this.node = node;
        this.store = store;
        this.directory = directory;
        this.requestSnapshot = requestSnapshot;
        this.readyForSnapshot = readyForSnapshot;
        this.clock = clock;
    }

    // ------------------------------------------------------------------ directory view

    /**
     * Re-reads this node's replica rows: new ones start initialising, removed ones drop their copy (unless
     * this node now owns the account), and initialising ones without a snapshot ask for one (again after
     * {@link #SNAPSHOT_RETRY_MILLIS}).
     */
    void refresh() {
        begin("reading its replica rows from the directory");
        try {
            refreshView();
        } finally {
            end();
        }
    }

    private void refreshView() {
        Map<UUID, Replica> mine = new HashMap<>();
        try {
            for (Replica r : directory.replicasOn(node)) {
                mine.put(r.accountId(), r);
            }
        } catch (RuntimeException | LinkageError e) {
            viewLoaded = false; // nothing is handled until a refresh succeeds again
            throw e;
        }
        viewLoaded = true;
        for (UUID gone : new ArrayList<>(slots.keySet())) {
            if (!mine.containsKey(gone)) {
                slots.remove(gone);
                dropCopy(gone);
            }
        }
        long now = System.nanoTime();
        for (Replica r : mine.values()) {
            Slot slot = slots.get(r.accountId());
            if (slot == null) {
                slot = new Slot(r);
                slots.put(r.accountId(), slot);
            } else if (!r.state().equals(slot.state) || r.updatedMillis() != slot.updated) {
                // an operator's change (pause, restart; or both since the last look: the time tells it), so a
                // snapshot asked for before it is not the one to complete
                slot.state = r.state();
                slot.updated = r.updatedMillis();
                slot.detail = r.detail();
                slot.operationId = r.operationId();
                slot.pending = null;
                slot.requestedNanos = null;
                slot.storeFailures = 0;
            }
            slot.priority = r.priority(); // an operator's change (setAccountDestination again)
        }
        try {
            reinitialiseWhileRowsMayBeMissing();
        } catch (RuntimeException | LinkageError e) {
            viewLoaded = false; // its in-sync copies may lack rows: nothing is applied to them until this is done
            throw e;
        }
        for (Replica r : mine.values()) {
            Slot slot = slots.get(r.accountId());
            if (Replica.INITIALISING.equals(slot.state) && slot.pending == null
                    && (slot.requestedNanos == null || now - slot.requestedNanos >= SNAPSHOT_RETRY_MILLIS * 1_000_000L)
                    && readyForSnapshot.getAsBoolean()) {
                slot.requestedNanos = now;
                requestSnapshot.accept(r.accountId(), node);
            }
        }
    }

    /** Whether this run asked the store if rows may be missing (at its first view). */
    private boolean lostRowsAsked;
    /** Why rows of the store may be missing since a crash, while they may (null: they may not). */
    private String lostRows;
    /** The copies set to initialise in this run because rows may be missing (each once). */
    private final Set<UUID> lostRowsReset = new java.util.HashSet<>();

    /** The detail of a copy set to initialise because rows may be missing from it (kept in its replica row). */
    static final String ROWS_MAY_BE_MISSING = "rows may be missing from this copy: ";

    /**
     * The store lost rows in a crash (an H2 file rebuilt from tables that lacked rows their indexes held): every in-sync
     * copy here initialises again from its owner (and is never taken over until it did, not even given back), and so
     * does a copy that becomes one later in this run (an account this node owned, promoted away); the administrator is
     * told which copies stay paused or failed and which accounts this node owns, whose rows may be missing too. While
     * one of those has an in-sync replica elsewhere, this node serves it no snapshot (see {@link SnapshotWriter}) and the
     * store keeps saying rows may be missing; once none has, the store forgets it. A failure here is tried again at the
     * next refresh.
     */
    private void reinitialiseWhileRowsMayBeMissing() {
        if (!lostRowsAsked) {
            String why = store.rowsMayBeMissing().orElse(null);
            if (why != null) {
                lostRows = why;
                announceLostRows(); // once it succeeded: the operator's prompt to promote
            }
            lostRowsAsked = true;
        }
        if (lostRows == null) {
            return;
        }
        for (Map.Entry<UUID, Slot> e : slots.entrySet()) {
            String state = e.getValue().state;
            // an initialising one too: the reason in its row keeps it from being given back before its snapshot
            if (!lostRowsReset.contains(e.getKey()) && (Replica.IN_SYNC.equals(state) || Replica.INITIALISING.equals(state)
                    && !e.getValue().detail.startsWith(ROWS_MAY_BE_MISSING))) {
                setState(e.getKey(), e.getValue(), Replica.INITIALISING, ROWS_MAY_BE_MISSING + lostRows);
                lostRowsReset.add(e.getKey());
            }
        }
        long now = System.nanoTime();
        if (lostRowsCheckedNanos != null && now - lostRowsCheckedNanos < lostRowsCheckNanos) {
            return;
        }
        lostRowsCheckedNanos = now;
        if (ownedWithABetterCopy().isEmpty()) {
            store.rowsMayBeMissingHandled();
            lostRows = null;
            LOG.info("Rows may have been missing from the mailbox database of {}: every copy here initialised again or is "
                    + "initialising, and no account this node owns has an in-sync replica elsewhere", node);
        }
    }

    /** When the accounts this node owns were last looked at while rows may be missing (monotonic), null: never. */
    private Long lostRowsCheckedNanos;
    /** How often: two directory reads of every account this node owns (tests look at once). */
    long lostRowsCheckNanos = TimeUnit.SECONDS.toNanos(30);

    /**
     * The accounts the directory names this node the owner of that have, on another node, a replica that may hold what
     * this node's database lacks: in sync, or paused (an operator's pause keeps what it had).
     */
    private List<UUID> ownedWithABetterCopy() {
        Set<UUID> owned = new java.util.HashSet<>();
        for (Account a : directory.accountsOn(node)) {
            owned.add(a.id());
        }
        if (owned.isEmpty()) {
            return List.of();
        }
        return directory.replicasOf(owned).stream().filter(r -> !r.destination().equals(node) && mayHoldMore(r))
                .map(Replica::accountId).distinct().toList();
    }

    /** A replica on another node that may hold changes a database that lost rows lacks. */
    static boolean mayHoldMore(Replica r) {
        return Replica.IN_SYNC.equals(r.state()) || Replica.PAUSED.equals(r.state());
    }

    private void announceLostRows() {
        List<UUID> copies = new ArrayList<>();
        List<UUID> stopped = new ArrayList<>();
        slots.forEach((id, slot) -> {
            if (Replica.IN_SYNC.equals(slot.state) || Replica.INITIALISING.equals(slot.state)) {
                copies.add(id);
            } else {
                stopped.add(id); // paused or failed: an operator's restart initialises it again
            }
        });
        List<UUID> owned = ownedWithABetterCopy();
        String text = "Why: " + lostRows + "\nReplica copies on " + node + " initialising again from their owners: "
                + copies.size() + (copies.isEmpty() ? "" : " " + copies)
                + (stopped.isEmpty() ? "" : "\nPaused or failed copies, left as they are (ha:restartReplicas accounts <account> "
                + "initialises one again): " + stopped)
                + (owned.isEmpty() ? "" : "\nAccounts this node owns whose rows may be missing, with an in-sync (or paused) "
                + "replica elsewhere that holds every change this node acknowledged: " + owned + ". Promote each to its replica "
                + "(ha:promoteAccounts); this node's copy then initialises again from it. Until then this node serves them no "
                + "snapshot (it would carry what it lacks).");
        LOG.error("Rows may be missing from the mailbox database of {}: {}", node, text);
        directory.notify(Notification.Severity.ERROR, "Mailbox rows may be missing on " + node, text);
    }

    private void dropCopy(UUID accountId) {
        Optional<Account> account = directory.account(accountId);
        if (account.isPresent() && account.get().mailHost().equals(node)) {
            return; // promoted here: the copy is the primary now
        }
        try {
            store.delete(accountId);
            LOG.info("Replica copy of {} deleted: this node is no longer one of its destinations", accountId);
        } catch (MailboxNotFoundException e) {
            LOG.debug("No replica copy of {} to delete", accountId);
        }
    }

    // ------------------------------------------------------------------ the log

    /** Whether a refresh has loaded which copies this node keeps, and the last one succeeded. */
    boolean viewLoaded() {
        lock.lock();
        try {
            return viewLoaded;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public Map<Integer, Long> positions(String log, Set<Integer> partitions) {
        begin("reading its stored log positions");
        try {
            this.log = log;
            Map<Integer, Long> out = new TreeMap<>(store.logPositions(log));
            out.keySet().retainAll(partitions);
            return out;
        } finally {
            end();
        }
    }

    @Override
    public void handle(List<LogRecord> batch) {
        begin("handling " + batch.size() + " record(s) from the log");
        try {
            handleBatch(batch);
        } finally {
            end();
        }
    }

    private void handleBatch(List<LogRecord> batch) {
        if (!viewLoaded) {
            // which copies this node keeps is not known: a record skipped now could be one a copy needs
            throw new IllegalStateException("the replica copies of " + node + " are not loaded from the directory yet "
                    + "(or the last refresh failed): the batch is handled once they are");
        }
        batchPositions.clear();
        batchStart.clear();
        for (LogRecord r : batch) {
            batchPositions.merge(r.partition(), r.offset() + 1, Math::max);
            batchStart.merge(r.partition(), r.offset(), Math::min);
        }
        positionsStored = false;
        storeFailed.clear();
        batchAccounts.clear();
        probed = null;
        try {
            apply(batch);
        } finally {
            // take-overs are recorded once per batch (a failover brings hundreds of markers at once): the replica
            // row's deletion is what the promoting node waits for
            adopting.clear(); // non-empty only when the batch failed: it comes again
            // not an account whose later event failed: the copy would be taken over without it (it comes again)
            tookOver.removeIf(t -> storeFailed.containsKey(t.accountId()));
            if (!tookOver.isEmpty()) {
                // this node's replica rows go and the former owners' come in one transaction: the account is never
                // left without a copy to re-sync (decision 0023)
                Set<UUID> taken = directory.takeOver(node, tookOver);
                for (DirectoryAdminService.TakeOver t : tookOver) {
                    if (taken.contains(t.accountId())) {
                        slots.remove(t.accountId());
                        LOG.info("Took over {} from {} under epoch {}", t.accountId(), t.formerOwner(), t.epoch());
                    } else {
                        // a marker read late: the account moved on since (another promotion). Its epoch is adopted
                        // (it is older than the directory's, so nothing changes the copy's fencing), the copy stays a replica
                        LOG.info("Promotion marker of {} for this node under epoch {} is stale (the directory moved on): "
                                + "not taken over, the copy stays a replica", t.accountId(), t.epoch());
                    }
                }
                tookOver.clear();
            }
        }
        isolateStoreFailures();
        storePositionsAlone();
    }

    /**
     * Whether the store takes a write: the batch's start positions are stored again, which never moves them past
     * what is applied (every record before them was handled by a batch that completed). Tried once per batch, at
     * its first failure; when the store takes no write, the batch is refused at once (it comes again) and no copy is
     * blamed.
     */
    private void requireWritable(RuntimeException failure) {
        if (probed == null) {
            probed = false;
            if (log != null) {
                try {
                    store.saveLogPositions(log, batchStart);
                    probed = true;
                } catch (RuntimeException e) {
                    failure.addSuppressed(e);
                }
            }
        }
        if (!probed) {
            throw new IllegalStateException("the mailbox store takes no write (" + failure + "): the batch is handled again", failure);
        }
    }

    /**
     * After a batch in which the store failed on some accounts' events while it took writes: each such account
     * counts one more failure, if at most half the batch's accounts failed (more is the database's trouble, not an
     * account's), and one that reached {@link #ISOLATE_AFTER} fails alone; while any failed account has not, the batch
     * is refused so that it comes again (what it applied is skipped as replayed then). The other accounts of the
     * batch start counting again.
     */
    private void isolateStoreFailures() {
        for (UUID id : batchAccounts) {
            Slot slot = slots.get(id);
            if (slot != null && !storeFailed.containsKey(id)) {
                slot.storeFailures = 0;
            }
        }
        if (storeFailed.isEmpty()) {
            return;
        }
        Map<UUID, RuntimeException> failed = new java.util.LinkedHashMap<>(storeFailed);
        storeFailed.clear();
        boolean narrow = failed.size() * 2 <= batchAccounts.size();
        RuntimeException again = null;
        for (Map.Entry<UUID, RuntimeException> f : failed.entrySet()) {
            Slot slot = slots.get(f.getKey());
            if (slot == null || !(Replica.IN_SYNC.equals(slot.state) || Replica.INITIALISING.equals(slot.state))) {
                continue; // failed, paused or dropped meanwhile: its events are not applied any more
            }
            if (narrow && ++slot.storeFailures >= ISOLATE_AFTER) {
                fail(f.getKey(), slot, "its database failed on its events " + slot.storeFailures + " times in a row while it "
                        + "took this node's other writes (" + f.getValue().getMessage() + "): stopped so that the other copies "
                        + "here go on. Check the Mailstore database before restarting the replica");
                slot.storeFailures = 0;
            } else if (again == null) {
                again = f.getValue();
            }
        }
        if (again != null) {
            throw new IllegalStateException("the mailbox store failed on the events of " + failed.keySet() + (narrow ? ""
                    : " (" + failed.size() + " of the batch's " + batchAccounts.size() + " accounts: no copy is blamed)")
                    + ": the batch is handled again", again);
        }
    }

    /**
     * Stores the batch's positions when they did not go with its changes (nothing to apply, changes applied
     * account by account, or a take-over, whose replica rows had to go first): after everything the batch did
     * is committed, so they are never ahead of it. At most every {@link #POSITIONS_ALONE_INTERVAL_MILLIS}.
     */
    private void storePositionsAlone() {
        if (log == null || positionsStored || batchPositions.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        if (positionsAloneNanos == null || now - positionsAloneNanos >= POSITIONS_ALONE_INTERVAL_MILLIS * 1_000_000L) {
            store.saveLogPositions(log, batchPositions);
            positionsAloneNanos = now;
        }
    }

    private void apply(List<LogRecord> batch) {
        // the batch's changes wait and are applied together at its end, in one transaction; any other event of
        // an account first flushes what is pending for that account, so each account's order is kept
        Map<UUID, List<Event.Change>> pending = new java.util.LinkedHashMap<>();
        for (LogRecord record : batch) {
            UUID accountId;
            try {
                accountId = UUID.fromString(record.key());
            } catch (IllegalArgumentException e) {
                LOG.warn("Ignored a record with key '{}' at {}/{}: not an account id", record.key(), record.partition(), record.offset());
                continue;
            }
            if (storeFailed.containsKey(accountId)) {
                // the store failed on an earlier event of the account: nothing after it is applied in this batch (a
                // marker adopted now would take over a copy that lacks it)
                continue;
            }
            if (slots.containsKey(accountId)) {
                batchAccounts.add(accountId);
            }
            if (!slots.containsKey(accountId) && !adopting.containsKey(accountId) && !EventCodec.isSnapshotBegin(record.value())) {
                // no copy of this account here (most records on a Mailstore): only a snapshot for this node could
                // start one, and every other event of such an account is ignored anyway, so it is not even decoded
                continue;
            }
            Event event;
            try {
                event = EventCodec.decode(record.value());
            } catch (UnreadableEventException e) {
                adoptBefore(accountId);
                flush(accountId, pending.remove(accountId));
                Slot slot = slots.get(accountId);
                if (slot != null && !Replica.FAILED.equals(slot.state)) {
                    fail(accountId, slot, "unreadable event at partition " + record.partition() + " offset " + record.offset()
                            + ": " + e.getMessage());
                }
                continue;
            }
            if (event instanceof Event.Change c) {
                if (slots.containsKey(accountId)) {
                    pending.computeIfAbsent(accountId, k -> new ArrayList<>()).add(c);
                }
                continue;
            }
            adoptBefore(accountId);
            flush(accountId, pending.remove(accountId));
            if (storeFailed.containsKey(accountId)) {
                continue; // its change before this event failed: the event waits with it
            }
            if (event instanceof Event.SnapshotBegin b) {
                begin(b);
            } else if (event instanceof Event.SnapshotChunk ch) {
                chunk(ch);
            } else if (event instanceof Event.Promotion p) {
                promotion(p);
            }
        }
        adoptPending();
        flushAll(pending);
    }

    /**
     * Applies what is pending at the end of a batch: the changes of every in-sync copy in one transaction, or
     * account by account when that is refused (then each error is handled per account, and per change).
     */
    private void flushAll(Map<UUID, List<Event.Change>> pending) {
        Map<Slot, List<Event.Change>> inSync = new java.util.LinkedHashMap<>();
        List<MailboxChange> all = new ArrayList<>();
        pending.forEach((accountId, changes) -> {
            Slot slot = slots.get(accountId);
            if (slot != null && Replica.IN_SYNC.equals(slot.state)) {
                inSync.put(slot, changes);
                changes.forEach(c -> all.add(c.change()));
            }
        });
        if (!all.isEmpty()) {
            try {
                // the positions go with the changes, unless a take-over's replica rows must be removed first (a
                // crash in between must make the marker come again), or an account's events failed (they must come again)
                boolean withPositions = log != null && tookOver.isEmpty() && storeFailed.isEmpty();
                int applied = withPositions ? store.applyAll(all, log, batchPositions) : store.applyAll(all);
                positionsStored = withPositions;
                if (applied > 0) {
                    long now = clock.millis();
                    inSync.forEach((slot, changes) -> {
                        slot.lastAppliedMillis = now;
                        slot.lastCommitMillis = Math.max(slot.lastCommitMillis, changes.get(changes.size() - 1).change().committedMillis());
                    });
                }
                return;
            } catch (StaleEpochException | SequenceGapException | ChangeConflictException | IllegalArgumentException e) {
                LOG.debug("Batch of {} changes of {} accounts refused ({}): applying them account by account", all.size(),
                        pending.size(), e.getMessage());
            } catch (RuntimeException e) {
                // the database failed: on everything (refused at once), or on some accounts' rows (account by account
                // tells which)
                requireWritable(e);
                LOG.debug("Batch of {} changes of {} accounts failed ({}): applying them account by account", all.size(),
                        pending.size(), e.toString());
            }
        }
        pending.forEach(this::flush);
    }

    /** An event of {@code accountId} comes after its promotion marker: the marker's epoch is adopted first. */
    private void adoptBefore(UUID accountId) {
        if (adopting.containsKey(accountId)) {
            adoptPending();
        }
    }

    /** Applies an account's consecutive changes: in one transaction, or one by one when that is refused. */
    private void flush(UUID accountId, List<Event.Change> changes) {
        if (changes == null || changes.isEmpty()) {
            return;
        }
        Slot slot = slots.get(accountId);
        if (changes.size() > 1 && slot != null && Replica.IN_SYNC.equals(slot.state)) {
            try {
                if (store.applyAll(changes.stream().map(Event.Change::change).toList()) > 0) {
                    slot.lastAppliedMillis = clock.millis();
                    slot.lastCommitMillis = changes.get(changes.size() - 1).change().committedMillis();
                }
                return;
            } catch (StaleEpochException | SequenceGapException | ChangeConflictException | IllegalArgumentException e) {
                LOG.debug("Batch of {} changes of {} refused ({}): applying them one by one", changes.size(), accountId,
                        e.getMessage());
            } catch (RuntimeException e) {
                requireWritable(e);
                LOG.debug("Batch of {} changes of {} failed ({}): applying them one by one", changes.size(), accountId, e.toString());
            }
        }
        try {
            for (Event.Change c : changes) {
                change(c);
            }
        } catch (StoreFailure e) {
            // the account's later changes wait for the batch to come again (or for its copy to fail alone)
            requireWritable((RuntimeException) e.getCause());
            storeFailed.putIfAbsent(e.accountId, (RuntimeException) e.getCause());
        }
    }

    @Override
    public void positionLost(int partition, long lostOffset, long earliestOffset) {
        begin("handling a lost position in partition " + partition);
        try {
            lostPosition(partition, lostOffset, earliestOffset);
        } finally {
            end();
        }
    }

    private void lostPosition(int partition, long lostOffset, long earliestOffset) {
        if (!viewLoaded) {
            // which copies must re-initialise is not known: reported again once it is
            throw new IllegalStateException("the replica copies of " + node + " are not loaded from the directory yet");
        }
        LOG.warn("The event log no longer holds offset {} of partition {} (earliest {}): every replica copy here re-initialises",
                lostOffset, partition, earliestOffset);
        for (Map.Entry<UUID, Slot> e : slots.entrySet()) {
            if (Replica.IN_SYNC.equals(e.getValue().state)) {
                setState(e.getKey(), e.getValue(), Replica.INITIALISING,
                        "fell behind the event log's retention (partition " + partition + "): re-initialising");
            }
        }
        if (log != null) {
            // the lost position is not offered again at the next start (every copy would re-initialise once more)
            store.saveLogPositions(log, Map.of(partition, earliestOffset));
        }
    }

    private void change(Event.Change event) {
        Slot slot = slots.get(event.accountId());
        if (slot == null || !Replica.IN_SYNC.equals(slot.state)) {
            return; // not replicated here, or waiting for a snapshot that includes it, or stopped
        }
        try {
            if (store.apply(event.change())) {
                slot.lastAppliedMillis = clock.millis();
                slot.lastCommitMillis = event.change().committedMillis();
            }
        } catch (StaleEpochException e) {
            slot.fenced++;
            LOG.info("Fenced change {} of {}: {}", event.change().sequence(), event.accountId(), e.getMessage());
            fencingTheOwner(event, slot, e);
        } catch (SequenceGapException e) {
            fail(event.accountId(), slot, "gap in the change sequence: " + e.getMessage());
        } catch (ChangeConflictException e) {
            diverged(event.accountId(), slot, e);
        } catch (IllegalArgumentException e) {
            fail(event.accountId(), slot, "change " + event.change().sequence() + " does not fit this copy: " + e.getMessage());
        } catch (RuntimeException e) {
            throw new StoreFailure(event.accountId(), e);
        }
    }

    /**
     * A fenced change is normally a former owner's late one. If it was made under the epoch the directory holds
     * now, the directory's current owner made it: the directory lost an ownership change this copy adopted (its
     * database failed over to a standby that had not received it, or was restored). The owner then acknowledges
     * changes this copy will never apply, so the copy must not look in sync: it fails, and the administrator is
     * told why (decision 0023).
     */
    private void fencingTheOwner(Event.Change event, Slot slot, StaleEpochException e) {
        Account now;
        try {
            now = directory.account(event.accountId()).orElse(null);
        } catch (RuntimeException ex) {
            return; // looked at again with the owner's next change
        }
        if (now != null && now.epoch() == event.change().epoch() && now.epoch() < e.current()) {
            fail(event.accountId(), slot, "the directory's owner " + now.mailHost() + " writes under epoch " + now.epoch()
                    + ", older than this copy's " + e.current() + ": the directory lost an ownership change (a failover of its "
                    + "database to a standby without synchronous commit, or a restore). Check the account's owner before "
                    + "restarting the replica");
        }
    }

    private void begin(Event.SnapshotBegin b) {
        if (!b.destination().equals(node)) {
            return;
        }
        Slot slot = slots.get(b.accountId());
        if (slot == null) {
            refresh(); // the directory row may be newer than our view
            slot = slots.get(b.accountId());
        }
        if (slot == null || Replica.PAUSED.equals(slot.state)) {
            return;
        }
        if (Replica.IN_SYNC.equals(slot.state)) {
            // an in-sync copy needs no snapshot (this one answers a request already served by an earlier one), unless
            // its database lost what made it in sync (commits lost in a power failure): then the newer snapshot is
            // what it lacks, and every change after it follows in the log
            long held = store.info(b.accountId()).map(MailboxInfo::sequence).orElse(-1L);
            if (held >= b.sequence()) {
                return;
            }
            LOG.warn("Replica copy of {} on {} is in sync at sequence {} but a snapshot at {} follows it in the log: its "
                    + "database lost commits; restoring the snapshot", b.accountId(), node, held, b.sequence());
        }
        slot.pending = new Pending(b, new TreeMap<>());
        if (b.chunks() == 0) {
            complete(b.accountId(), slot);
        }
    }

    private void chunk(Event.SnapshotChunk ch) {
        Slot slot = slots.get(ch.accountId());
        if (slot == null || slot.pending == null || !slot.pending.begin().snapshotId().equals(ch.snapshotId())) {
            return;
        }
        slot.pending.chunks().put(ch.index(), ch.messages());
        if (slot.pending.chunks().size() == slot.pending.begin().chunks()) {
            complete(ch.accountId(), slot);
        }
    }

    private void complete(UUID accountId, Slot slot) {
        Event.SnapshotBegin b = slot.pending.begin();
        List<Message> messages = new ArrayList<>();
        slot.pending.chunks().values().forEach(messages::addAll);
        try {
            store.restore(new MailboxSnapshot(accountId, b.epoch(), b.sequence(), b.itemId(), b.folders(), messages, b.stamp()));
        } catch (StaleEpochException | IllegalArgumentException e) {
            fail(accountId, slot, "snapshot " + b.snapshotId() + " does not fit this copy: " + e.getMessage());
            return;
        } catch (RuntimeException e) {
            // the snapshot stays received: restored again when the batch comes again (its chunks, re-read, complete it
            // at once), or the copy fails alone
            requireWritable(e);
            storeFailed.putIfAbsent(accountId, e);
            return;
        }
        slot.pending = null;
        slot.lastAppliedMillis = clock.millis();
        // in sync only if nobody paused or restarted the replica since this applier last saw its row
        Optional<Replica> row = directory.compareAndSetReplicaState(new Replica(accountId, node, slot.priority, slot.state,
                slot.detail, slot.operationId, slot.updated), Replica.IN_SYNC, "");
        if (row.isEmpty() || !Replica.IN_SYNC.equals(row.get().state())) {
            LOG.info("Replica copy of {} restored from snapshot {} but not in sync: its replica row changed meanwhile ({})",
                    accountId, b.snapshotId(), row.map(r -> r.state()).orElse("removed"));
            row.ifPresent(r -> {
                slot.state = r.state();
                slot.detail = r.detail();
                slot.updated = r.updatedMillis();
                slot.requestedNanos = null;
            });
            return;
        }
        slot.state = Replica.IN_SYNC;
        slot.detail = "";
        slot.updated = row.get().updatedMillis();
        LOG.info("Replica copy of {} initialised from snapshot {} at sequence {} ({} messages)", accountId, b.snapshotId(),
                b.sequence(), messages.size());
        if (slot.operationId != null) {
            Progress.count(directory, slot.operationId, true, null);
            slot.operationId = null;
        }
    }

    private void promotion(Event.Promotion p) {
        Slot slot = slots.get(p.accountId());
        if (slot == null) {
            return;
        }
        if (!Replica.IN_SYNC.equals(slot.state)) {
            if (p.newOwner().equals(node) && !Replica.PAUSED.equals(slot.state)) {
                // given back: this copy is still at the epoch this node claimed last, and the owner it replaced never
                // claimed one; or this node claimed the epoch already (it stopped before it recorded the take-over) and
                // may have acknowledged changes under it. Either way the copy holds every acknowledged change, in sync
                // or not (decision 0027)
                boolean back = p.giveBack() && store.epoch(p.accountId()).orElse(-1) == p.returnEpoch();
                // a copy that may lack rows since a crash does not hold every acknowledged change
                boolean whole = lostRows == null && !slot.detail.startsWith(ROWS_MAY_BE_MISSING);
                if (whole && (back || claimedHere(p))) {
                    if (!headChecked.getAsBoolean()) {
                        // its own changes the database lost are not read back yet: taken over now, it would skip them
                        throw new IllegalStateException("promotion marker of " + p.accountId() + " for this node's copy that is "
                                + "not in sync: waits until this node read back its own changes from the log");
                    }
                    if (back) {
                        LOG.warn("{} given back to this node under epoch {}: taking it over from this copy (at the epoch {} it "
                                + "claimed)", p.accountId(), p.epoch(), p.returnEpoch());
                    }
                    adopting.put(p.accountId(), p);
                    return;
                }
            }
            if (p.newOwner().equals(node) && stillPromotedHere(p)) {
                fail(p.accountId(), slot, "promoted to this node while its copy was " + slot.state
                        + (slot.detail.isEmpty() ? "" : " (" + slot.detail + ")") + ": not taken over");
            }
            return;
        }
        adopting.put(p.accountId(), p); // adopted with the batch's other markers, before any later event of the account
    }

    /** Whether the directory names this node the owner under the marker's epoch and records that it claimed it. */
    private boolean claimedHere(Event.Promotion p) {
        return directory.account(p.accountId()).map(a -> a.claimed() && a.mailHost().equals(node) && a.epoch() == p.epoch()
                && store.epoch(p.accountId()).isPresent()).orElse(false);
    }

    /** Whether the directory still names this node the owner under the marker's epoch (a late marker: not any more). */
    private boolean stillPromotedHere(Event.Promotion p) {
        return directory.account(p.accountId()).map(a -> a.mailHost().equals(node) && a.epoch() == p.epoch()).orElse(false);
    }

    /** Adopts the epochs of the promotion markers met so far, in one store transaction; takes over those promoted here. */
    private void adoptPending() {
        if (adopting.isEmpty()) {
            return;
        }
        // the epochs this node is promoted to are claimed before its copies adopt them: a change is acknowledged
        // only after adoption, so an epoch never claimed had none, and the account can be given back (decision 0027)
        Map<UUID, Long> mine = new java.util.LinkedHashMap<>();
        adopting.forEach((id, p) -> {
            if (p.newOwner().equals(node) && store.epoch(id).isPresent()) {
                // only with a copy to adopt it: a claim without one would keep the account from its claimant
                mine.put(id, p.epoch());
            }
        });
        Set<UUID> claimed = mine.isEmpty() ? Set.of() : directory.claim(node, mine);
        Map<UUID, Long> epochs = new java.util.LinkedHashMap<>();
        adopting.forEach((id, p) -> {
            if (!p.giveBack() || !p.newOwner().equals(node) || claimed.contains(id)) {
                // a promotion not claimed (the directory moved on) is still adopted, as a replica's, and so is a
                // give-back to another node; a give-back to this node not claimed leaves the copy as it was, a
                // replica waiting for its snapshot
                epochs.put(id, p.epoch());
            }
        });
        Map<UUID, Long> adopted = epochs.isEmpty() ? Map.of() : store.adoptEpochs(epochs);
        for (Event.Promotion p : adopting.values()) {
            Slot slot = slots.get(p.accountId());
            if (slot == null || !epochs.containsKey(p.accountId())) {
                continue;
            }
            if (!adopted.containsKey(p.accountId())) {
                fail(p.accountId(), slot, "promotion marker for epoch " + p.epoch() + " but no copy here");
            } else if (p.newOwner().equals(node) && claimed.contains(p.accountId())) {
                // recorded at the batch's end, only if the directory still names this node under this epoch
                tookOver.add(new DirectoryAdminService.TakeOver(p.accountId(), p.epoch(), p.previousOwner(), slot.priority));
            } else if (p.newOwner().equals(node)) {
                LOG.info("Promotion marker of {} for this node under epoch {} is stale (the directory moved on): not claimed, "
                        + "not taken over, the copy stays a replica", p.accountId(), p.epoch());
            }
        }
        adopting.clear();
    }

    /**
     * The copy holds a change its source rolled back after it reached the log (decision 0021): it can never
     * become equal again by applying changes, so it re-initialises from a snapshot, as after lost retention.
     * Until the snapshot is applied it is not in sync, so it cannot be promoted with that change.
     */
    private void diverged(UUID accountId, Slot slot, ChangeConflictException e) {
        String reason = "diverged from its source at change " + e.sequence()
                + " (a change the source rolled back had reached the log): re-initialising from a snapshot";
        LOG.warn("Replica copy of {} on {}: {} ({})", accountId, node, reason, e.getMessage());
        setState(accountId, slot, Replica.INITIALISING, reason);
        directory.notify(Notification.Severity.WARNING, "Replica of " + accountId + " on " + node + " re-initialises",
                reason + "\nNothing to do: it is in sync again once the snapshot is applied (ha:getAccountStatus).");
    }

    private void fail(UUID accountId, Slot slot, String reason) {
        LOG.warn("Replica copy of {} on {} stopped: {}", accountId, node, reason);
        setState(accountId, slot, Replica.FAILED, reason);
        slot.pending = null;
        directory.notify(Notification.Severity.WARNING, "Replica of " + accountId + " on " + node + " stopped",
                reason + "\nRestart it with: ha:restartReplicas accounts <account>");
        if (slot.operationId != null) {
            Progress.count(directory, slot.operationId, false, accountId + " on " + node + ": " + reason);
            slot.operationId = null;
        }
    }

    private void setState(UUID accountId, Slot slot, String state, String detail) {
        directory.setReplicaState(accountId, node, state, detail).ifPresent(r -> slot.updated = r.updatedMillis());
        slot.state = state;
        slot.detail = detail;
        if (Replica.INITIALISING.equals(state)) {
            slot.pending = null;
            slot.requestedNanos = null; // ask for a snapshot at the next refresh
        }
    }

    // ------------------------------------------------------------------ status

    /** Every local mailbox with this applier's view of it. */
    List<NodeStatus.Box> boxes() {
        Map<UUID, SlotView> views;
        lock.lock();
        try {
            views = views();
        } finally {
            lock.unlock();
        }
        return boxes(views);
    }

    /**
     * {@link #boxes()}, unless the applier holds its lock longer than {@code wait} (busy, or blocked): then empty.
     * Only the copies' states are read under the lock; the database is read after it is released, so a database that
     * does not answer never holds the lock from a status answer.
     */
    Optional<List<NodeStatus.Box>> boxes(java.time.Duration wait) {
        try {
            if (!lock.tryLock(wait.toNanos(), TimeUnit.NANOSECONDS)) {
                return Optional.empty();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        Map<UUID, SlotView> views;
        try {
            views = views();
        } finally {
            lock.unlock();
        }
        return Optional.of(boxes(views));
    }

    /** What a status shows of a copy, taken under the lock. */
    private record SlotView(String state, long lastAppliedMillis, long lastCommitMillis, long fenced, String detail) {
    }

    private Map<UUID, SlotView> views() {
        Map<UUID, SlotView> out = new HashMap<>();
        slots.forEach((id, s) -> out.put(id, new SlotView(s.state, s.lastAppliedMillis, s.lastCommitMillis, s.fenced, s.detail)));
        return out;
    }

    private List<NodeStatus.Box> boxes(Map<UUID, SlotView> slots) {
        List<NodeStatus.Box> out = new ArrayList<>();
        for (MailboxInfo m : store.mailboxes()) {
            SlotView s = slots.get(m.accountId());
            if (s == null) {
                out.add(new NodeStatus.Box(m.accountId(), m.mailboxId(), m.sequence(), m.itemId(), "local", 0, 0, 0, ""));
            } else {
                out.add(new NodeStatus.Box(m.accountId(), m.mailboxId(), m.sequence(), m.itemId(), s.state(), s.lastAppliedMillis(),
                        s.lastCommitMillis(), s.fenced(), s.detail()));
            }
        }
        return out;
    }

    /**
     * Whether this node keeps no replica copy (and adopts no promotion): then no record is of use to it, since
     * a snapshot for it comes only after it asked for one, which it does once it has a copy to initialise.
     */
    boolean idle() {
        lock.lock();
        try {
            return slots.isEmpty() && adopting.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    Set<UUID> accounts() {
        lock.lock();
        try {
            return Set.copyOf(slots.keySet());
        } finally {
            lock.unlock();
        }
    }
}
