package io.tandem.api.test;

import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.LogRecord;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TestName;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * What {@link EventLog}'s Javadoc promises, run unchanged by every implementation: the Kafka adapter against a
 * real broker ({@code KafkaEventLogContractIT} in replica-kafka) and {@link MemoryEventLog}
 * ({@code MemoryEventLogTest}), so a protocol proved on the in-memory log holds on Kafka.
 *
 * <p>Every test has its own topic ({@code contract.<test>}) and groups. Waits are bounded (time-out
 * {@link #timeout()}) and end on the awaited event: the {@link Recorder} handler notifies every waiter.
 */
public abstract class EventLogContract {

    @Rule
    public final TestName test = new TestName();

    private final List<EventLog.Subscription> opened = new ArrayList<>();

    /**
     * A log of a new, empty {@code topic} with at least two partitions; the subclass closes it after the test
     * (its subscriptions are closed by the contract).
     */
    protected abstract EventLog newLog(String topic) throws Exception;

    /**
     * The same log (same topic, same records) as another node writes it: its own writer, which
     * {@link EventLog#fence fence(node)} fences. The subclass closes it after the test.
     */
    protected abstract EventLog writerOf(EventLog log, String node) throws Exception;

    /** Deletes the records of {@code partition} before {@code offset}, as retention does. */
    protected abstract void deleteRecordsBefore(EventLog log, int partition, long offset) throws Exception;

    /** How long the log may take for what a test awaits. */
    protected Duration timeout() {
        return Duration.ofSeconds(30);
    }

    /** How long the log is watched to see that it does nothing (an idle subscription). */
    protected Duration quietPeriod() {
        return Duration.ofMillis(500);
    }

    @After
    public void closeSubscriptions() {
        opened.forEach(EventLog.Subscription::close);
    }

    // --- the contract -----------------------------------------------------------------------------------------

    @Test
    public void everyKeysRecordsArriveExactlyOnceInAppendOrder() throws Exception {
        EventLog log = log();
        Recorder handler = new Recorder();
        subscribe(log, group("g"), handler);
        int threads = 4;
        int keys = 10;
        int rounds = 12;
        // four writers at once, each with its own keys, alternating single appends and appendAll
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<LogRecord> appended = new ArrayList<>();
        try {
            List<Future<List<LogRecord>>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                String prefix = "t" + t + "-acct-";
                writers.add(pool.submit(() -> {
                    List<LogRecord> out = new ArrayList<>();
                    for (int r = 0; r < rounds; r++) {
                        out.addAll(r % 2 == 0 ? appendRound(log, prefix, keys, r) : appendRoundAll(log, prefix, keys, r));
                    }
                    return out;
                }));
            }
            for (Future<List<LogRecord>> w : writers) {
                appended.addAll(w.get(timeout().toMillis(), TimeUnit.MILLISECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        handler.awaitHandled(appended, timeout());

        Map<String, List<String>> byKey = valuesByKey(handler.handled());
        assertEquals("every key's records delivered", threads * keys, byKey.size());
        for (int t = 0; t < threads; t++) {
            for (int k = 0; k < keys; k++) {
                String key = "t" + t + "-acct-" + k;
                List<String> expected = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    expected.add(key + "#" + r);
                }
                assertEquals("the records of " + key + ": each once, in append order", expected, byKey.get(key));
            }
        }
        assertEquals("every record once", appended.size(), handler.handled().size());
        Map<String, Set<Integer>> partitionsByKey = handler.handled().stream().collect(
                Collectors.groupingBy(LogRecord::key, Collectors.mapping(LogRecord::partition, Collectors.toSet())));
        partitionsByKey.forEach((key, ps) -> assertEquals("one partition for " + key, 1, ps.size()));
    }

    @Test
    public void preparedRecordsAreHandedOnlyOnceCommittedAndWhatFollowsThemWaits() throws Exception {
        EventLog log = log();
        EventLog other = writerOf(log, "contract-other");
        Recorder handler = new Recorder();
        subscribe(log, group("g"), handler);
        LogRecord before = log.append("acct-1", bytes("before"));
        handler.awaitHandled(List.of(before), timeout());
        EventLog.Prepared prepared = log.prepare(Map.of("acct-1", bytes("prepared")));
        assertEquals("one record prepared", 1, prepared.records().size());
        LogRecord p = prepared.records().get(0);
        assertEquals("in the key's partition", before.partition(), p.partition());
        assertTrue("after what was there", p.offset() > before.offset());
        LogRecord after = other.append("acct-1", bytes("after")); // another writer, same partition
        assertTrue("the later record comes after it in the log", after.offset() > p.offset());
        handler.assertNothingHandedFor("a prepared record and what follows it are not handed over", quietPeriod());

        prepared.commit();
        handler.awaitHandled(List.of(p, after), timeout());
        assertEquals("in log order, each once", List.of("before", "prepared", "after"),
                handler.handled().stream().map(EventLogContract::text).toList());
    }

    @Test
    public void anAbortedPrepareIsNeverHandedAndWhatFollowsItIs() throws Exception {
        EventLog log = log();
        EventLog other = writerOf(log, "contract-other");
        Recorder handler = new Recorder();
        subscribe(log, group("g"), handler);
        EventLog.Prepared prepared = log.prepare(Map.of("acct-1", bytes("withdrawn"), "acct-2", bytes("withdrawn too")));
        LogRecord after = other.append("acct-1", bytes("after"));
        prepared.abort();
        prepared.abort(); // twice is harmless
        handler.awaitHandled(List.of(after), timeout());
        LogRecord last = other.append("acct-2", bytes("last"));
        handler.awaitHandled(List.of(last), timeout());
        assertEquals("the withdrawn records never reach a subscriber", List.of("after", "last"),
                handler.handled().stream().map(EventLogContract::text).toList());
        assertThrows("a withdrawn append cannot be committed", io.tandem.api.replication.EventLogException.class, prepared::commit);
    }

    @Test
    public void fencingAWriterDiscardsWhatItPreparedAndItsCommitFailsThenItWritesAgain() throws Exception {
        EventLog log = log();
        EventLog gone = writerOf(log, "contract-gone");
        Recorder handler = new Recorder();
        subscribe(log, group("g"), handler);
        EventLog.Prepared open = gone.prepare(Map.of("acct-1", bytes("of the gone writer")));
        LogRecord after = log.append("acct-1", bytes("after"));
        handler.assertNothingHandedFor("what follows an open prepare waits", quietPeriod());

        log.fence("contract-gone", timeout());
        handler.awaitHandled(List.of(after), timeout());
        io.tandem.api.replication.EventLogException e = assertThrows("the fenced writer cannot commit",
                io.tandem.api.replication.EventLogException.class, open::commit);
        assertFalse("the fenced writer is told its records were discarded, not that it does not know: " + e.getMessage(),
                e.outcomeUnknown());
        LogRecord again = gone.append("acct-1", bytes("written again"));
        handler.awaitHandled(List.of(again), timeout());
        assertEquals("the fenced writer's open records never reach a subscriber", List.of("after", "written again"),
                handler.handled().stream().map(EventLogContract::text).toList());
    }

    @Test
    public void preparedRecordsNameTheLogTheyAreInAsItsIdentity() throws Exception {
        EventLog log = log();
        EventLog other = writerOf(log, "contract-other");
        String id = log.identity(timeout());
        assertNotNull("a log has an identity", id);
        assertEquals("every writer of the log names it alike", id, other.identity(timeout()));
        EventLog.Prepared prepared = log.prepare(Map.of("acct-1", bytes("one")));
        try {
            assertEquals("prepared records name their log", id, prepared.log());
        } finally {
            prepared.abort();
        }
    }

    @Test
    public void readReturnsTheCommittedRecordsFromTheGivenOffsetsToTheEndAndWaitsForUndecidedOnes() throws Exception {
        EventLog log = log();
        EventLog other = writerOf(log, "contract-other");
        LogRecord first = log.append("acct-1", bytes("first"));
        LogRecord second = log.append("acct-1", bytes("second"));
        EventLog.Prepared withdrawn = log.prepare(Map.of("acct-1", bytes("withdrawn")));
        withdrawn.abort();
        EventLog.Prepared open = other.prepare(Map.of("acct-1", bytes("undecided when the read starts")));
        int p = first.partition();
        java.util.concurrent.CompletableFuture<EventLog.Tail> reading = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> log.read(Map.of(p, second.offset()), 100, timeout()));
        open.commit();
        EventLog.Tail tail = reading.get(timeout().toMillis() * 2, java.util.concurrent.TimeUnit.MILLISECONDS);
        assertEquals("the log read", log.identity(timeout()), tail.log());
        assertEquals("committed records from the offset on, the undecided one once decided, never the withdrawn one",
                List.of("second", "undecided when the read starts"), tail.records().stream().map(EventLogContract::text).toList());
        assertTrue("read up to after the last record: " + tail.end(), tail.end().get(p) > open.records().get(0).offset());

        LogRecord later = log.append("acct-1", bytes("later"));
        assertTrue("read to the end", tail.complete());
        EventLog.Tail again = log.read(tail.end(), 100, timeout());
        assertEquals("read on from where the last read ended", List.of("later"),
                again.records().stream().map(EventLogContract::text).toList());
        assertTrue("up to after it: " + again.end(), again.end().get(p) > later.offset());
    }

    @Test
    public void readFromAnOffsetNoLongerInTheLogReadsFromTheEarliest() throws Exception {
        EventLog log = log();
        LogRecord first = log.append("acct-1", bytes("first"));
        LogRecord second = log.append("acct-1", bytes("second"));
        deleteRecordsBefore(log, first.partition(), second.offset());
        EventLog.Tail tail = log.read(Map.of(first.partition(), first.offset()), 100, timeout());
        assertEquals("what is left", List.of("second"), tail.records().stream().map(EventLogContract::text).toList());
    }

    /**
     * A read-back from several partitions, one of them with nothing after its offset (the usual case: a node's
     * changes went to a few partitions since its last start), returns the others' records and that partition's
     * offset as its end.
     */
    @Test
    public void readFromSeveralPartitionsOneOfThemAlreadyAtItsEnd() throws Exception {
        EventLog log = log();
        List<LogRecord> written = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            written.add(log.append("acct-" + i, bytes("r" + i)));
        }
        assertSpread(written);
        Map<Integer, Long> from = new java.util.HashMap<>();
        written.forEach(r -> from.merge(r.partition(), r.offset(), Math::min));
        EventLog.Tail all = log.read(from, 100, timeout());
        assertEquals(8, all.records().size());
        // one more record in one partition: every other partition is at its end
        LogRecord more = log.append(written.get(0).key(), bytes("more"));
        EventLog.Tail tail = log.read(all.end(), 100, timeout());
        assertTrue(tail.complete());
        assertEquals("the one record after the ends", List.of("more"), tail.records().stream().map(EventLogContract::text).toList());
        all.end().forEach((p, end) -> {
            if (p != more.partition()) {
                assertEquals("partition " + p + " at its end stays there", end, tail.end().get(p));
            }
        });
        assertTrue(tail.end().get(more.partition()) > more.offset());
    }

    @Test
    public void readStopsAtItsRecordLimitAndSaysWhereToReadOn() throws Exception {
        EventLog log = log();
        List<LogRecord> written = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            written.add(log.append("acct-1", bytes("r" + i)));
        }
        int p = written.get(0).partition();
        EventLog.Tail first = log.read(Map.of(p, written.get(0).offset()), 3, timeout());
        assertFalse("stopped by the limit", first.complete());
        assertEquals(List.of("r0", "r1", "r2"), first.records().stream().map(EventLogContract::text).toList());
        long end = first.end().get(p);
        assertTrue("after the last record returned, not past the next one: " + end,
                end > written.get(2).offset() && end <= written.get(3).offset());
        EventLog.Tail rest = log.read(first.end(), 3, timeout());
        assertTrue(rest.complete());
        assertEquals(List.of("r3", "r4"), rest.records().stream().map(EventLogContract::text).toList());
    }

    @Test
    public void appendAllIsAtomicAndEachRecordComesOnce() throws Exception {
        EventLog log = log();
        Recorder handler = new Recorder();
        subscribe(log, group("g"), handler);
        List<LogRecord> all = appendRoundAll(log, "acct-", 6, 0);
        handler.awaitHandled(all, timeout());
        assertEquals("each once", 6, handler.handled().size());
    }

    @Test
    public void appendReturnsThePartitionAndOffsetTheRecordIsDeliveredAt() throws Exception {
        EventLog log = log();
        List<LogRecord> appended = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            appended.addAll(appendRound(log, "acct-", 6, r));
        }
        appended.addAll(appendRoundAll(log, "acct-", 6, 3));
        for (int i = 0; i < appended.size(); i++) {
            String key = "acct-" + i % 6;
            assertEquals(key, appended.get(i).key());
            assertEquals(key + "#" + i / 6, text(appended.get(i)));
        }
        Map<String, Set<Integer>> partitionsByKey = appended.stream().collect(
                Collectors.groupingBy(LogRecord::key, Collectors.mapping(LogRecord::partition, Collectors.toSet())));
        partitionsByKey.forEach((key, ps) -> assertEquals("one partition for " + key + ": " + ps, 1, ps.size()));
        assertIncreasingPerPartition("offsets returned by append, in append order", appended);

        Recorder handler = new Recorder();
        subscribe(log, group("g"), handler);
        handler.awaitCount(appended.size(), timeout());
        Map<String, LogRecord> delivered = new TreeMap<>();
        for (LogRecord r : handler.handled()) {
            assertTrue("delivered once: " + r.partition() + "@" + r.offset(),
                    delivered.put(r.partition() + "@" + r.offset(), r) == null);
        }
        for (LogRecord a : appended) {
            LogRecord d = delivered.get(a.partition() + "@" + a.offset());
            assertNotNull("the record append returned as " + id(a) + " delivered there; delivered: " + delivered.keySet(), d);
            assertEquals(a.key(), d.key());
            assertArrayEquals(a.value(), d.value());
        }
    }

    @Test
    public void eachPartitionIsHandedInLogOrderAcrossBatches() throws Exception {
        EventLog log = log();
        Recorder handler = new Recorder();
        subscribe(log, group("g"), handler);
        List<LogRecord> appended = new ArrayList<>();
        for (int wave = 0; wave < 5; wave++) {
            List<LogRecord> w = wave % 2 == 0 ? appendRound(log, "acct-", 6, wave) : appendRoundAll(log, "acct-", 6, wave);
            appended.addAll(w);
            handler.awaitHandled(w, timeout()); // the next wave comes in later batches
        }
        assertTrue("one batch per wave at least: " + handler, handler.batches().size() >= 5);
        for (Recorder.Handed b : handler.batches()) {
            assertIncreasingPerPartition("within a batch", b.batch());
        }
        assertIncreasingPerPartition("over the batches", handler.handled());
        assertEquals("every record once, in log order per partition", byPartition(appended), byPartition(handler.handled()));
    }

    @Test
    public void aBatchTheHandlerFailsOnComesAgainWithNothingSkippedAndOrderKept() throws Exception {
        EventLog log = log();
        Recorder handler = new Recorder().failBatchesContaining("poison", 2);
        subscribe(log, group("g"), handler);
        List<LogRecord> appended = new ArrayList<>(appendRound(log, "acct-", 6, 0));
        handler.awaitHandled(appended, timeout());
        Map<String, byte[]> withPoison = new LinkedHashMap<>();
        for (int k = 0; k < 6; k++) {
            withPoison.put("acct-" + k, bytes(k == 1 ? "poison" : "acct-" + k + "#1"));
        }
        appended.addAll(log.appendAll(withPoison));
        appended.addAll(appendRound(log, "acct-", 6, 2));
        handler.awaitHandled(appended, timeout());

        List<Recorder.Handed> batches = handler.batches();
        List<Integer> failed = new ArrayList<>();
        for (int i = 0; i < batches.size(); i++) {
            if (batches.get(i).failed()) {
                failed.add(i);
            }
        }
        assertEquals("the handler threw on two batches: " + handler, 2, failed.size());
        for (int i : failed) {
            Map<Integer, List<String>> failedByPartition = byPartition(batches.get(i).batch());
            failedByPartition.forEach((partition, ids) -> {
                List<String> after = new ArrayList<>();
                for (Recorder.Handed later : batches.subList(i + 1, batches.size())) {
                    after.addAll(byPartition(later.batch()).getOrDefault(partition, List.of()));
                }
                assertTrue("partition " + partition + " handed again after the failed batch " + i + ": " + handler,
                        after.size() >= ids.size());
                assertEquals("after the failed batch " + i + ", partition " + partition
                        + " starts again with the same records in the same order", ids, after.subList(0, ids.size()));
            });
        }
        assertEquals("the batches that succeeded hold every record once, none skipped, in log order per partition",
                byPartition(appended), byPartition(handler.handled()));
    }

    @Test
    public void aNewSubscriptionOfTheGroupResumesAfterTheCommittedPositions() throws Exception {
        EventLog log = log();
        List<LogRecord> first = new ArrayList<>(appendRound(log, "acct-", 6, 0));
        first.addAll(appendRoundAll(log, "acct-", 6, 1));
        Recorder one = new Recorder();
        EventLog.Subscription s1 = subscribe(log, group("g"), one);
        one.awaitHandled(first, timeout());
        Await.until("lag 0 once everything is handled", timeout(), () -> s1.lag() == 0, () -> "lag " + s1.lag());
        s1.close();
        assertEquals(byPartition(first), byPartition(one.handled()));

        List<LogRecord> second = appendRound(log, "acct-", 6, 2); // a record in every partition that has old ones
        Recorder two = new Recorder();
        subscribe(log, group("g"), two);
        two.awaitHandled(second, timeout());
        assertEquals("the new subscription of the group resumes exactly after the committed positions "
                + "(nothing committed again, nothing lost)", byPartition(second), byPartition(two.handled()));
        Recorder other = new Recorder();
        subscribe(log, group("other"), other);
        List<LogRecord> all = new ArrayList<>(first);
        all.addAll(second);
        other.awaitHandled(all, timeout());
        assertEquals("another group reads everything", byPartition(all), byPartition(other.handled()));
    }

    @Test
    public void closeWaitsForTheRunningHandlerAndKeepsWhatItHandled() throws Exception {
        EventLog log = log();
        List<LogRecord> appended = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            appended.add(log.append("acct", bytes("acct#" + i)));
        }
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        AtomicInteger started = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        List<LogRecord> done = java.util.Collections.synchronizedList(new ArrayList<>());
        EventLog.Subscription s1 = subscribe(log, group("g"), batch -> {
            started.incrementAndGet();
            entered.countDown();
            assertFalse(never.await(300, TimeUnit.MILLISECONDS)); // a handler that takes 300 ms
            done.addAll(batch);
            finished.incrementAndGet();
        });
        assertTrue("the handler was called within " + timeout(), entered.await(timeout().toMillis(), TimeUnit.MILLISECONDS));
        s1.close();
        assertEquals("close() returned only after the running handler did", started.get(), finished.get());
        assertFalse("a batch was handled", done.isEmpty());

        appended.add(log.append("acct", bytes("acct#4")));
        appended.add(log.append("acct", bytes("acct#5")));
        Recorder two = new Recorder();
        subscribe(log, group("g"), two);
        two.awaitHandled(appended.subList(4, 6), timeout());
        List<LogRecord> expected = new ArrayList<>(appended);
        expected.removeIf(r -> ids(done).contains(id(r)));
        assertEquals("the batch handled while closing was committed: the group goes on after it",
                ids(expected), ids(two.handled()));
    }

    @Test
    public void positionsIsAskedForAPartitionBeforeAnyOfItsRecordsIsHandedOver() throws Exception {
        EventLog log = log();
        List<LogRecord> appended = new ArrayList<>(appendRound(log, "acct-", 6, 0));
        appended.addAll(appendRound(log, "acct-", 6, 1));
        Recorder handler = new Recorder();
        subscribe(log, group("g"), handler);
        handler.awaitHandled(appended, timeout());
        String id = assertPositionsAnsweredBeforeRecords(handler);
        assertEquals("a partition positions() says nothing for starts at the group's committed position (none: the "
                + "earliest record)", byPartition(appended), byPartition(handler.handled()));

        EventLog other = newLog(log.topic() + ".other");
        List<LogRecord> elsewhere = appendRound(other, "acct-", 6, 0);
        Recorder otherHandler = new Recorder();
        subscribe(other, group("g"), otherHandler);
        otherHandler.awaitHandled(elsewhere, timeout());
        assertNotEquals("another log (topic) has another identity: positions stored for one are not used in the other",
                id, assertPositionsAnsweredBeforeRecords(otherHandler));
    }

    @Test
    public void positionsBelowTheCommittedPositionHandsThoseRecordsAgain() throws Exception {
        EventLog log = log();
        List<LogRecord> first = new ArrayList<>();
        for (int r = 0; r < 3; r++) {
            first.addAll(appendRound(log, "acct-", 6, r));
        }
        assertSpread(first);
        Recorder one = new Recorder();
        EventLog.Subscription s1 = subscribe(log, group("g"), one);
        one.awaitHandled(first, timeout());
        s1.close(); // committed: the end of every partition

        int p = first.get(0).partition();
        List<LogRecord> ofP = inPartition(first, p);
        long from = ofP.get(1).offset();
        Recorder two = new Recorder().positions(asked -> asked.contains(p) ? Map.of(p, from) : Map.of());
        subscribe(log, group("g"), two);
        List<LogRecord> second = appendRound(log, "acct-", 6, 3);
        two.awaitHandled(second, timeout());
        assertEquals("the same log has the same identity for every subscription",
                assertPositionsAnsweredBeforeRecords(one), assertPositionsAnsweredBeforeRecords(two));
        List<LogRecord> expected = new ArrayList<>(ofP.subList(1, ofP.size()));
        expected.addAll(second);
        assertEquals("partition " + p + " again from offset " + from + " (positions() wins over the committed "
                + (ofP.get(ofP.size() - 1).offset() + 1) + "); the others from their committed positions",
                byPartition(expected), byPartition(two.handled()));
    }

    @Test
    public void positionsAboveTheCommittedPositionSkipsTheRecordsBefore() throws Exception {
        EventLog log = log();
        List<LogRecord> first = new ArrayList<>(appendRound(log, "acct-", 6, 0));
        first.addAll(appendRound(log, "acct-", 6, 1));
        assertSpread(first);
        Recorder one = new Recorder();
        EventLog.Subscription s1 = subscribe(log, group("g"), one);
        one.awaitHandled(first, timeout());
        s1.close();

        List<LogRecord> more = new ArrayList<>();
        for (int r = 2; r < 5; r++) {
            more.addAll(appendRound(log, "acct-", 6, r));
        }
        int p = first.get(0).partition();
        List<LogRecord> ofP = inPartition(more, p);
        long skipTo = ofP.get(2).offset();
        Recorder two = new Recorder().positions(asked -> asked.contains(p) ? Map.of(p, skipTo) : Map.of());
        subscribe(log, group("g"), two);
        List<LogRecord> expected = new ArrayList<>(more);
        Set<String> skipped = new HashSet<>(ids(ofP.subList(0, 2)));
        expected.removeIf(r -> skipped.contains(id(r)));
        two.awaitHandled(expected, timeout());
        assertPositionsAnsweredBeforeRecords(two);
        assertEquals("partition " + p + " from offset " + skipTo + " (positions() wins over the committed "
                + ofP.get(0).offset() + "); the others from their committed positions",
                byPartition(expected), byPartition(two.handled()));
    }

    @Test
    public void aPartitionStaysUnreadWhilePositionsThrows() throws Exception {
        EventLog log = log();
        List<LogRecord> appended = new ArrayList<>(appendRound(log, "acct-", 6, 0));
        appended.addAll(appendRound(log, "acct-", 6, 1));
        int p = appended.get(0).partition();
        List<LogRecord> ofP = inPartition(appended, p);
        long from = ofP.get(1).offset();
        Recorder handler = new Recorder().failPositions(2)
                .positions(asked -> asked.contains(p) ? Map.of(p, from) : Map.of());
        subscribe(log, group("g"), handler);
        List<LogRecord> expected = new ArrayList<>(appended);
        expected.removeIf(r -> id(r).equals(id(ofP.get(0))));
        handler.awaitHandled(expected, timeout());
        List<Recorder.Asked> asked = handler.asked();
        assertTrue("positions() asked again after it threw twice: " + handler, asked.size() >= 3);
        assertTrue("the first two answers threw: " + handler, asked.get(0).failed() && asked.get(1).failed());
        assertPositionsAnsweredBeforeRecords(handler);
        assertEquals("the start is the answer positions() gave once it answered", byPartition(expected),
                byPartition(handler.handled()));
    }

    @Test
    public void anIdleSubscriptionFetchesNothingAndResumesWhereItStopped() throws Exception {
        EventLog log = log();
        Recorder handler = new Recorder();
        EventLog.Subscription s = subscribe(log, group("g"), handler);
        assertFalse("a new subscription is not idle", s.idle());
        List<LogRecord> appended = new ArrayList<>(appendRound(log, "acct-", 6, 0));
        handler.awaitHandled(appended, timeout());

        s.idle(true);
        assertTrue(s.idle());
        List<LogRecord> meanwhile = appendRoundAll(log, "acct-", 6, 1);
        appended.addAll(meanwhile);
        handler.assertNothingHandedFor("an idle subscription fetches nothing", quietPeriod());

        s.idle(false);
        assertFalse(s.idle());
        handler.awaitHandled(meanwhile, timeout());
        appended.addAll(appendRound(log, "acct-", 6, 2));
        handler.awaitHandled(appended, timeout());
        assertEquals("no record missed or handed twice over the idle time", byPartition(appended),
                byPartition(handler.handled()));
    }

    @Test
    public void aPositionNoLongerInTheLogIsReportedAndConsumptionGoesOnFromTheEarliest() throws Exception {
        EventLog log = log();
        List<LogRecord> first = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            first.add(log.append("acct", bytes("old" + i)));
        }
        int p = first.get(0).partition();
        Recorder one = new Recorder();
        EventLog.Subscription s1 = subscribe(log, group("g"), one);
        one.awaitHandled(first, timeout());
        s1.close();

        List<LogRecord> more = new ArrayList<>();
        for (int i = 5; i < 10; i++) {
            more.add(log.append("acct", bytes("new" + i)));
        }
        long committed = first.get(4).offset() + 1; // after the last record handled (not necessarily the next record's offset)
        long earliest = more.get(3).offset();
        deleteRecordsBefore(log, p, earliest); // beyond the committed position

        Recorder two = new Recorder();
        subscribe(log, group("g"), two);
        two.awaitHandled(more.subList(3, 5), timeout());
        assertEquals("reported once: partition, lost position, earliest offset",
                List.of(new Recorder.Lost(p, committed, earliest)), two.lost());
        assertEquals("consumption goes on from the earliest record", ids(more.subList(3, 5)), ids(two.handled()));
    }

    // --- helpers ------------------------------------------------------------------------------------------

    /** A log of this test's own topic. */
    protected final EventLog log() throws Exception {
        return newLog("contract." + test.getMethodName());
    }

    /** A group name of this test. */
    protected final String group(String name) {
        return "contract." + test.getMethodName() + "." + name;
    }

    /** Subscribes; the subscription is closed after the test. */
    protected final EventLog.Subscription subscribe(EventLog log, String group, EventLog.Handler handler) {
        EventLog.Subscription s = log.subscribe(group, handler);
        opened.add(s);
        return s;
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static String text(LogRecord r) {
        return new String(r.value(), StandardCharsets.UTF_8);
    }

    /** {@code partition@offset key=value}. */
    protected static String id(LogRecord r) {
        return r.partition() + "@" + r.offset() + " " + r.key() + "=" + text(r);
    }

    protected static List<String> ids(Collection<LogRecord> records) {
        return records.stream().map(EventLogContract::id).toList();
    }

    /** Per partition, the records' ids in the given order. */
    protected static Map<Integer, List<String>> byPartition(Collection<LogRecord> records) {
        Map<Integer, List<String>> out = new TreeMap<>();
        for (LogRecord r : records) {
            out.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(id(r));
        }
        return out;
    }

    protected static List<LogRecord> inPartition(List<LogRecord> records, int partition) {
        return records.stream().filter(r -> r.partition() == partition).toList();
    }

    /** One record per key {@code prefix0..prefix<keys-1>}, value {@code <key>#<round>}, appended one by one. */
    protected static List<LogRecord> appendRound(EventLog log, String prefix, int keys, int round) {
        List<LogRecord> out = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            out.add(log.append(prefix + k, bytes(prefix + k + "#" + round)));
        }
        return out;
    }

    /** The same records as {@link #appendRound}, appended together. */
    protected static List<LogRecord> appendRoundAll(EventLog log, String prefix, int keys, int round) {
        Map<String, byte[]> records = new LinkedHashMap<>();
        for (int k = 0; k < keys; k++) {
            records.put(prefix + k, bytes(prefix + k + "#" + round));
        }
        List<LogRecord> out = log.appendAll(records);
        assertEquals("one result per record", keys, out.size());
        return out;
    }

    private static Map<String, List<String>> valuesByKey(List<LogRecord> records) {
        Map<String, List<String>> out = new TreeMap<>();
        for (LogRecord r : records) {
            out.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(text(r));
        }
        return out;
    }

    private static void assertIncreasingPerPartition(String what, List<LogRecord> records) {
        Map<Integer, Long> last = new TreeMap<>();
        for (LogRecord r : records) {
            Long before = last.put(r.partition(), r.offset());
            assertTrue(what + ": offsets increase in partition " + r.partition() + " (" + before + " then " + r.offset()
                    + ")", before == null || r.offset() > before);
        }
    }

    /** The test keys spread over two partitions at least (the tests that need it say so). */
    private static void assertSpread(List<LogRecord> records) {
        assertTrue("the test keys fall into two partitions at least: " + byPartition(records).keySet(),
                records.stream().map(LogRecord::partition).distinct().count() >= 2);
    }

    /**
     * Every record handed over was in a partition for which positions() had answered before; every call named
     * the same log (its identity is the implementation's: for Kafka the cluster id, topic name and topic id).
     *
     * @return the log's identity as positions() was told it
     */
    private static String assertPositionsAnsweredBeforeRecords(Recorder handler) {
        assertFalse("positions() was never asked: " + handler, handler.asked().isEmpty());
        String id = handler.asked().get(0).log();
        assertTrue("positions() is told which log the partitions belong to: " + handler, id != null && !id.isBlank());
        for (Recorder.Asked a : handler.asked()) {
            assertEquals("one log, one identity: " + handler, id, a.log());
        }
        Set<Integer> answered = new HashSet<>();
        for (Recorder.Event e : handler.events()) {
            if (e instanceof Recorder.Asked a && !a.failed()) {
                answered.addAll(a.partitions());
            } else if (e instanceof Recorder.Handed h) {
                for (LogRecord r : h.batch()) {
                    assertTrue("record " + id(r) + " handed over before positions() answered for partition "
                            + r.partition() + ": " + handler, answered.contains(r.partition()));
                }
            }
        }
        return id;
    }

    /**
     * A handler that records what it is given and asked, in order, and wakes whoever waits on it. It can fail
     * chosen batches and chosen {@code positions} calls.
     */
    protected static final class Recorder implements EventLog.Handler {

        public sealed interface Event permits Handed, Asked, Lost {
        }

        /** A batch, and whether the handler threw on it. */
        public record Handed(List<LogRecord> batch, boolean failed) implements Event {
        }

        /** A {@code positions} call: what was asked, what it answered, or that it threw. */
        public record Asked(String log, Set<Integer> partitions, Map<Integer, Long> answer, boolean failed) implements Event {
        }

        public record Lost(int partition, long lostOffset, long earliestOffset) implements Event {
        }

        private final List<Event> events = new ArrayList<>();
        private String poison = "";
        private int poisonFailures;
        private Function<Set<Integer>, Map<Integer, Long>> positions = asked -> Map.of();
        private int positionsFailures;

        /** The handler throws on the first {@code times} batches holding a record whose value is {@code value}. */
        public synchronized Recorder failBatchesContaining(String value, int times) {
            this.poison = value;
            this.poisonFailures = times;
            return this;
        }

        /** What {@code positions} answers (nothing by default). */
        public synchronized Recorder positions(Function<Set<Integer>, Map<Integer, Long>> answer) {
            this.positions = answer;
            return this;
        }

        /** {@code positions} throws the first {@code times} times it is asked. */
        public synchronized Recorder failPositions(int times) {
            this.positionsFailures = times;
            return this;
        }

        @Override
        public void handle(List<LogRecord> batch) {
            boolean fail;
            synchronized (this) {
                fail = poisonFailures > 0 && batch.stream().anyMatch(r -> text(r).equals(poison));
                if (fail) {
                    poisonFailures--;
                }
                events.add(new Handed(List.copyOf(batch), fail));
                notifyAll();
            }
            if (fail) {
                throw new IllegalStateException("failing on '" + poison + "' for the test");
            }
        }

        @Override
        public synchronized Map<Integer, Long> positions(String log, Set<Integer> partitions) {
            boolean fail = positionsFailures > 0;
            Map<Integer, Long> answer = Map.of();
            if (fail) {
                positionsFailures--;
            } else {
                answer = Map.copyOf(positions.apply(Set.copyOf(partitions)));
            }
            events.add(new Asked(log, new TreeSet<>(partitions), answer, fail));
            notifyAll();
            if (fail) {
                throw new IllegalStateException("positions() failing for the test");
            }
            return answer;
        }

        @Override
        public synchronized void positionLost(int partition, long lostOffset, long earliestOffset) {
            events.add(new Lost(partition, lostOffset, earliestOffset));
            notifyAll();
        }

        public synchronized List<Event> events() {
            return List.copyOf(events);
        }

        public synchronized List<Handed> batches() {
            return events.stream().filter(e -> e instanceof Handed).map(e -> (Handed) e).toList();
        }

        /** The records of the batches the handler did not throw on, in the order they came. */
        public synchronized List<LogRecord> handled() {
            return batches().stream().filter(b -> !b.failed()).flatMap(b -> b.batch().stream()).toList();
        }

        public synchronized List<Asked> asked() {
            return events.stream().filter(e -> e instanceof Asked).map(e -> (Asked) e).toList();
        }

        public synchronized List<Lost> lost() {
            return events.stream().filter(e -> e instanceof Lost).map(e -> (Lost) e).toList();
        }

        /** Waits until {@code condition} holds; fails after {@code timeout} with {@code what} and what was seen. */
        public synchronized void await(String what, Duration timeout, Predicate<Recorder> condition)
                throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!condition.test(this)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what + "; the handler saw " + this);
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }

        /** Waits until every one of {@code records} was handled (in a batch the handler did not throw on). */
        public void awaitHandled(Collection<LogRecord> records, Duration timeout) throws InterruptedException {
            Set<String> wanted = new HashSet<>(ids(records));
            await("records handled: " + ids(records), timeout, r -> new HashSet<>(ids(r.handled())).containsAll(wanted));
        }

        /** Waits until at least {@code n} records were handled. */
        public void awaitCount(int n, Duration timeout) throws InterruptedException {
            await(n + " records handled", timeout, r -> r.handled().size() >= n);
        }

        /** Watches for {@code period}: fails at once when a batch is handed over meanwhile. */
        public synchronized void assertNothingHandedFor(String what, Duration period) throws InterruptedException {
            int before = batches().size();
            long deadline = System.nanoTime() + period.toNanos();
            for (long left = period.toNanos(); left > 0; left = deadline - System.nanoTime()) {
                if (batches().size() > before) {
                    throw new AssertionError(what + ": a batch was handed over: " + this);
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            assertEquals(what + ": " + this, before, batches().size());
        }

        /** The events in order, records as {@code partition@offset} ranges. */
        @Override
        public synchronized String toString() {
            List<String> out = new ArrayList<>();
            for (Event e : events) {
                if (e instanceof Handed h) {
                    out.add((h.failed() ? "FAILED " : "") + "batch " + ranges(h.batch()));
                } else if (e instanceof Asked a) {
                    out.add("positions(" + a.log() + ", " + a.partitions() + ") " + (a.failed() ? "threw" : "= " + new TreeMap<>(a.answer())));
                } else if (e instanceof Lost l) {
                    out.add("positionLost(" + l.partition() + ", " + l.lostOffset() + ", " + l.earliestOffset() + ")");
                }
            }
            if (out.size() > 60) {
                List<String> shortened = new ArrayList<>(out.subList(0, 20));
                shortened.add("... " + (out.size() - 40) + " more ...");
                shortened.addAll(out.subList(out.size() - 20, out.size()));
                out = shortened;
            }
            return out.toString();
        }

        private static String ranges(List<LogRecord> batch) {
            Map<Integer, List<Long>> offsets = new TreeMap<>();
            batch.forEach(r -> offsets.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.offset()));
            return offsets.entrySet().stream().map(e -> {
                List<Long> o = e.getValue();
                return e.getKey() + "@" + o.get(0) + (o.size() > 1 ? ".." + o.get(o.size() - 1) : "");
            }).collect(Collectors.joining(", ", "[", "]"));
        }
    }
}
