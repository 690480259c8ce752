package io.tandem.api.test;

import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import io.tandem.api.replication.LogRecord;
import org.junit.After;
import org.junit.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The in-memory event log passes the event log contract, and behaves as its Javadoc says beyond it. */
public class MemoryEventLogTest extends EventLogContract {

    private final List<MemoryEventLog> logs = new ArrayList<>();

    @Override
    protected EventLog newLog(String topic) {
        return track(new MemoryEventLog(topic, 3, Duration.ofMillis(20)));
    }

    @Override
    protected EventLog writerOf(EventLog log, String node) {
        return ((MemoryEventLog) log).writer(node);
    }

    @Override
    protected void deleteRecordsBefore(EventLog log, int partition, long offset) {
        ((MemoryEventLog) log).deleteBefore(partition, offset);
    }

    @Override
    protected Duration timeout() {
        return Duration.ofSeconds(10);
    }

    @Override
    protected Duration quietPeriod() {
        return Duration.ofMillis(200);
    }

    private MemoryEventLog track(MemoryEventLog log) {
        logs.add(log);
        return log;
    }

    @After
    public void closeLogs() {
        logs.forEach(MemoryEventLog::close);
    }

    @Test
    public void theMembersOfAGroupShareThePartitionsAndTakeOverThoseOfOneThatLeaves() throws Exception {
        MemoryEventLog log = track(new MemoryEventLog("shared", 4, Duration.ofMillis(20)));
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        EventLog.Subscription sa = subscribe(log, "g", a);
        subscribe(log, "g", b);
        List<LogRecord> first = appendRound(log, "acct-", 12, 0);
        assertEquals("the keys cover every partition", 4, first.stream().map(LogRecord::partition).distinct().count());
        awaitBoth(a, b, first);
        Set<Integer> ofA = partitions(a.handled());
        Set<Integer> ofB = partitions(b.handled());
        assertEquals("partition p to the (p mod 2)-th member", Set.of(0, 2), ofA);
        assertEquals(Set.of(1, 3), ofB);

        sa.close();
        List<LogRecord> second = appendRound(log, "acct-", 12, 1);
        b.awaitHandled(second, timeout());
        List<LogRecord> all = new ArrayList<>(first);
        all.addAll(second);
        List<LogRecord> both = new ArrayList<>(a.handled());
        both.addAll(b.handled());
        assertEquals("every record once over the two members", byPartition(all), byPartition(sortedByOffset(both)));
        assertTrue("the remaining member was asked positions() for the partitions it took over: " + b,
                b.asked().stream().anyMatch(x -> x.partitions().equals(Set.of(0, 2))));
    }

    @Test
    public void closeInterruptsAHandlerThatDoesNotReturnWithinTheCloseTimeout() throws Exception {
        MemoryEventLog log = track(new MemoryEventLog("stuck", 1, Duration.ofMillis(20), 10, Duration.ofMillis(100)));
        log.append("acct", bytes("x"));
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch interrupted = new CountDownLatch(1);
        EventLog.Subscription s = log.subscribe("g", batch -> {
            entered.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
        });
        assertTrue(entered.await(10, TimeUnit.SECONDS));
        long start = System.nanoTime();
        s.close();
        assertTrue("close is bounded", System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
        assertTrue("the handler was interrupted", interrupted.await(10, TimeUnit.SECONDS));
        Await.until("the subscription left", timeout(), () -> log.subscriptionCount() == 0);
        assertEquals("nothing committed for the interrupted batch", Map.of(0, 0L), log.committed("g"));
    }

    @Test
    public void partitionsOffsetsAndRetention() {
        MemoryEventLog log = track(new MemoryEventLog("offsets", 3, Duration.ofMillis(20)));
        int p = log.partitionOf("acct");
        assertEquals(Math.floorMod("acct".hashCode(), 3), p);
        for (int i = 0; i < 5; i++) {
            LogRecord r = log.append("acct", bytes("v" + i));
            assertEquals(p, r.partition());
            assertEquals("each append is followed by its commit's control record", 2 * i, r.offset());
        }
        log.deleteBefore(p, 6);
        assertEquals(6, log.earliestOffset(p));
        assertEquals(10, log.endOffset(p));
        assertEquals(List.of("v3", "v4"), log.records(p).stream().map(EventLogContract::text).toList());
        log.deleteBefore(p, 4); // already gone: nothing changes
        assertEquals(6, log.earliestOffset(p));
        assertThrows(IllegalArgumentException.class, () -> log.deleteBefore(p, 11));
        log.close();
        assertThrows(EventLogException.class, () -> log.append("acct", bytes("late")));
    }

    private void awaitBoth(Recorder a, Recorder b, List<LogRecord> records) {
        Set<String> wanted = new HashSet<>(ids(records));
        Await.until("both members together handled " + wanted.size() + " records", timeout(), () -> {
            Set<String> seen = new HashSet<>(ids(a.handled()));
            seen.addAll(ids(b.handled()));
            return seen.containsAll(wanted);
        }, () -> "a " + a + ", b " + b);
    }

    private static Set<Integer> partitions(List<LogRecord> records) {
        return records.stream().map(LogRecord::partition).collect(Collectors.toSet());
    }

    private static List<LogRecord> sortedByOffset(List<LogRecord> records) {
        return records.stream().sorted(java.util.Comparator.comparingLong(LogRecord::offset)).toList();
    }
}
