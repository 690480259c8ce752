package io.tandem.mailstore.jdbc.internal;

import io.tandem.jdbc.support.Batches;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.mailbox.ChangeConflictException;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.EpochNotReachedException;
import io.tandem.api.mailbox.MailboxChangeHook;
import io.tandem.api.mailbox.MailboxSnapshot;
import io.tandem.api.mailbox.MissingHookException;
import io.tandem.api.mailbox.MailboxInfo;
import io.tandem.api.mailbox.MailboxNotFoundException;
import io.tandem.api.mailbox.MailboxOp;
import io.tandem.api.mailbox.MailboxStore;
import io.tandem.api.mailbox.MailboxTransaction;
import io.tandem.api.mailbox.Message;
import io.tandem.api.mailbox.Mutation;
import io.tandem.api.mailbox.SequenceGapException;
import io.tandem.api.mailbox.StaleEpochException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The mailbox store on a JDBC database. Every change, local ({@link #execute}) or replicated ({@link #apply}),
 * locks its mailbox row first ({@code SELECT ... FOR UPDATE}), writes its operations through one
 * {@link OpWriter} (the only code that validates and writes an operation), then moves the row's sequence in
 * the same transaction: changes of one mailbox are serialised, gap-free, and applied exactly once.
 */
public class JdbcMailboxStore implements MailboxStore {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcMailboxStore.class);
    static final int MAX_PAGE = 1000;

    static final String MESSAGE_COLUMNS = "item_id, folder_id, blob_volume, blob_key, blob_sha256, blob_size, size, "
            + "received_millis, subject, sender, recipients";

    private final DataSource dataSource;
    private final Clock clock;
    private final List<MailboxChangeHook> hooks = new CopyOnWriteArrayList<>();
    private final Map<MailboxChangeHook, String> hookNames = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Set<String> requiredHooks = Set.of();
    /** Whether the database is H2 (its row lock is taken differently, see {@link #lock}); null until known. */
    private volatile Boolean h2;

    JdbcMailboxStore(DataSource dataSource, Clock clock) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    void addHook(MailboxChangeHook hook) {
        addHook(hook, null);
    }

    /** Adds a hook, named {@code name} (may be null) for {@link #requireHooks}. */
    void addHook(MailboxChangeHook hook, String name) {
        if (name != null) {
            hookNames.put(hook, name);
        }
        hooks.add(hook);
    }

    void removeHook(MailboxChangeHook hook) {
        hooks.remove(hook);
        hookNames.remove(hook);
    }

    /** Every local change is refused while a hook of one of these names is missing. */
    void requireHooks(Set<String> names) {
        requiredHooks = Set.copyOf(names);
    }

    /**
     * The hooks a change runs, taken once at its start and checked to hold every required one: a hook
     * unregistered while the change runs (a bundle update) is still called, so a change never commits
     * without the required hooks having seen it.
     */
    private List<MailboxChangeHook> checkRequiredHooks(UUID accountId) {
        List<MailboxChangeHook> running = List.copyOf(hooks);
        for (String name : requiredHooks) {
            if (running.stream().noneMatch(h -> name.equals(hookNames.get(h)))) {
                throw new MissingHookException("change of " + accountId + " refused: the '" + name
                        + "' hook is not running on this node (starting or being updated), try again in a moment");
            }
        }
        return running;
    }

    /** The state of a mailbox row; {@code stamp} is that of the change at {@code sequence} (0: unknown). */
    private record Head(long mailboxId, long sequence, long itemId, long epoch, long stamp) {
    }

    /** The columns of a {@link Head}, in the order {@link #head(ResultSet, int)} reads them. */
    private static final String HEAD_COLUMNS = "mailbox_id, sequence, item_id, epoch, change_stamp";

    /** A random non-zero stamp for a new change ({@link MailboxChange#stamp()}). */
    private static long newStamp() {
        long stamp;
        do {
            stamp = java.util.concurrent.ThreadLocalRandom.current().nextLong();
        } while (stamp == 0);
        return stamp;
    }

    // ------------------------------------------------------------------ changes

    @Override
    public MailboxInfo create(UUID accountId, long epoch) {
        Objects.requireNonNull(accountId, "accountId");
        return Tx.run(dataSource, tx -> {
            if (tx.exists("SELECT 1 FROM mailboxes WHERE account_id = ?", accountId)) {
                throw new IllegalArgumentException("account " + accountId + " already has a mailbox");
            }
            long mailboxId = tx.insertReturning("mailbox_id",
                    "INSERT INTO mailboxes (account_id, sequence, item_id, epoch) VALUES (?, 0, ?, ?)",
                    accountId, Folder.FIRST_USER_ID - 1, epoch);
            Accepted accepted = commit(tx, accountId, epoch, (writer, ctx) -> {
                for (Folder f : Folder.systemFolders()) {
                    ctx.record(new MailboxOp.CreateFolder(f.id(), f.name(), f.parentId()));
                }
            });
            return new Created(new MailboxInfo(accountId, mailboxId, accepted.change().sequence(), accepted.change().itemId()),
                    accepted);
        }).committed();
    }

    /** A mailbox created, and what its first change's hooks are told once it committed. */
    private record Created(MailboxInfo info, Accepted accepted) {

        MailboxInfo committed() {
            accepted.committed();
            return info;
        }
    }

    /** A change every hook accepted, and those hooks (told {@link MailboxChangeHook#afterCommit} once it committed). */
    private record Accepted(MailboxChange change, List<MailboxChangeHook> hooks) {

        MailboxChange committed() {
            for (MailboxChangeHook hook : hooks) {
                try {
                    hook.afterCommit(change);
                } catch (RuntimeException e) {
                    LOG.error("A hook failed after change {} of {} committed", change.sequence(), change.accountId(), e);
                }
            }
            return change;
        }
    }

    @Override
    public MailboxChange execute(UUID accountId, long epoch, Mutation mutation) {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(mutation, "mutation");
        java.util.concurrent.atomic.AtomicReference<Accepted> accepted = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            return Tx.run(dataSource, tx -> {
                Accepted a = commit(tx, accountId, epoch, (writer, ctx) -> mutation.run(ctx));
                accepted.set(a);
                return a;
            }).committed();
        } catch (MailstoreUnavailableException e) {
            Accepted a = accepted.get();
            if (a == null) {
                throw e;
            }
            return rollForward(a, e);
        }
    }

    /**
     * The database's commit failed after every hook accepted the change: replication has already committed it
     * to the log, where the replicas apply it (decision 0024). Rolling back would leave this copy behind its own
     * replicas, so the change is applied once more, as a replica applies it; when that works the change stands
     * and its caller is answered as usual. When it fails too, the caller gets the error and the copy is one
     * change behind the log until its next change (the replicas then see a different change under that sequence
     * and re-initialise from this copy: decision 0021).
     */
    private MailboxChange rollForward(Accepted accepted, MailstoreUnavailableException failure) {
        MailboxChange change = accepted.change();
        try {
            if (apply(change)) {
                LOG.warn("Change {} of {} committed on the second try (the first commit failed: {})", change.sequence(),
                        change.accountId(), failure.getMessage());
                return accepted.committed();
            }
            if (Tx.run(dataSource, tx -> lock(tx, change.accountId()))
                    .filter(h -> h.sequence() == change.sequence() && h.stamp() == change.stamp()).isPresent()) {
                // the first commit did happen (only its answer was lost): the change stands as it is
                LOG.warn("Change {} of {} was committed although the database reported: {}", change.sequence(),
                        change.accountId(), failure.getMessage());
                return accepted.committed();
            }
            LOG.error("Change {} of {} accepted by the hooks but not committed ({}), and another change took its sequence",
                    change.sequence(), change.accountId(), failure.getMessage());
        } catch (RuntimeException again) {
            failure.addSuppressed(again);
            LOG.error("Change {} of {} accepted by the hooks but not committed, twice: {}", change.sequence(),
                    change.accountId(), again.getMessage());
        }
        throw failure;
    }

    private interface Body {
        void run(OpWriter writer, Context ctx) throws SQLException;
    }

    /** The single transaction path of local changes: lock, run, bump the sequence by one, hooks, (caller commits). */
    private Accepted commit(Tx tx, UUID accountId, long epoch, Body body) throws SQLException {
        List<MailboxChangeHook> running = checkRequiredHooks(accountId);
        Head head = lock(tx, accountId).orElseThrow(() -> new MailboxNotFoundException(accountId));
        if (epoch < head.epoch()) {
            throw new StaleEpochException(accountId, head.epoch(), epoch);
        }
        if (epoch > head.epoch()) {
            throw new EpochNotReachedException(accountId, head.epoch(), epoch);
        }
        OpWriter writer = new OpWriter(tx, accountId, head.itemId());
        Context ctx = new Context(writer, head.itemId());
        try {
            body.run(writer, ctx);
        } catch (UncheckedSql e) {
            throw e.getCause();
        } finally {
            ctx.open = false;
        }
        if (ctx.ops.isEmpty()) {
            throw new IllegalArgumentException("the mutation of account " + accountId + " made no change");
        }
        MailboxChange change = new MailboxChange(accountId, epoch, head.sequence() + 1, ctx.itemId, ctx.ops, clock.millis(),
                newStamp());
        advance(tx, accountId, head.sequence(), new Head(head.mailboxId(), change.sequence(), change.itemId(), epoch, change.stamp()));
        MailboxChangeHook.Transaction transaction = (log, partition, offset) -> {
            Objects.requireNonNull(log, "log");
            try {
                tx.update("UPDATE mailboxes SET source_log = ?, source_partition = ?, source_offset = ? WHERE account_id = ?",
                        log, partition, offset, accountId);
            } catch (SQLException e) {
                throw new UncheckedSql(e);
            }
        };
        try {
            for (MailboxChangeHook hook : running) {
                hook.beforeCommit(change, transaction);
            }
        } catch (UncheckedSql e) {
            throw e.getCause();
        }
        return new Accepted(change, running);
    }

    @Override
    public boolean apply(MailboxChange change) {
        Objects.requireNonNull(change, "change");
        return Tx.run(dataSource, tx -> applyMailbox(tx, change.accountId(), List.of(change), lock(tx, change.accountId())) == 1);
    }

    @Override
    public int applyAll(List<MailboxChange> changes) {
        return applyAll(changes, null, Map.of());
    }

    @Override
    public int applyAll(List<MailboxChange> changes, String log, Map<Integer, Long> positions) {
        Objects.requireNonNull(positions, "positions");
        if (changes.isEmpty()) {
            saveLogPositions(log, positions);
            return 0;
        }
        // each mailbox's changes in their order; the mailboxes in the order they first appear
        Map<UUID, List<MailboxChange>> byMailbox = new LinkedHashMap<>();
        for (MailboxChange c : changes) {
            byMailbox.computeIfAbsent(Objects.requireNonNull(c, "change").accountId(), k -> new ArrayList<>()).add(c);
        }
        return Tx.run(dataSource, tx -> {
            Map<UUID, Head> heads = lockAll(tx, byMailbox.keySet());
            int applied = 0;
            for (Map.Entry<UUID, List<MailboxChange>> e : byMailbox.entrySet()) {
                applied += applyMailbox(tx, e.getKey(), e.getValue(), Optional.ofNullable(heads.get(e.getKey())));
            }
            writePositions(tx, log, positions);
            return applied;
        });
    }

    @Override
    public void saveLogPositions(String log, Map<Integer, Long> positions) {
        if (!positions.isEmpty()) {
            Tx.run(dataSource, tx -> {
                writePositions(tx, log, positions);
                return null;
            });
        }
    }

    @Override
    public Map<Integer, Long> logPositions(String log) {
        Objects.requireNonNull(log, "log");
        return Tx.run(dataSource, tx -> {
            Map<Integer, Long> out = new java.util.TreeMap<>();
            for (long[] row : tx.list("SELECT log_partition, next_offset FROM log_positions WHERE log = ?",
                    rs -> new long[] {rs.getInt(1), rs.getLong(2)}, log)) {
                out.put((int) row[0], row[1]);
            }
            return out;
        });
    }

    @Override
    public Map<Integer, Long> sourcePositions(String log) {
        Objects.requireNonNull(log, "log");
        return Tx.run(dataSource, tx -> {
            Map<Integer, Long> out = new java.util.TreeMap<>();
            for (long[] row : tx.list("SELECT source_partition, MAX(source_offset) FROM mailboxes WHERE source_log = ? "
                    + "GROUP BY source_partition", rs -> new long[] {rs.getInt(1), rs.getLong(2)}, log)) {
                out.merge((int) row[0], row[1], Math::max);
            }
            for (long[] row : tx.list("SELECT log_partition, next_offset FROM log_positions WHERE log = ?",
                    rs -> new long[] {rs.getInt(1), rs.getLong(2)}, sourceKey(log))) {
                out.merge((int) row[0], row[1], Math::max);
            }
            return out;
        });
    }

    @Override
    public void saveSourcePositions(String log, Map<Integer, Long> positions) {
        saveLogPositions(sourceKey(log), positions);
    }

    /** Source positions saved alone share the table of the copies' positions, under their own key. */
    private static String sourceKey(String log) {
        return Objects.requireNonNull(log, "log") + " (source)";
    }

    /** Stores positions (only the applier writes them, on one thread: an update, else an insert, is enough). */
    private static void writePositions(Tx tx, String log, Map<Integer, Long> positions) throws SQLException {
        if (positions.isEmpty()) {
            return;
        }
        Objects.requireNonNull(log, "log");
        List<Object[]> rows = new ArrayList<>();
        positions.forEach((partition, offset) -> rows.add(new Object[] {offset, log, partition}));
        int[] updated = tx.batch("UPDATE log_positions SET next_offset = ? WHERE log = ? AND log_partition = ?", rows);
        List<Object[]> missing = new ArrayList<>();
        for (int i = 0; i < updated.length; i++) {
            if (updated[i] == 0) {
                Object[] r = rows.get(i);
                missing.add(new Object[] {r[1], r[2], r[0]});
            }
        }
        tx.batch("INSERT INTO log_positions (log, log_partition, next_offset) VALUES (?, ?, ?)", missing);
    }

    /**
     * Applies one mailbox's changes, in order, on its locked row {@code current} (empty: no mailbox yet): each
     * change is checked against the sequence and epoch reached so far, the row is written once at the end.
     *
     * @return how many were applied (the others were already applied)
     */
    private int applyMailbox(Tx tx, UUID accountId, List<MailboxChange> changes, Optional<Head> current) throws SQLException {
        Head start;
        if (current.isPresent()) {
            start = current.get();
        } else {
            MailboxChange first = changes.get(0);
            if (first.sequence() != 1) {
                throw new SequenceGapException(accountId, 1, first.sequence());
            }
            long mailboxId = tx.insertReturning("mailbox_id",
                    "INSERT INTO mailboxes (account_id, sequence, item_id, epoch) VALUES (?, 0, 0, ?)",
                    accountId, first.epoch());
            start = new Head(mailboxId, 0, 0, first.epoch(), 0);
        }
        OpWriter writer = new OpWriter(tx, accountId, start.itemId());
        Head head = start;
        int applied = 0;
        for (MailboxChange change : changes) {
            Head next = applyIn(writer, change, head);
            if (next != null) {
                head = next;
                applied++;
            }
        }
        if (applied > 0) {
            advance(tx, accountId, start.sequence(), head);
        }
        return applied;
    }

    /** Locks the rows of these mailboxes (those that exist) with one statement, in account order. */
    private Map<UUID, Head> lockAll(Tx tx, Set<UUID> accountIds) throws SQLException {
        Map<UUID, Head> heads = new HashMap<>();
        if (accountIds.size() == 1) {
            UUID id = accountIds.iterator().next();
            lock(tx, id).ifPresent(h -> heads.put(id, h));
            return heads;
        }
        Object[] ids = accountIds.toArray();
        String select = "SELECT account_id, " + HEAD_COLUMNS + " FROM mailboxes WHERE account_id IN (";
        List<Map.Entry<UUID, Head>> rows;
        if (h2(tx)) {
            // as in lock(): H2 parses a SELECT ... FOR UPDATE for every transaction, so the rows are locked by an
            // UPDATE that changes nothing, then read; the id list is padded to a power of two (repeating the last
            // id) so that a few statement texts cover every batch size and stay in H2's statement cache
            Object[] padded = java.util.Arrays.copyOf(ids, Integer.highestOneBit(ids.length - 1) << 1);
            java.util.Arrays.fill(padded, ids.length, padded.length, ids[ids.length - 1]);
            String in = Batches.placeholders(padded.length) + ")";
            tx.update("UPDATE mailboxes SET sequence = sequence WHERE account_id IN (" + in, padded);
            rows = tx.list(select + in, JdbcMailboxStore::headEntry, padded);
        } else {
            rows = tx.list(select + Batches.placeholders(ids.length) + ") ORDER BY account_id FOR UPDATE", JdbcMailboxStore::headEntry, ids);
        }
        for (Map.Entry<UUID, Head> row : rows) {
            heads.put(row.getKey(), row.getValue());
        }
        return heads;
    }

    /**
     * Writes one change's operations, checked against the row as reached so far ({@code head}).
     *
     * @return the row after the change (not written yet), or {@code null} when the change was skipped (already applied)
     */
    private static Head applyIn(OpWriter writer, MailboxChange change, Head head) throws SQLException {
        UUID accountId = change.accountId();
        if (change.sequence() <= head.sequence()) {
            if (change.sequence() == head.sequence() && change.stamp() != 0 && head.stamp() != 0 && change.stamp() != head.stamp()) {
                if (change.epoch() < head.epoch()) {
                    // a late change of a former owner under the sequence the new owner already used: fenced
                    throw new StaleEpochException(accountId, head.epoch(), change.epoch());
                }
                // not a replay: the change applied under this sequence was rolled back on the source
                throw new ChangeConflictException(accountId, change.sequence(), head.stamp(), change.stamp());
            }
            LOG.debug("Skipped change {} of {}: already at {}", change.sequence(), accountId, head.sequence());
            return null;
        }
        if (change.sequence() != head.sequence() + 1) {
            throw new SequenceGapException(accountId, head.sequence() + 1, change.sequence());
        }
        if (change.epoch() < head.epoch()) {
            throw new StaleEpochException(accountId, head.epoch(), change.epoch());
        }
        for (MailboxOp op : change.ops()) {
            writer.write(op);
        }
        // never below an id the change used, whatever the event says: ids above the row's counter are free
        long itemId = Math.max(Math.max(head.itemId(), change.itemId()), writer.highestCreated());
        return new Head(head.mailboxId(), change.sequence(), itemId, Math.max(head.epoch(), change.epoch()), change.stamp());
    }

    /** Moves the locked row from {@code fromSequence} to {@code to}'s sequence, item counter and epoch. */
    private static void advance(Tx tx, UUID accountId, long fromSequence, Head to) throws SQLException {
        int n = tx.update("UPDATE mailboxes SET sequence = ?, item_id = ?, epoch = ?, change_stamp = ? WHERE account_id = ? AND sequence = ?",
                to.sequence(), to.itemId(), to.epoch(), to.stamp(), accountId, fromSequence);
        if (n != 1) { // cannot happen while the row is locked; never commit a change that did not move the sequence
            throw new IllegalStateException("mailbox of " + accountId + " moved from sequence " + fromSequence + " while locked");
        }
    }

    @Override
    public MailboxSnapshot snapshot(UUID accountId, Consumer<MailboxSnapshot> whileLocked) {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(whileLocked, "whileLocked");
        return Tx.run(dataSource, tx -> {
            Head head = lock(tx, accountId).orElseThrow(() -> new MailboxNotFoundException(accountId));
            List<Message> all = messages(tx, accountId, null, List.of(), 0, Integer.MAX_VALUE);
            List<Message> byId = new ArrayList<>(all);
            byId.sort(java.util.Comparator.comparingLong(Message::itemId));
            MailboxSnapshot snapshot = new MailboxSnapshot(accountId, head.epoch(), head.sequence(), head.itemId(),
                    folders(tx, accountId), byId, head.stamp());
            whileLocked.accept(snapshot);
            return snapshot;
        });
    }

    @Override
    public void restore(MailboxSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        UUID accountId = snapshot.accountId();
        Tx.run(dataSource, tx -> {
            Optional<Head> current = lock(tx, accountId);
            if (current.isPresent() && snapshot.epoch() < current.get().epoch()) {
                throw new StaleEpochException(accountId, current.get().epoch(), snapshot.epoch());
            }
            if (current.isPresent()) {
                clear(tx, accountId, false);
                tx.update("UPDATE mailboxes SET sequence = ?, item_id = ?, epoch = ?, change_stamp = ? WHERE account_id = ?",
                        snapshot.sequence(), snapshot.itemId(), snapshot.epoch(), snapshot.stamp(), accountId);
            } else {
                tx.insertReturning("mailbox_id",
                        "INSERT INTO mailboxes (account_id, sequence, item_id, epoch, change_stamp) VALUES (?, ?, ?, ?, ?)",
                        accountId, snapshot.sequence(), snapshot.itemId(), snapshot.epoch(), snapshot.stamp());
            }
            OpWriter writer = new OpWriter(tx, accountId, Long.MAX_VALUE);
            List<Folder> folders = new ArrayList<>(snapshot.folders());
            folders.sort(java.util.Comparator.comparingLong(Folder::id)); // a parent is always older than its children
            for (Folder f : folders) {
                writer.write(new MailboxOp.CreateFolder(f.id(), f.name(), f.parentId()));
            }
            for (Message m : snapshot.messages()) {
                writer.write(new MailboxOp.AddMessage(m.itemId(), m.folderId(), m.blob(), m.size(), m.receivedMillis(),
                        m.subject(), m.from(), m.to(), m.flags(), m.tags()));
            }
            return null;
        });
    }

    @Override
    public long adoptEpoch(UUID accountId, long epoch) {
        Objects.requireNonNull(accountId, "accountId");
        return Tx.run(dataSource, tx -> {
            Head head = lock(tx, accountId).orElseThrow(() -> new MailboxNotFoundException(accountId));
            if (epoch <= head.epoch()) {
                return head.epoch();
            }
            tx.update("UPDATE mailboxes SET epoch = ? WHERE account_id = ?", epoch, accountId);
            return epoch;
        });
    }

    @Override
    public Map<UUID, Long> adoptEpochs(Map<UUID, Long> epochs) {
        Objects.requireNonNull(epochs, "epochs");
        if (epochs.isEmpty()) {
            return Map.of();
        }
        return Tx.run(dataSource, tx -> {
            // one locking read and one batch of updates for all of them
            Object[] ids = epochs.keySet().toArray();
            Map<UUID, Long> current = new HashMap<>();
            for (Object[] row : tx.list("SELECT account_id, epoch FROM mailboxes WHERE account_id IN (" + Batches.placeholders(ids.length)
                    + ") ORDER BY account_id FOR UPDATE", rs -> new Object[] {rs.getObject(1, UUID.class), rs.getLong(2)}, ids)) {
                current.put((UUID) row[0], (Long) row[1]);
            }
            Map<UUID, Long> out = new LinkedHashMap<>();
            List<Object[]> raise = new ArrayList<>();
            epochs.forEach((id, epoch) -> {
                Long was = current.get(id);
                if (was != null) {
                    out.put(id, Math.max(was, epoch));
                    if (epoch > was) {
                        raise.add(new Object[] {epoch, id});
                    }
                }
            });
            tx.batch("UPDATE mailboxes SET epoch = ? WHERE account_id = ?", raise);
            return out;
        });
    }

    @Override
    public void delete(UUID accountId) {
        Tx.run(dataSource, tx -> {
            lock(tx, accountId).orElseThrow(() -> new MailboxNotFoundException(accountId));
            clear(tx, accountId, true);
            return null;
        });
    }

    /** Deletes a mailbox's content, and its row when {@code row}. */
    private static void clear(Tx tx, UUID accountId, boolean row) throws SQLException {
        tx.update("DELETE FROM message_flags WHERE account_id = ?", accountId);
        tx.update("DELETE FROM message_tags WHERE account_id = ?", accountId);
        tx.update("DELETE FROM messages WHERE account_id = ?", accountId);
        tx.update("DELETE FROM folders WHERE account_id = ?", accountId);
        if (row) {
            tx.update("DELETE FROM mailboxes WHERE account_id = ?", accountId);
        }
    }

    /** Locks the mailbox's row for the rest of the transaction and reads it (empty: no mailbox). */
    /** Whether the database is H2 (known from the first transaction on). */
    private boolean h2(Tx tx) throws SQLException {
        Boolean isH2 = h2;
        if (isH2 == null) {
            isH2 = "H2".equals(tx.databaseProduct());
            h2 = isH2;
        }
        return isH2;
    }

    private Optional<Head> lock(Tx tx, UUID accountId) throws SQLException {
        if (h2(tx)) {
            // H2 parses a SELECT ... FOR UPDATE again for every transaction (it never keeps one in its statement
            // cache): an UPDATE that changes nothing takes the same row lock, and both statements below are kept
            if (tx.update("UPDATE mailboxes SET sequence = sequence WHERE account_id = ?", accountId) == 0) {
                return Optional.empty();
            }
            return tx.one("SELECT " + HEAD_COLUMNS + " FROM mailboxes WHERE account_id = ?", rs -> head(rs, 1),
                    accountId);
        }
        return tx.one("SELECT " + HEAD_COLUMNS + " FROM mailboxes WHERE account_id = ? FOR UPDATE", rs -> head(rs, 1),
                accountId);
    }

    private static Map.Entry<UUID, Head> headEntry(ResultSet rs) throws SQLException {
        return Map.entry(rs.getObject(1, UUID.class), head(rs, 2));
    }

    /** The {@link #HEAD_COLUMNS} from column {@code first} on. */
    private static Head head(ResultSet rs, int first) throws SQLException {
        return new Head(rs.getLong(first), rs.getLong(first + 1), rs.getLong(first + 2), rs.getLong(first + 3), rs.getLong(first + 4));
    }

    /**
     * Carries an SQLException through the {@link MailboxTransaction} methods, which cannot throw it; to callers it
     * is the store's database failing, as it is.
     */
    private static final class UncheckedSql extends io.tandem.api.mailbox.MailboxStoreUnavailableException {
        private static final long serialVersionUID = 1L;

        UncheckedSql(SQLException cause) {
            super("mailstore database error: " + cause.getMessage(), cause);
        }

        @Override
        public synchronized SQLException getCause() {
            return (SQLException) super.getCause();
        }
    }

    private interface SqlCall<T> {
        T call() throws SQLException;
    }

    private static <T> T unchecked(SqlCall<T> call) {
        try {
            return call.call();
        } catch (SQLException e) {
            throw new UncheckedSql(e);
        }
    }

    /** The {@link MailboxTransaction} of one {@link #execute}: allocates ids, writes and records operations. */
    private static final class Context implements MailboxTransaction {
        private final OpWriter writer;
        private final List<MailboxOp> ops = new ArrayList<>();
        private long itemId;
        private boolean open = true;

        Context(OpWriter writer, long itemId) {
            this.writer = writer;
            this.itemId = itemId;
        }

        void record(MailboxOp op) throws SQLException {
            if (!open) {
                throw new IllegalStateException("the mailbox transaction is over");
            }
            writer.write(op);
            ops.add(op);
        }

        private void make(MailboxOp op) {
            unchecked(() -> {
                record(op);
                return null;
            });
        }

        @Override
        public long createFolder(String name, Long parentId) {
            long id = itemId + 1;
            make(new MailboxOp.CreateFolder(id, name, parentId));
            itemId = id;
            return id;
        }

        @Override
        public void renameFolder(long folderId, String name) {
            make(new MailboxOp.RenameFolder(folderId, name));
        }

        @Override
        public void deleteFolder(long folderId) {
            make(new MailboxOp.DeleteFolder(folderId));
        }

        @Override
        public long addMessage(long folderId, BlobRef blob, long size, long receivedMillis, String subject, String from,
                               String to, Set<String> flags, Set<String> tags) {
            long id = itemId + 1;
            make(new MailboxOp.AddMessage(id, folderId, blob, size, receivedMillis, subject, from, to, flags, tags));
            itemId = id;
            return id;
        }

        @Override
        public void setFlags(long itemId, Set<String> flags) {
            make(new MailboxOp.SetFlags(itemId, flags));
        }

        @Override
        public void setTags(long itemId, Set<String> tags) {
            make(new MailboxOp.SetTags(itemId, tags));
        }

        @Override
        public void moveMessage(long itemId, long folderId) {
            make(new MailboxOp.MoveMessage(itemId, folderId));
        }

        @Override
        public void deleteMessage(long itemId) {
            make(new MailboxOp.DeleteMessage(itemId));
        }

        @Override
        public List<Folder> folders() {
            return unchecked(writer::folders);
        }

        @Override
        public Optional<Message> message(long itemId) {
            return unchecked(() -> writer.message(itemId));
        }

        @Override
        public OptionalLong itemWithBlob(String sha256) {
            Objects.requireNonNull(sha256, "sha256");
            return unchecked(() -> writer.itemWithBlob(sha256));
        }
    }

    // ------------------------------------------------------------------ reads

    @Override
    public List<MailboxInfo> mailboxes() {
        return Tx.run(dataSource, tx -> tx.list("SELECT account_id, mailbox_id, sequence, item_id FROM mailboxes ORDER BY account_id",
                rs -> new MailboxInfo(rs.getObject(1, UUID.class), rs.getLong(2), rs.getLong(3), rs.getLong(4))));
    }

    @Override
    public OptionalLong epoch(UUID accountId) {
        Objects.requireNonNull(accountId, "accountId");
        Optional<Long> epoch = Tx.run(dataSource, tx -> tx.one("SELECT epoch FROM mailboxes WHERE account_id = ?",
                rs -> rs.getLong(1), accountId));
        return epoch.isPresent() ? OptionalLong.of(epoch.get()) : OptionalLong.empty();
    }

    @Override
    public Optional<MailboxInfo> info(UUID accountId) {
        Objects.requireNonNull(accountId, "accountId");
        return Tx.run(dataSource, tx -> tx.one("SELECT mailbox_id, sequence, item_id FROM mailboxes WHERE account_id = ?",
                rs -> new MailboxInfo(accountId, rs.getLong(1), rs.getLong(2), rs.getLong(3)), accountId));
    }

    @Override
    public List<Folder> folders(UUID accountId) {
        return Tx.run(dataSource, tx -> {
            requireMailbox(tx, accountId);
            return folders(tx, accountId);
        });
    }

    @Override
    public List<Message> messages(UUID accountId, long folderId, int offset, int limit) {
        page(offset, limit);
        return Tx.run(dataSource, tx -> {
            requireMailbox(tx, accountId);
            if (!tx.exists("SELECT 1 FROM folders WHERE account_id = ? AND folder_id = ?", accountId, folderId)) {
                throw new IllegalArgumentException("no folder " + folderId + " in the mailbox of " + accountId);
            }
            return messages(tx, accountId, "folder_id = ?", List.of(folderId), offset, limit);
        });
    }

    @Override
    public List<Message> search(UUID accountId, String text, int limit) {
        Objects.requireNonNull(text, "text");
        if (text.isBlank()) {
            throw new IllegalArgumentException("search text '" + text + "' is blank");
        }
        page(0, limit);
        String pattern = "%" + like(text.toLowerCase(java.util.Locale.ROOT)) + "%";
        return Tx.run(dataSource, tx -> {
            requireMailbox(tx, accountId);
            return messages(tx, accountId,
                    "(LOWER(subject) LIKE ? ESCAPE '!' OR LOWER(sender) LIKE ? ESCAPE '!' OR LOWER(recipients) LIKE ? ESCAPE '!')",
                    List.of(pattern, pattern, pattern), 0, limit);
        });
    }

    @Override
    public Optional<Message> message(UUID accountId, long itemId) {
        return Tx.run(dataSource, tx -> {
            requireMailbox(tx, accountId);
            return message(tx, accountId, itemId);
        });
    }

    @Override
    public String checksum(UUID accountId) {
        return Tx.run(dataSource, tx -> {
            // the row lock makes the reads below one consistent state: every writer takes it first
            Head head = lock(tx, accountId).orElseThrow(() -> new MailboxNotFoundException(accountId));
            List<String> lines = new ArrayList<>();
            lines.add(canonical("mailbox", head.sequence(), head.itemId()));
            for (Folder f : folders(tx, accountId)) {
                lines.add(canonical("folder", f.id(), f.name(), f.parentId()));
            }
            for (Message m : messages(tx, accountId, null, List.of(), 0, Integer.MAX_VALUE)) {
                BlobRef b = m.blob();
                lines.add(canonical("message", m.itemId(), m.folderId(), b.volumeId(), b.key(), b.sha256(), b.size(), m.size(),
                        m.receivedMillis(), m.subject(), m.from(), m.to(), String.join(",", m.flags()), String.join(",", m.tags())));
                for (String flag : m.flags()) {
                    lines.add(canonical("flag", m.itemId(), flag));
                }
                for (String tag : m.tags()) {
                    lines.add(canonical("tag", m.itemId(), tag));
                }
            }
            Collections.sort(lines);
            MessageDigest sha = sha256();
            for (String line : lines) {
                byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
                sha.update((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
                sha.update(bytes);
            }
            return HexFormat.of().formatHex(sha.digest());
        });
    }

    /** Fields as {@code <length>:<value>}, so no value can be mistaken for a separator; null is {@code -}. */
    private static String canonical(Object... fields) {
        StringBuilder sb = new StringBuilder();
        for (Object f : fields) {
            if (f == null) {
                sb.append('-');
            } else {
                String s = f.toString();
                sb.append(s.length()).append(':').append(s);
            }
            sb.append(';');
        }
        return sb.toString();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    private static void page(int offset, int limit) {
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " is negative");
        }
        if (limit < 1 || limit > MAX_PAGE) {
            throw new IllegalArgumentException("limit " + limit + " is not between 1 and " + MAX_PAGE);
        }
    }

    private static String like(String text) {
        return text.replace("!", "!!").replace("%", "!%").replace("_", "!_");
    }

    private static void requireMailbox(Tx tx, UUID accountId) throws SQLException {
        Objects.requireNonNull(accountId, "accountId");
        if (!tx.exists("SELECT 1 FROM mailboxes WHERE account_id = ?", accountId)) {
            throw new MailboxNotFoundException(accountId);
        }
    }

    static List<Folder> folders(Tx tx, UUID accountId) throws SQLException {
        return tx.list("SELECT folder_id, name, parent_id FROM folders WHERE account_id = ? ORDER BY folder_id",
                JdbcMailboxStore::folderRow, accountId);
    }

    static Folder folderRow(ResultSet rs) throws SQLException {
        long id = rs.getLong(1);
        String name = rs.getString(2);
        long parent = rs.getLong(3);
        return new Folder(id, name, rs.wasNull() ? null : parent);
    }

    static Optional<Message> message(Tx tx, UUID accountId, long itemId) throws SQLException {
        List<Message> found = messages(tx, accountId, "item_id = ?", List.of(itemId), 0, 1);
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /**
     * Messages of a mailbox matching {@code where} (null: all), newest first, with their flags and tags.
     * {@code limit} {@link Integer#MAX_VALUE} reads all (checksum), without a page clause.
     */
    private static List<Message> messages(Tx tx, UUID accountId, String where, List<Object> args, int offset, int limit)
            throws SQLException {
        List<Object> all = new ArrayList<>();
        all.add(accountId);
        all.addAll(args);
        String sql = "SELECT " + MESSAGE_COLUMNS + " FROM messages WHERE account_id = ?"
                + (where == null ? "" : " AND " + where) + " ORDER BY received_millis DESC, item_id DESC";
        if (limit != Integer.MAX_VALUE) {
            sql += " OFFSET ? ROWS FETCH NEXT ? ROWS ONLY";
            all.add(offset);
            all.add(limit);
        }
        List<Message> bare = tx.list(sql, rs -> new Message(rs.getLong(1), rs.getLong(2),
                new BlobRef(rs.getObject(3, UUID.class), rs.getString(4), rs.getString(5), rs.getLong(6)),
                rs.getLong(7), rs.getLong(8), rs.getString(9), rs.getString(10), rs.getString(11), Set.of(), Set.of()),
                all.toArray());
        if (bare.isEmpty()) {
            return bare;
        }
        Map<Long, Set<String>> flags = keywords(tx, "message_flags", "flag", accountId, bare);
        Map<Long, Set<String>> tags = keywords(tx, "message_tags", "tag", accountId, bare);
        List<Message> out = new ArrayList<>(bare.size());
        for (Message m : bare) {
            out.add(new Message(m.itemId(), m.folderId(), m.blob(), m.size(), m.receivedMillis(), m.subject(), m.from(), m.to(),
                    flags.getOrDefault(m.itemId(), Set.of()), tags.getOrDefault(m.itemId(), Set.of())));
        }
        return out;
    }

    private static Map<Long, Set<String>> keywords(Tx tx, String table, String column, UUID accountId, List<Message> of)
            throws SQLException {
        Map<Long, Set<String>> out = new HashMap<>();
        // a page is small: name its ids; a whole mailbox (checksum) is read with one query
        boolean page = of.size() <= MAX_PAGE;
        List<Object> args = new ArrayList<>();
        args.add(accountId);
        String sql = "SELECT item_id, " + column + " FROM " + table + " WHERE account_id = ?";
        if (page) {
            sql += " AND item_id IN (" + of.stream().map(m -> "?").collect(Collectors.joining(", ")) + ")";
            of.forEach(m -> args.add(m.itemId()));
        }
        for (Object[] row : tx.list(sql, rs -> new Object[] {rs.getLong(1), rs.getString(2)}, args.toArray())) {
            out.computeIfAbsent((Long) row[0], k -> new TreeSet<>()).add((String) row[1]);
        }
        return out;
    }
}
