package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.blob.BlobRef;
import io.tandem.api.mailbox.ChangeConflictException;
import io.tandem.api.mailbox.EpochNotReachedException;
import io.tandem.api.mailbox.MailboxSnapshot;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxChangeHook;
import io.tandem.api.mailbox.MailboxInfo;
import io.tandem.api.mailbox.MailboxNotFoundException;
import io.tandem.api.mailbox.MailboxOp;
import io.tandem.api.mailbox.Message;
import io.tandem.api.mailbox.Mutation;
import io.tandem.api.mailbox.SequenceGapException;
import io.tandem.api.mailbox.StaleEpochException;
import io.tandem.api.test.ConfigProxy;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.osgi.service.jdbc.DataSourceFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * Behaviour of the mailbox store, run unchanged against every supported database (H2 and PostgreSQL): the
 * subclasses provide the databases. The "replica" is a second store on a second database.
 */
public abstract class MailboxStoreContract {

    private static final UUID VOLUME = UUID.fromString("00000000-0000-0000-0000-0000000000aa");

    private final List<MailstoreDatabase> open = new ArrayList<>();
    /** Every change the primary committed, in commit order: what replication would ship. */
    private final List<MailboxChange> shipped = Collections.synchronizedList(new ArrayList<>());
    protected MailstoreDatabase store;
    protected MailstoreDatabase replica;
    private final UUID account = UUID.randomUUID();

    /** A JDBC URL of an empty database, fresh for each call. */
    protected abstract String freshDatabase() throws Exception;

    protected abstract DataSourceFactory driver();

    @Before
    public void openStores() throws Exception {
        store = connect(freshDatabase());
        store.addHook(shipped::add);
        replica = connect(freshDatabase());
    }

    private MailstoreDatabase connect(String url) {
        MailstoreDatabase db = new MailstoreDatabase(List.of(driver()),
                ConfigProxy.of(MailstoreDatabase.Config.class, Map.of("jdbc_url", url, "pool_size", 8)));
        open.add(db);
        return db;
    }

    @After
    public void close() {
        open.forEach(MailstoreDatabase::deactivateForTest);
    }

    static BlobRef blob(int n) {
        String sha = String.format("%064x", n);
        return new BlobRef(VOLUME, "ab/" + sha, sha, 1000 + n);
    }

    private long add(UUID acc, long folder, int n, String subject, Set<String> flags) {
        MailboxChange c = store.execute(acc, 0, tx -> tx.addMessage(folder, blob(n), 2000 + n, 1_700_000_000_000L + n,
                subject, "sender" + n + "@example.com", "rcpt@example.org", flags, Set.of()));
        return ((MailboxOp.AddMessage) c.ops().get(0)).itemId();
    }

    private void replicateAll() {
        for (MailboxChange c : List.copyOf(shipped)) {
            replica.apply(c);
        }
    }

    @Test
    public void createMakesTheSystemFoldersAsChangeOne() {
        MailboxInfo info = store.create(account);
        assertEquals(1, info.sequence());
        assertEquals(Folder.FIRST_USER_ID - 1, info.itemId());
        assertEquals(Folder.systemFolders(), store.folders(account));
        assertEquals(info, store.info(account).orElseThrow());
        assertEquals(1, shipped.size());
        MailboxChange first = shipped.get(0);
        assertEquals(1, first.sequence());
        assertEquals(List.of(new MailboxOp.CreateFolder(Folder.INBOX, "Inbox", null), new MailboxOp.CreateFolder(Folder.TRASH, "Trash", null),
                new MailboxOp.CreateFolder(Folder.SENT, "Sent", null)), first.ops());
        IllegalArgumentException again = assertThrows(IllegalArgumentException.class, () -> store.create(account));
        assertTrue(again.getMessage(), again.getMessage().contains(account.toString()));
        assertFalse(store.info(UUID.randomUUID()).isPresent());
    }

    @Test
    public void executeAllocatesIdsAndMovesTheSequenceByOne() {
        store.create(account);
        MailboxChange c = store.execute(account, 0, tx -> {
            long work = tx.createFolder("Work", null);
            long sub = tx.createFolder("Projects", work);
            tx.addMessage(sub, blob(1), 10, 5, "hello", "a@x.tld", "b@x.tld", Set.of("\\Seen"), Set.of("red"));
        });
        assertEquals(2, c.sequence());
        assertEquals(account, c.accountId());
        assertEquals(List.of(new MailboxOp.CreateFolder(256, "Work", null), new MailboxOp.CreateFolder(257, "Projects", 256L),
                new MailboxOp.AddMessage(258, 257, blob(1), 10, 5, "hello", "a@x.tld", "b@x.tld", Set.of("\\Seen"), Set.of("red"))), c.ops());
        assertEquals(258, c.itemId());
        assertEquals(c, shipped.get(1));
        MailboxInfo info = store.info(account).orElseThrow();
        assertEquals(2, info.sequence());
        assertEquals(258, info.itemId());
        assertEquals(new Message(258, 257, blob(1), 10, 5, "hello", "a@x.tld", "b@x.tld", Set.of("\\Seen"), Set.of("red")),
                store.message(account, 258).orElseThrow());

        MailboxChange next = store.execute(account, 0, tx -> tx.setFlags(258, Set.of("\\Seen", "\\Flagged")));
        assertEquals(3, next.sequence());
        assertEquals(258, next.itemId());
        assertEquals(Set.of("\\Flagged", "\\Seen"), store.message(account, 258).orElseThrow().flags());
    }

    @Test
    public void aFailingHookRollsTheChangeBack() {
        store.create(account);
        String before = store.checksum(account);
        MailboxChangeHook refuse = change -> {
            throw new IllegalStateException("kafka did not acknowledge " + change.sequence());
        };
        store.addHook(refuse);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.execute(account, 0, tx -> {
            long f = tx.createFolder("Work", null);
            tx.addMessage(f, blob(1), 10, 5, "s", "f", "t", Set.of(), Set.of());
        }));
        assertEquals("kafka did not acknowledge 2", e.getMessage());
        assertEquals(1, store.info(account).orElseThrow().sequence());
        assertEquals(Folder.FIRST_USER_ID - 1, store.info(account).orElseThrow().itemId());
        assertEquals(Folder.systemFolders(), store.folders(account));
        assertFalse(store.message(account, 257).isPresent());
        assertEquals(before, store.checksum(account));

        store.removeHook(refuse);
        MailboxChange ok = store.execute(account, 0, tx -> tx.createFolder("Work", null));
        assertEquals(2, ok.sequence()); // the refused change left no hole
        assertEquals(256, ((MailboxOp.CreateFolder) ok.ops().get(0)).folderId());
    }

    @Test
    public void invalidOperationsAreRefusedNamingTheValueAndChangeNothing() {
        store.create(account);
        long work = store.execute(account, 0, tx -> tx.createFolder("Work", null)).itemId();
        long msg = add(account, work, 1, "s", Set.of());
        String before = store.checksum(account);
        long sequence = store.info(account).orElseThrow().sequence();

        assertRefused("999", tx -> tx.addMessage(999, blob(2), 1, 1, "", "", "", Set.of(), Set.of()));
        assertRefused("4242", tx -> tx.setFlags(4242, Set.of("\\Seen")));
        assertRefused("4242", tx -> tx.moveMessage(4242, Folder.INBOX));
        assertRefused("777", tx -> tx.moveMessage(msg, 777));
        assertRefused("4242", tx -> tx.deleteMessage(4242));
        assertRefused("Inbox", tx -> tx.deleteFolder(Folder.INBOX));
        assertRefused("Trash", tx -> tx.renameFolder(Folder.TRASH, "Bin"));
        assertRefused("'work'", tx -> tx.createFolder("work", null));
        assertRefused("'Work'", tx -> {
            long other = tx.createFolder("Other", null);
            tx.renameFolder(other, "Work");
        });
        assertRefused("holds messages", tx -> tx.deleteFolder(work));
        assertRefused("'a/b'", tx -> tx.createFolder("a/b", null));
        assertRefused("' '", tx -> tx.setTags(msg, Set.of(" ")));
        // valid first operation, invalid second: the first is rolled back too
        assertRefused("555", tx -> {
            tx.setFlags(msg, Set.of("\\Deleted"));
            tx.moveMessage(msg, 555);
        });
        assertRefused("made no change", tx -> { });

        assertEquals(sequence, store.info(account).orElseThrow().sequence());
        assertEquals(before, store.checksum(account));
        assertEquals(Set.of(), store.message(account, msg).orElseThrow().flags());
        MailboxNotFoundException missing = assertThrows(MailboxNotFoundException.class,
                () -> store.execute(UUID.randomUUID(), 0, tx -> tx.createFolder("x", null)));
        assertNotEquals(account, missing.accountId());
    }

    private void assertRefused(String named, Mutation mutation) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> store.execute(account, 0, mutation));
        assertTrue("'" + e.getMessage() + "' should name " + named, e.getMessage().contains(named));
    }

    @Test
    public void aReplicaApplyingEveryChangeHasTheSameChecksum() {
        store.create(account);
        long work = store.execute(account, 0, tx -> tx.createFolder("Work", null)).itemId();
        long a = add(account, Folder.INBOX, 1, "first", Set.of());
        long b = add(account, work, 2, "second", Set.of("\\Seen"));
        long c = add(account, Folder.INBOX, 3, "third", Set.of());
        store.execute(account, 0, tx -> {
            tx.setTags(a, Set.of("important", "x"));
            tx.moveMessage(c, Folder.TRASH);
            tx.deleteMessage(b);
            tx.renameFolder(work, "Job");
        });
        store.execute(account, 0, tx -> tx.deleteFolder(work));

        replicateAll();

        assertEquals(store.checksum(account), replica.checksum(account));
        MailboxInfo source = store.info(account).orElseThrow();
        MailboxInfo copy = replica.info(account).orElseThrow();
        assertEquals(source.sequence(), copy.sequence());
        assertEquals(source.itemId(), copy.itemId());
        assertEquals(store.folders(account), replica.folders(account));
        assertEquals(store.messages(account, Folder.INBOX, 0, 100), replica.messages(account, Folder.INBOX, 0, 100));
        assertEquals(store.messages(account, Folder.TRASH, 0, 100), replica.messages(account, Folder.TRASH, 0, 100));

        // the copy can take over once it adopted the new epoch; its next ids continue the source's
        assertThrows(EpochNotReachedException.class, () -> replica.execute(account, 1, tx -> tx.createFolder("Early", null)));
        assertEquals(1, replica.adoptEpoch(account, 1));
        assertEquals("a lower epoch changes nothing", 1, replica.adoptEpoch(account, 0));
        MailboxChange promoted = replica.execute(account, 1, tx -> tx.createFolder("After", null));
        assertEquals(source.sequence() + 1, promoted.sequence());
        assertEquals(source.itemId() + 1, promoted.itemId());
    }

    @Test
    public void applyIsIdempotentAndRefusesGaps() {
        store.create(account);
        long m = add(account, Folder.INBOX, 1, "s", Set.of());
        store.execute(account, 0, tx -> tx.setFlags(m, Set.of("\\Seen")));
        store.execute(account, 0, tx -> tx.moveMessage(m, Folder.TRASH));
        assertEquals(4, shipped.size());

        assertTrue(replica.apply(shipped.get(0)));
        assertTrue(replica.apply(shipped.get(1)));
        assertFalse("re-applying an applied change is skipped", replica.apply(shipped.get(1)));
        assertFalse(replica.apply(shipped.get(0)));
        assertEquals(2, replica.info(account).orElseThrow().sequence());
        String atTwo = replica.checksum(account);

        SequenceGapException gap = assertThrows(SequenceGapException.class, () -> replica.apply(shipped.get(3)));
        assertEquals(3, gap.expected());
        assertEquals(4, gap.got());
        assertTrue(gap.getMessage(), gap.getMessage().contains("expected change sequence 3, got 4"));
        assertEquals(atTwo, replica.checksum(account));
        assertEquals(Folder.INBOX, replica.message(account, m).orElseThrow().folderId());

        UUID other = UUID.randomUUID();
        MailboxChange notFirst = new MailboxChange(other, 0, 2, 300, List.of(new MailboxOp.CreateFolder(300, "x", null)), 1);
        SequenceGapException none = assertThrows(SequenceGapException.class, () -> replica.apply(notFirst));
        assertEquals(1, none.expected());
        assertFalse(replica.info(other).isPresent());

        assertTrue(replica.apply(shipped.get(2)));
        assertTrue(replica.apply(shipped.get(3)));
        assertEquals(store.checksum(account), replica.checksum(account));
    }

    /**
     * A copy's log positions are stored with the changes applied up to them, in one transaction: a batch that
     * is refused stores no position either, and positions belong to the log (brokers and topic) they were
     * read from.
     */
    @Test
    public void logPositionsAreStoredWithTheAppliedChangesOrNotAtAll() {
        String log = "k1:9092,k2:9092/tandem.mailbox-events";
        assertEquals(Map.of(), replica.logPositions(log));
        store.create(account);
        add(account, Folder.INBOX, 1, "s", Set.of());
        add(account, Folder.INBOX, 2, "s", Set.of());
        add(account, Folder.INBOX, 3, "s", Set.of());
        assertEquals(4, shipped.size());

        assertEquals(2, replica.applyAll(shipped.subList(0, 2), log, Map.of(0, 11L, 3, 7L)));
        assertEquals(Map.of(0, 11L, 3, 7L), replica.logPositions(log));

        List<MailboxChange> withGap = List.of(shipped.get(3));
        assertThrows(SequenceGapException.class, () -> replica.applyAll(withGap, log, Map.of(0, 20L)));
        assertEquals("a refused batch moves no position", Map.of(0, 11L, 3, 7L), replica.logPositions(log));
        assertEquals(2, replica.info(account).orElseThrow().sequence());

        assertEquals(2, replica.applyAll(shipped.subList(2, 4), log, Map.of(0, 13L)));
        assertEquals(Map.of(0, 13L, 3, 7L), replica.logPositions(log));
        replica.saveLogPositions(log, Map.of(3, 9L, 5, 1L));
        assertEquals(Map.of(0, 13L, 3, 9L, 5, 1L), replica.logPositions(log));
        assertEquals("nothing applied: positions alone", 0, replica.applyAll(List.of(), log, Map.of(0, 14L)));
        assertEquals(14L, (long) replica.logPositions(log).get(0));
        assertEquals("another log's positions are its own", Map.of(), replica.logPositions("k3:9092/tandem.mailbox-events"));
        assertEquals(store.checksum(account), replica.checksum(account));
    }

    /**
     * A hook stores its source position with the change (decision 0026): it commits with the change or not at all;
     * per partition the highest position over the mailboxes and those saved alone counts; a hook is told after
     * the commit, never for a change rolled back.
     */
    @Test
    public void sourcePositionsAreStoredWithTheChangeOrNotAtAll() {
        String log = "cluster/tandem.mailbox-events/id";
        UUID other = UUID.randomUUID();
        List<MailboxChange> told = Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicLong offset = new java.util.concurrent.atomic.AtomicLong(5);
        java.util.concurrent.atomic.AtomicBoolean refuse = new java.util.concurrent.atomic.AtomicBoolean();
        MailboxChangeHook positions = new MailboxChangeHook() {
            @Override
            public void beforeCommit(MailboxChange change) {
                throw new AssertionError("the store passes the transaction");
            }

            @Override
            public void beforeCommit(MailboxChange change, Transaction transaction) {
                transaction.sourcePosition(log, change.accountId().equals(account) ? 0 : 1, offset.getAndAdd(10));
                if (refuse.get()) {
                    throw new IllegalStateException("refused after the position was written");
                }
            }

            @Override
            public void afterCommit(MailboxChange change) {
                told.add(change);
            }
        };
        store.addHook(positions);
        assertEquals(Map.of(), store.sourcePositions(log));
        store.create(account); // position 5 in partition 0
        store.create(other); // 15 in partition 1
        add(account, Folder.INBOX, 1, "s", Set.of()); // 25 in partition 0
        assertEquals(Map.of(0, 25L, 1, 15L), store.sourcePositions(log));
        assertEquals(3, told.size());

        refuse.set(true);
        assertThrows(IllegalStateException.class, () -> add(other, Folder.INBOX, 2, "s", Set.of()));
        assertEquals("a change rolled back stores no position", Map.of(0, 25L, 1, 15L), store.sourcePositions(log));
        assertEquals("and its hook is not told it committed", 3, told.size());
        refuse.set(false);

        store.saveSourcePositions(log, Map.of(0, 20L, 1, 40L, 2, 3L));
        assertEquals("the highest counts", Map.of(0, 25L, 1, 40L, 2, 3L), store.sourcePositions(log));
        assertEquals("another log's are its own", Map.of(), store.sourcePositions("another/log/id"));
        assertEquals("the copies' positions are apart", Map.of(), store.logPositions(log));
        store.removeHook(positions);
    }

    /**
     * A change that reached the log but was rolled back on the source (a failure after the replication hook
     * published it) is applied by a replica; the source then makes another change under the same sequence.
     * That is not a replay: the replica refuses it as a conflict instead of skipping it (decision 0021).
     */
    @Test
    public void aChangeUnderAnAppliedSequenceWithAnotherStampIsAConflictNotAReplay() {
        store.create(account);
        assertTrue(replica.apply(shipped.get(0)));
        MailboxChangeHook failAfterPublishing = change -> {
            throw new IllegalStateException("commit failed after the log acknowledged " + change.sequence());
        };
        store.addHook(failAfterPublishing);
        assertThrows(IllegalStateException.class, () -> store.execute(account, 0, tx -> tx.createFolder("Ghost", null)));
        store.removeHook(failAfterPublishing);
        MailboxChange ghost = shipped.get(1);
        assertTrue("the replica applies what reached the log", replica.apply(ghost));
        String withGhost = replica.checksum(account);

        MailboxChange real = store.execute(account, 0, tx -> tx.createFolder("Real", null));
        assertEquals(2, real.sequence());
        assertNotEquals(0, real.stamp());
        assertNotEquals(0, ghost.stamp());
        assertNotEquals(ghost.stamp(), real.stamp());

        ChangeConflictException conflict = assertThrows(ChangeConflictException.class, () -> replica.apply(real));
        assertEquals(2, conflict.sequence());
        assertEquals(account, conflict.accountId());
        assertTrue(conflict.getMessage(), conflict.getMessage().contains("change 2 was applied as " + Long.toHexString(ghost.stamp())));
        assertThrows(ChangeConflictException.class, () -> replica.applyAll(List.of(real)));
        assertEquals("nothing of the refused change", withGhost, replica.checksum(account));
        assertFalse("the same change again is a replay", replica.apply(ghost));
        assertFalse("a change without a stamp (older writer) cannot be told apart: skipped",
                replica.apply(new MailboxChange(account, 0, 2, real.itemId(), real.ops(), real.committedMillis())));

        // a snapshot carries the stamp of its last change: the restored copy knows the real change 2
        MailboxSnapshot snapshot = store.snapshot(account, x -> { });
        assertEquals(real.stamp(), snapshot.stamp());
        replica.restore(snapshot);
        assertEquals(store.checksum(account), replica.checksum(account));
        assertFalse("after the snapshot, change 2 is a replay", replica.apply(real));
        MailboxChange next = store.execute(account, 0, tx -> tx.createFolder("Next", null));
        assertTrue(replica.apply(next));
        assertEquals(store.checksum(account), replica.checksum(account));
    }

    /** A required hook unregistered while a change runs (a bundle update) still sees the change before it commits. */
    @Test
    public void aRequiredHookRemovedWhileAChangeRunsStillSeesIt() {
        store.create(account);
        List<MailboxChange> seen = new ArrayList<>();
        MailboxChangeHook replication = seen::add;
        store.addHook(replication, "replication");
        store.requireHooks(Set.of("replication"));
        MailboxChange c = store.execute(account, 0, tx -> {
            store.removeHook(replication);
            tx.createFolder("During", null);
        });
        assertEquals(List.of(c), seen);
        assertThrows(io.tandem.api.mailbox.MissingHookException.class, () -> store.execute(account, 0, tx -> tx.createFolder("After", null)));
        store.requireHooks(Set.of());
    }

    @Test
    public void applyAllAppliesInOneTransactionOrNothing() {
        store.create(account);
        long m = add(account, Folder.INBOX, 1, "s", Set.of());
        store.execute(account, 0, tx -> tx.setFlags(m, Set.of("\\Seen")));
        store.execute(account, 0, tx -> tx.moveMessage(m, Folder.TRASH));
        assertEquals(4, shipped.size());

        assertEquals(2, replica.applyAll(List.of(shipped.get(0), shipped.get(1))));
        // a gap inside the batch: nothing of it is applied
        assertThrows(SequenceGapException.class, () -> replica.applyAll(List.of(shipped.get(1), shipped.get(3))));
        assertEquals(2, replica.info(account).orElseThrow().sequence());
        // replays are skipped, the rest applied
        assertEquals(2, replica.applyAll(List.of(shipped.get(0), shipped.get(1), shipped.get(2), shipped.get(3))));
        assertEquals(store.checksum(account), replica.checksum(account));
        assertEquals(0, replica.applyAll(List.of()));
    }

    private MailboxChange forged(long sequence, long itemId, MailboxOp... ops) {
        return new MailboxChange(account, 0, sequence, itemId, List.of(ops), 1);
    }

    private static MailboxOp.AddMessage added(long itemId, long folderId) {
        return new MailboxOp.AddMessage(itemId, folderId, blob((int) itemId), 10, 1, "s", "f", "t", Set.of(), Set.of());
    }

    /**
     * Ids above the mailbox's item counter are known free without a lookup, yet an id a change (or a batch)
     * created is not free again, a folder deleted in a batch is gone for the rest of it, and the counter always
     * covers every id used, whatever the event's own counter says, so the next local id is fresh.
     */
    @Test
    public void idsAboveTheCounterAreFreeOnlyUntilUsedAndTheCounterCoversEveryIdUsed() {
        store.create(account);
        assertTrue(replica.apply(shipped.get(0)));
        String atOne = replica.checksum(account);

        IllegalArgumentException reused = assertThrows(IllegalArgumentException.class,
                () -> replica.apply(forged(2, 10, new MailboxOp.CreateFolder(500, "X", null), added(500, Folder.INBOX))));
        assertTrue(reused.getMessage(), reused.getMessage().contains("item id 500 is already used"));
        IllegalArgumentException gone = assertThrows(IllegalArgumentException.class, () -> replica.applyAll(List.of(
                forged(2, 701, new MailboxOp.CreateFolder(700, "Y", null), added(701, 700)),
                forged(3, 701, new MailboxOp.DeleteMessage(701), new MailboxOp.DeleteFolder(700)),
                forged(4, 702, added(702, 700)))));
        assertTrue(gone.getMessage(), gone.getMessage().contains("no folder 700"));
        assertEquals("nothing of the refused changes", atOne, replica.checksum(account));
        assertEquals(1, replica.info(account).orElseThrow().sequence());

        // the event claims counter 10 but uses id 600: the counter goes to 600, the next local id is 601
        assertTrue(replica.apply(forged(2, 10, added(600, Folder.INBOX))));
        assertEquals(600, replica.info(account).orElseThrow().itemId());
        assertEquals(1, replica.adoptEpoch(account, 1));
        assertEquals(601, replica.execute(account, 1, tx -> tx.createFolder("Next", null)).itemId());
    }

    @Test
    public void applyAllTakesSeveralMailboxesInOneTransactionOrNothing() {
        UUID other = UUID.randomUUID();
        store.create(account);
        store.create(other);
        long m = add(account, Folder.INBOX, 1, "s", Set.of());
        add(other, Folder.INBOX, 2, "t", Set.of());
        store.execute(account, 0, tx -> tx.setFlags(m, Set.of("\\Seen")));
        store.execute(other, 0, tx -> tx.createFolder("Work", null));
        assertEquals(6, shipped.size());
        // shipped: account 1, other 1, account 2, other 2, account 3, other 3 (creates first)
        List<MailboxChange> ofAccount = shipped.stream().filter(c -> c.accountId().equals(account)).toList();
        List<MailboxChange> ofOther = shipped.stream().filter(c -> c.accountId().equals(other)).toList();

        // a gap in one mailbox: nothing of the other one is applied either
        assertThrows(SequenceGapException.class, () -> replica.applyAll(List.of(ofOther.get(0), ofAccount.get(0), ofAccount.get(2))));
        assertFalse(replica.info(account).isPresent());
        assertFalse(replica.info(other).isPresent());

        // interleaved, each mailbox in its order: all of it, in one go; replays skipped
        assertEquals(6, replica.applyAll(List.of(ofOther.get(0), ofAccount.get(0), ofAccount.get(1), ofOther.get(1),
                ofOther.get(2), ofAccount.get(2))));
        assertEquals(0, replica.applyAll(List.copyOf(shipped)));
        assertEquals(store.checksum(account), replica.checksum(account));
        assertEquals(store.checksum(other), replica.checksum(other));
    }

    @Test
    public void epochsOfManyCopiesAreAdoptedTogether() {
        UUID other = UUID.randomUUID();
        UUID missing = UUID.randomUUID();
        store.create(account, 3);
        store.create(other, 5);
        Map<UUID, Long> epochs = new java.util.LinkedHashMap<>();
        epochs.put(account, 4L);
        epochs.put(other, 2L);   // lower: unchanged
        epochs.put(missing, 9L); // no mailbox: absent from the result
        Map<UUID, Long> adopted = store.adoptEpochs(epochs);
        assertEquals(Map.of(account, 4L, other, 5L), adopted);
        assertEquals(4, store.adoptEpoch(account, 0));
        assertEquals(5, store.adoptEpoch(other, 0));
        assertThrows(StaleEpochException.class, () -> store.execute(account, 3, tx -> tx.createFolder("Old", null)));
        assertEquals(Map.of(), store.adoptEpochs(Map.of()));
    }

    @Test
    public void olderEpochsAreFenced() {
        store.create(account, 3);
        store.adoptEpoch(account, 4);
        store.execute(account, 4, tx -> tx.createFolder("Work", null));
        StaleEpochException e = assertThrows(StaleEpochException.class, () -> store.execute(account, 3, tx -> tx.createFolder("Old", null)));
        assertEquals(4, e.current());
        assertEquals(2, store.info(account).orElseThrow().sequence());

        replicateAll();
        MailboxChange fenced = new MailboxChange(account, 2, 3, 300, List.of(new MailboxOp.CreateFolder(300, "Zombie", null)), 1);
        assertThrows(StaleEpochException.class, () -> replica.apply(fenced));
        assertEquals(2, replica.info(account).orElseThrow().sequence());
        // a former owner's late change under the sequence the new owner already used is fenced, not a divergence
        MailboxChange late = new MailboxChange(account, 3, 2, 300, List.of(new MailboxOp.CreateFolder(300, "Late", null)), 1,
                0x1a7eL);
        assertThrows(StaleEpochException.class, () -> replica.apply(late));
        assertEquals(store.checksum(account), replica.checksum(account));
    }

    @Test
    public void aRestoredSnapshotEqualsTheSourceAndContinuesWithItsChanges() {
        store.create(account);
        long work = store.execute(account, 0, tx -> tx.createFolder("Work", null)).itemId();
        long sub = store.execute(account, 0, tx -> tx.createFolder("Sub", work)).itemId();
        long a = add(account, Folder.INBOX, 1, "first", Set.of("\\Seen"));
        add(account, sub, 2, "second", Set.of());
        store.execute(account, 0, tx -> tx.setTags(a, Set.of("red")));
        List<MailboxSnapshot> seenWhileLocked = new ArrayList<>();
        MailboxSnapshot snapshot = store.snapshot(account, seenWhileLocked::add);
        assertEquals(List.of(snapshot), seenWhileLocked);
        assertEquals(List.of(store.info(account).orElseThrow()), store.mailboxes());
        assertEquals(6, snapshot.sequence());
        assertEquals(0, snapshot.epoch());
        assertEquals(2, snapshot.messages().size());

        // a stale copy (older content) is replaced as a whole
        replica.apply(shipped.get(0));
        replica.restore(snapshot);
        assertEquals(store.checksum(account), replica.checksum(account));
        assertEquals(store.info(account).orElseThrow().itemId(), replica.info(account).orElseThrow().itemId());

        // later changes apply on top of it, earlier ones are skipped
        store.execute(account, 0, tx -> tx.moveMessage(a, sub));
        assertFalse(replica.apply(shipped.get(5)));
        assertTrue(replica.apply(shipped.get(shipped.size() - 1)));
        assertEquals(store.checksum(account), replica.checksum(account));

        replica.adoptEpoch(account, 1);
        MailboxSnapshot older = new MailboxSnapshot(account, 0, 3, 300, List.of(), List.of());
        assertThrows(StaleEpochException.class, () -> replica.restore(older));
        assertEquals(store.checksum(account), replica.checksum(account));
        assertThrows(MailboxNotFoundException.class, () -> store.snapshot(UUID.randomUUID(), s -> fail()));
    }

    @Test
    public void checksumFollowsFlagsAndIgnoresWriteOrder() {
        store.create(account);
        long m = add(account, Folder.INBOX, 1, "s", Set.of("\\Seen"));
        String seen = store.checksum(account);
        assertEquals(seen, store.checksum(account));
        assertEquals(64, seen.length());
        store.execute(account, 0, tx -> tx.setFlags(m, Set.of("\\Seen", "\\Answered")));
        String answered = store.checksum(account);
        assertNotEquals(seen, answered);

        // the same final state written in another order (operations and flags reversed) on another copy
        UUID copy = UUID.randomUUID();
        MailboxOp one = new MailboxOp.AddMessage(256, Folder.INBOX, blob(1), 5, 1, "one", "f", "t", Set.of("a", "b", "c"), Set.of("t1"));
        MailboxOp two = new MailboxOp.AddMessage(257, Folder.SENT, blob(2), 6, 2, "two", "f", "t", Set.of("z"), Set.of());
        List<MailboxOp> system = List.of(new MailboxOp.CreateFolder(Folder.INBOX, "Inbox", null),
                new MailboxOp.CreateFolder(Folder.TRASH, "Trash", null), new MailboxOp.CreateFolder(Folder.SENT, "Sent", null));
        List<MailboxOp> reversedSystem = new ArrayList<>(system);
        Collections.reverse(reversedSystem);
        store.apply(new MailboxChange(copy, 0, 1, 255, system, 1));
        store.apply(new MailboxChange(copy, 0, 2, 257, List.of(one, two), 2));
        replica.apply(new MailboxChange(copy, 0, 1, 255, reversedSystem, 1));
        replica.apply(new MailboxChange(copy, 0, 2, 257, List.of(two,
                new MailboxOp.AddMessage(256, Folder.INBOX, blob(1), 5, 1, "one", "f", "t", Set.of("c", "b", "a"), Set.of("t1"))), 2));
        assertEquals(store.checksum(copy), replica.checksum(copy));

        replica.execute(copy, 0, tx -> tx.setTags(256, Set.of("t2")));
        assertNotEquals(store.checksum(copy), replica.checksum(copy));
    }

    @Test
    public void searchMatchesSubjectFromAndToIgnoringCase() {
        store.create(account);
        long a = add(account, Folder.INBOX, 1, "Quarterly REPORT", Set.of());
        long b = add(account, Folder.INBOX, 2, "lunch", Set.of());
        long c = add(account, Folder.SENT, 3, "100% sure_thing", Set.of());
        assertEquals(List.of(a), ids(store.search(account, "report", 10)));
        assertEquals(List.of(b), ids(store.search(account, "SENDER2@", 10)));
        assertEquals(List.of(c, b, a), ids(store.search(account, "rcpt@example.org", 10)));
        assertEquals(List.of(c, b), ids(store.search(account, "rcpt@example.org", 2)));
        assertEquals(List.of(c), ids(store.search(account, "0% s", 10)));
        assertEquals(List.of(c), ids(store.search(account, "e_t", 10)));
        assertEquals("% and _ are not wildcards", List.of(c), ids(store.search(account, "%", 10)));
        assertEquals(List.of(c), ids(store.search(account, "_", 10)));
        assertEquals(List.of(), store.search(account, "nothing like it", 10));
        assertThrows(IllegalArgumentException.class, () -> store.search(account, " ", 10));
    }

    @Test
    public void messagesAreListedNewestFirstMovedAndDeleted() {
        store.create(account);
        List<Long> ids = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            ids.add(add(account, Folder.INBOX, i, "m" + i, Set.of()));
        }
        assertEquals(List.of(ids.get(4), ids.get(3), ids.get(2), ids.get(1), ids.get(0)), ids(store.messages(account, Folder.INBOX, 0, 10)));
        assertEquals(List.of(ids.get(2), ids.get(1)), ids(store.messages(account, Folder.INBOX, 2, 2)));

        store.execute(account, 0, tx -> tx.moveMessage(ids.get(0), Folder.TRASH));
        assertEquals(List.of(ids.get(0)), ids(store.messages(account, Folder.TRASH, 0, 10)));
        assertEquals(4, store.messages(account, Folder.INBOX, 0, 10).size());
        assertEquals(Folder.TRASH, store.message(account, ids.get(0)).orElseThrow().folderId());

        store.execute(account, 0, tx -> tx.deleteMessage(ids.get(0)));
        assertFalse(store.message(account, ids.get(0)).isPresent());
        assertEquals(List.of(), store.messages(account, Folder.TRASH, 0, 10));

        long folder = store.execute(account, 0, tx -> tx.createFolder("Empty", null)).itemId();
        store.execute(account, 0, tx -> tx.deleteFolder(folder));
        assertFalse(store.folders(account).stream().anyMatch(f -> f.id() == folder));
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> store.messages(account, folder, 0, 10));
        assertTrue(unknown.getMessage(), unknown.getMessage().contains(Long.toString(folder)));
        assertThrows(IllegalArgumentException.class, () -> store.messages(account, Folder.INBOX, 0, 0));

        store.delete(account);
        assertFalse(store.info(account).isPresent());
        assertThrows(MailboxNotFoundException.class, () -> store.folders(account));
        assertThrows(MailboxNotFoundException.class, () -> store.delete(account));
        store.create(account); // the account id is free again
        assertEquals(Folder.systemFolders(), store.folders(account));
    }

    @Test
    public void itemWithBlobFindsTheMessageInAnyFolderOfThisMailboxAsTheTransactionSeesIt() {
        store.create(account);
        long first = add(account, Folder.INBOX, 7, "m7", Set.of());
        add(account, Folder.INBOX, 8, "m8", Set.of());
        store.execute(account, 0, tx -> tx.moveMessage(first, Folder.TRASH));
        OptionalLong[] seen = new OptionalLong[3];
        long[] added = new long[1];
        store.execute(account, 0, tx -> {
            seen[0] = tx.itemWithBlob(blob(7).sha256());
            seen[1] = tx.itemWithBlob(blob(9).sha256());
            added[0] = tx.addMessage(Folder.INBOX, blob(9), 10, 1L, "m9", "a@example.com", "b@example.org", Set.of(), Set.of());
            seen[2] = tx.itemWithBlob(blob(9).sha256());
        });
        assertEquals("found in Trash too", OptionalLong.of(first), seen[0]);
        assertEquals(OptionalLong.empty(), seen[1]);
        assertEquals("a message added earlier in the same transaction", OptionalLong.of(added[0]), seen[2]);

        UUID other = UUID.randomUUID();
        store.create(other);
        store.execute(other, 0, tx -> {
            seen[0] = tx.itemWithBlob(blob(7).sha256());
            tx.createFolder("Other", null);
        });
        assertEquals("another mailbox's messages are not seen", OptionalLong.empty(), seen[0]);

        // a replica stores the same blob references: the same answer after a promotion
        replicateAll();
        replica.execute(account, 0, tx -> {
            seen[0] = tx.itemWithBlob(blob(7).sha256());
            tx.setFlags(first, Set.of("\\Seen"));
        });
        assertEquals(OptionalLong.of(first), seen[0]);

        store.execute(account, 0, tx -> tx.deleteMessage(first));
        store.execute(account, 0, tx -> {
            seen[0] = tx.itemWithBlob(blob(7).sha256());
            tx.createFolder("After", null);
        });
        assertEquals("a deleted message is gone", OptionalLong.empty(), seen[0]);
    }

    @Test
    public void concurrentExecutesProduceAGapFreeSequence() throws Exception {
        store.create(account);
        int threads = 6;
        int perThread = 15;
        AtomicLong hooked = new AtomicLong(1);
        List<String> outOfOrder = Collections.synchronizedList(new ArrayList<>());
        // hooks run under the mailbox lock: they must see the sequences in order, one after the other
        store.addHook(change -> {
            if (change.sequence() != hooked.get() + 1) {
                outOfOrder.add(change.sequence() + " after " + hooked.get());
            }
            hooked.set(change.sequence());
        });
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<MailboxChange>>> results = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Callable<List<MailboxChange>> work = () -> {
                    start.await();
                    List<MailboxChange> mine = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        int n = thread * 1000 + i;
                        mine.add(store.execute(account, 0, tx -> tx.addMessage(Folder.INBOX, blob(n), n, n, "t" + thread, "", "",
                                Set.of(), Set.of())));
                    }
                    return mine;
                };
                results.add(pool.submit(work));
            }
            start.countDown();
            List<Long> sequences = new ArrayList<>();
            List<Long> items = new ArrayList<>();
            for (Future<List<MailboxChange>> f : results) {
                for (MailboxChange c : f.get(120, TimeUnit.SECONDS)) {
                    sequences.add(c.sequence());
                    items.add(c.itemId());
                }
            }
            Collections.sort(sequences);
            Collections.sort(items);
            List<Long> expectedSequences = new ArrayList<>();
            List<Long> expectedItems = new ArrayList<>();
            for (int i = 0; i < threads * perThread; i++) {
                expectedSequences.add(2L + i);
                expectedItems.add(Folder.FIRST_USER_ID + i);
            }
            assertEquals(expectedSequences, sequences);
            assertEquals(expectedItems, items);
            assertEquals(List.of(), outOfOrder);
            assertEquals(1L + threads * perThread, store.info(account).orElseThrow().sequence());
            assertEquals(threads * perThread, store.messages(account, Folder.INBOX, 0, 1000).size());
        } finally {
            pool.shutdownNow();
        }
        replicateAll();
        assertEquals(store.checksum(account), replica.checksum(account));
    }

    private static List<Long> ids(List<Message> messages) {
        return messages.stream().map(Message::itemId).toList();
    }
}
