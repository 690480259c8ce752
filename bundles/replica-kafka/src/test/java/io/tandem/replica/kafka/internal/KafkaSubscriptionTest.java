package io.tandem.replica.kafka.internal;

import io.tandem.api.test.Await;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.LogRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.common.TopicPartition;
import org.junit.After;
import org.junit.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/** The consumer loop of a subscription against Kafka's MockConsumer over an in-memory log (no broker). */
public class KafkaSubscriptionTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final KafkaSubscription.Timing FAST = new KafkaSubscription.Timing(Duration.ofMillis(20), 20, 80,
            Duration.ofSeconds(1), 5000);
    private static final TopicPartition P0 = new TopicPartition(FakeConsumer.TOPIC, 0);
    private static final TopicPartition P1 = new TopicPartition(FakeConsumer.TOPIC, 1);

    /** Hands out the given consumers in order, for whatever brokers are current. */
    private static final class Source implements KafkaSubscription.Source {
        volatile String brokers;
        final List<FakeConsumer> consumers;
        final List<String> requested = new CopyOnWriteArrayList<>();

        Source(String brokers, FakeConsumer... consumers) {
            this.brokers = brokers;
            this.consumers = new ArrayList<>(List.of(consumers));
        }

        @Override
        public String brokers() {
            return brokers;
        }

        @Override
        public Consumer<String, byte[]> consumer(String brokers, String group) {
            requested.add(brokers);
            return consumers.remove(0);
        }

        @Override
        public boolean topicReady(String brokers) {
            return true;
        }

        @Override
        public String logId(String brokers) {
            return "cluster-of-" + brokers + "/" + FakeConsumer.TOPIC + "/topic-id";
        }
    }

    /** Records every batch and lost position; fails the batches it is told to. */
    private static class Recorder implements EventLog.Handler {
        final List<List<LogRecord>> batches = new CopyOnWriteArrayList<>();
        final List<long[]> lost = new CopyOnWriteArrayList<>();
        final AtomicInteger failuresLeft = new AtomicInteger();

        @Override
        public void handle(List<LogRecord> batch) throws Exception {
            batches.add(batch);
            if (failuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("handler failure for the test");
            }
        }

        @Override
        public void positionLost(int partition, long lostOffset, long earliestOffset) {
            lost.add(new long[] {partition, lostOffset, earliestOffset});
        }

        List<String> received() {
            return batches.stream().flatMap(List::stream).map(Recorder::name).collect(Collectors.toList());
        }

        static String name(LogRecord r) {
            return r.partition() + "@" + r.offset() + ":" + r.key() + "=" + new String(r.value(), StandardCharsets.UTF_8);
        }
    }

    private final List<KafkaSubscription> started = new ArrayList<>();
    private final AtomicInteger closedCallbacks = new AtomicInteger();

    private KafkaSubscription subscribe(Source source, EventLog.Handler handler) {
        KafkaSubscription s = new KafkaSubscription(source, FakeConsumer.TOPIC, "group1", handler, FAST,
                "test-subscription", closed -> closedCallbacks.incrementAndGet());
        started.add(s);
        s.start();
        return s;
    }

    @After
    public void closeAll() {
        started.forEach(KafkaSubscription::close);
    }

    /** A fake whose first poll assigns {@code partitions} (each starting at offset 0 unless started otherwise). */
    private static FakeConsumer assigning(TopicPartition... partitions) {
        FakeConsumer c = new FakeConsumer();
        for (TopicPartition tp : partitions) {
            c.startAt(tp.partition(), 0);
        }
        c.schedulePollTask(() -> c.rebalance(List.of(partitions)));
        return c;
    }

    private static Long committed(FakeConsumer c, TopicPartition tp) {
        return c.committedOffset(tp);
    }

    @Test
    public void batchesInLogOrderArePositionedAfterTheHandlerReturned() {
        FakeConsumer c = assigning(P0, P1);
        c.append(0, "a", "a0");
        c.append(0, "a", "a1");
        c.append(0, "a", "a2");
        c.append(1, "b", "b0");
        c.append(1, "b", "b1");
        Recorder handler = new Recorder();
        KafkaSubscription s = subscribe(new Source("mock:9092", c), handler);

        Await.until("5 records committed", WAIT, () -> Long.valueOf(3).equals(committed(c, P0))
                && Long.valueOf(2).equals(committed(c, P1)), () -> handler.received().toString());
        List<String> received = handler.received();
        assertEquals(5, received.size());
        assertEquals(List.of("0@0:a=a0", "0@1:a=a1", "0@2:a=a2"), received.stream().filter(r -> r.startsWith("0@")).toList());
        assertEquals(List.of("1@0:b=b0", "1@1:b=b1"), received.stream().filter(r -> r.startsWith("1@")).toList());
        Await.until("lag 0", WAIT, () -> s.lag() == 0, () -> "lag " + s.lag());

        c.append(1, "b", "b2");
        Await.until("the next record", WAIT, () -> Long.valueOf(3).equals(committed(c, P1)));
        assertEquals("1@2:b=b2", handler.received().get(5));
    }

    /**
     * A poll that does not return (the classic consumer's group leader waiting for metadata without a bound) is
     * seen after {@link KafkaSubscription#STUCK_POLL_NANOS}: the consumer is woken up and replaced, and the new one
     * reads on. Before, the subscription waited as long as the poll did.
     */
    @Test
    public void aPollThatDoesNotReturnIsWokenUpAndTheConsumerReplaced() {
        FakeConsumer first = assigning(P0);
        first.append(0, "k", "v0");
        FakeConsumer second = assigning(P0);
        second.append(0, "k", "v0");
        second.append(0, "k", "v1");
        Recorder handler = new Recorder();
        Source source = new Source("mock:9092", first, second);
        KafkaSubscription s = subscribe(source, handler);
        Await.until("the first record committed", WAIT, () -> Long.valueOf(1).equals(committed(first, P0)));

        first.hang();
        long polls = first.polls();
        Await.until("a poll under way that does not return", WAIT, () -> first.polls() > polls);
        long now = System.nanoTime();
        s.checkStuck(now); // not stuck yet
        assertEquals("the consumer is kept while its poll is young", List.of("mock:9092"), source.requested);

        // the first wake-up is swallowed inside the poll: it is not tried again at once, but a period later
        first.swallowNextWakeup();
        long stuckAt = now + KafkaSubscription.STUCK_POLL_NANOS + 1;
        s.checkStuck(stuckAt);
        Await.until("the wake-up taken (and swallowed)", WAIT, () -> first.swallowedAll());
        s.checkStuck(stuckAt + 1);
        assertEquals("the same poll is not woken again at once", List.of("mock:9092"), source.requested);
        s.checkStuck(stuckAt + KafkaSubscription.STUCK_POLL_NANOS + 1);
        Await.until("a new consumer, which reads on", WAIT, () -> Long.valueOf(2).equals(committed(second, P0)),
                () -> handler.received().toString());
        assertEquals(List.of("mock:9092", "mock:9092"), source.requested);
        assertEquals("0@1:k=v1", handler.received().get(handler.received().size() - 1));
    }

    @Test
    public void aFailingHandlerGetsTheSameRecordsAgainAndNothingIsCommittedMeanwhile() {
        FakeConsumer c = assigning(P0);
        c.append(0, "k", "v0");
        c.append(0, "k", "v1");
        List<Map<TopicPartition, OffsetAndMetadata>> committedAtCall = new CopyOnWriteArrayList<>();
        Recorder handler = new Recorder() {
            @Override
            public void handle(List<LogRecord> batch) throws Exception {
                committedAtCall.add(c.committed(Set.of(P0))); // on the consumer thread, between polls
                super.handle(batch);
            }
        };
        handler.failuresLeft.set(2);
        subscribe(new Source("mock:9092", c), handler);

        Await.until("the batch handled after two failures", WAIT, () -> Long.valueOf(2).equals(committed(c, P0)));
        assertEquals(3, handler.batches.size());
        List<String> first = handler.batches.get(0).stream().map(Recorder::name).toList();
        assertEquals(List.of("0@0:k=v0", "0@1:k=v1"), first);
        assertEquals(first, handler.batches.get(1).stream().map(Recorder::name).toList());
        assertEquals(first, handler.batches.get(2).stream().map(Recorder::name).toList());
        for (Map<TopicPartition, OffsetAndMetadata> m : committedAtCall) {
            // at most the starting position (stored when the group had none), never past an unhandled record
            assertTrue("nothing handled is committed before the handler succeeded: " + m, m.get(P0) == null || m.get(P0).offset() == 0);
        }
    }

    /** Says where partitions resume (its own stored positions); fails the first calls it is told to. */
    private static final class Positioned extends Recorder {
        final Map<Integer, Long> stored;
        final AtomicInteger positionFailuresLeft = new AtomicInteger();
        final List<Set<Integer>> asked = new CopyOnWriteArrayList<>();

        Positioned(Map<Integer, Long> stored) {
            this.stored = stored;
        }

        @Override
        public Map<Integer, Long> positions(String log, Set<Integer> partitions) {
            assertEquals("cluster-of-mock:9092/" + FakeConsumer.TOPIC + "/topic-id", log);
            asked.add(partitions);
            if (positionFailuresLeft.getAndDecrement() > 0) {
                throw new IllegalStateException("mailbox database unreachable, for the test");
            }
            return stored;
        }
    }

    @Test
    public void theHandlersStoredPositionWinsOverTheGroupsCommittedOne() {
        FakeConsumer c = assigning(P0, P1);
        for (int i = 0; i < 5; i++) {
            c.append(0, "a", "a" + i);
            c.append(1, "b", "b" + i);
        }
        // the group says 3 and 1, but the copy's database holds only what is before 1 (P0) and 4 (P1)
        c.commitSync(Map.of(P0, new OffsetAndMetadata(3), P1, new OffsetAndMetadata(1)));
        Positioned handler = new Positioned(Map.of(0, 1L, 1, 4L));
        subscribe(new Source("mock:9092", c), handler);

        Await.until("both partitions read to their end", WAIT, () -> Long.valueOf(5).equals(committed(c, P0))
                && Long.valueOf(5).equals(committed(c, P1)), () -> handler.received().toString());
        assertEquals("what the database lacks comes again, even below the group's position",
                List.of("0@1:a=a1", "0@2:a=a2", "0@3:a=a3", "0@4:a=a4"),
                handler.received().stream().filter(r -> r.startsWith("0@")).toList());
        assertEquals("nothing before the stored position", List.of("1@4:b=b4"),
                handler.received().stream().filter(r -> r.startsWith("1@")).toList());
        assertEquals(List.of(Set.of(0, 1)), handler.asked);
    }

    @Test
    public void partitionsStayUnreadUntilTheHandlerCanSayWhereTheyResume() {
        FakeConsumer c = assigning(P0);
        c.append(0, "a", "a0");
        c.append(0, "a", "a1");
        Positioned handler = new Positioned(Map.of(0, 1L));
        handler.positionFailuresLeft.set(2);
        subscribe(new Source("mock:9092", c), handler);

        Await.until("the record after the stored position", WAIT, () -> Long.valueOf(2).equals(committed(c, P0)),
                () -> handler.received().toString());
        assertEquals("asked until it answered", 3, handler.asked.size());
        assertEquals("nothing was handed over before it answered, nothing before its position after",
                List.of("0@1:a=a1"), handler.received());
    }

    @Test
    public void aGroupWithoutPositionStartsFromTheEarliestRecord() {
        FakeConsumer c = new FakeConsumer();
        c.startAt(0, 5); // records 0..4 are gone; no committed position
        c.append(0, "k", "first");
        c.append(0, "k", "second");
        c.schedulePollTask(() -> c.rebalance(List.of(P0)));
        Recorder handler = new Recorder();
        subscribe(new Source("mock:9092", c), handler);

        Await.until("both records", WAIT, () -> Long.valueOf(7).equals(committed(c, P0)));
        assertTrue("the starting position was stored before the first record was handled", c.commitHistory().contains(5L));
        assertEquals(List.of("0@5:k=first", "0@6:k=second"), handler.received());
        assertTrue("no position was lost", handler.lost.isEmpty());
    }

    @Test
    public void aLostPositionIsReportedOnceThenConsumptionContinuesFromTheEarliest() {
        FakeConsumer c = new FakeConsumer();
        c.startAt(0, 10);
        c.append(0, "k", "r10");
        c.append(0, "k", "r11");
        // the group's committed position 4 was deleted by retention: the fetch fails out of range
        c.schedulePollTask(() -> {
            c.rebalance(List.of(P0));
            c.setPollException(new OffsetOutOfRangeException("Fetch position 4 is out of range", Map.of(P0, 4L)));
        });
        Recorder handler = new Recorder();
        subscribe(new Source("mock:9092", c), handler);

        Await.until("the records after the loss", WAIT, () -> Long.valueOf(12).equals(committed(c, P0)));
        assertEquals(1, handler.lost.size());
        assertEquals("partition, lost, earliest", List.of(0L, 4L, 10L),
                List.of(handler.lost.get(0)[0], handler.lost.get(0)[1], handler.lost.get(0)[2]));
        assertEquals(List.of("0@10:k=r10", "0@11:k=r11"), handler.received());
    }

    @Test
    public void aFailingLostPositionReportIsMadeAgainBeforeConsumptionContinues() {
        FakeConsumer c = new FakeConsumer();
        c.startAt(0, 10);
        c.append(0, "k", "r10");
        OffsetOutOfRangeException outOfRange = new OffsetOutOfRangeException("Fetch position 4 is out of range", Map.of(P0, 4L));
        c.schedulePollTask(() -> {
            c.rebalance(List.of(P0));
            c.setPollException(outOfRange);
        });
        Recorder handler = new Recorder() {
            @Override
            public void positionLost(int partition, long lostOffset, long earliestOffset) {
                super.positionLost(partition, lostOffset, earliestOffset);
                if (lost.size() == 1) {
                    c.setPollException(outOfRange); // unmoved, a real consumer fails the same fetch again
                    throw new IllegalStateException("re-initialisation failed for the test");
                }
            }
        };
        subscribe(new Source("mock:9092", c), handler);

        Await.until("the record after the loss", WAIT, () -> Long.valueOf(11).equals(committed(c, P0)));
        assertEquals(2, handler.lost.size());
        assertEquals(List.of(0L, 4L, 10L), List.of(handler.lost.get(1)[0], handler.lost.get(1)[1], handler.lost.get(1)[2]));
        assertEquals(List.of("0@10:k=r10"), handler.received());
    }

    @Test
    public void newBrokersGetANewConsumerAndTheOldOneIsClosed() {
        FakeConsumer a = assigning(P0);
        a.append(0, "k", "on-a");
        FakeConsumer b = assigning(P0);
        b.append(0, "k", "on-b");
        Source source = new Source("a:9092", a, b);
        Recorder handler = new Recorder();
        KafkaSubscription s = subscribe(source, handler);
        Await.until("the record of a", WAIT, () -> handler.received().contains("0@0:k=on-a"));

        source.brokers = "b:9092";
        s.brokersChanged();
        Await.until("the record of b", WAIT, () -> handler.batches.size() == 2, () -> handler.received().toString());
        assertEquals(List.of("0@0:k=on-a", "0@0:k=on-b"), handler.received());
        assertEquals(List.of("a:9092", "b:9092"), source.requested);
        Await.until("a closed", WAIT, a::closed);
        assertFalse(b.closed());
    }

    @Test
    public void withoutBrokersItWaitsAndCloseIsPrompt() {
        FakeConsumer c = assigning(P0);
        c.append(0, "k", "v");
        Source source = new Source("", c);
        Recorder handler = new Recorder();
        KafkaSubscription s = subscribe(source, handler);
        assertTrue(source.requested.isEmpty());

        source.brokers = "mock:9092";
        s.brokersChanged();
        Await.until("the record once brokers are set", WAIT, () -> handler.received().size() == 1);

        long start = System.nanoTime();
        s.close();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue("close took " + millis + " ms", millis < 2000);
        assertFalse(s.alive());
        assertTrue(c.closed());
        assertEquals(1, closedCallbacks.get());
    }

    /** A handler that waits in the batch making {@code atRecords} records until {@link #release}. */
    private static final class Holding extends Recorder {
        final CountDownLatch inHandler = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final int atRecords;

        Holding(int atRecords) {
            this.atRecords = atRecords;
        }

        @Override
        public void handle(List<LogRecord> batch) throws Exception {
            super.handle(batch);
            if (received().size() == atRecords) {
                inHandler.countDown();
                assertTrue(release.await(10, TimeUnit.SECONDS));
            }
        }

        /** Closes {@code s} while this handler holds a batch, then lets the batch finish. */
        void closeWhileHolding(KafkaSubscription s) throws Exception {
            assertTrue(inHandler.await(10, TimeUnit.SECONDS));
            Thread closer = new Thread(s::close);
            closer.start();
            Await.until("close woke the consumer", WAIT, () -> closer.getState() == Thread.State.TIMED_WAITING);
            release.countDown();
            closer.join(10_000);
            assertFalse(s.alive());
        }
    }

    @Test
    public void closeDuringTheHandlerStillCommitsTheHandledBatch() throws Exception {
        FakeConsumer c = assigning(P0);
        c.append(0, "k", "v0");
        Holding handler = new Holding(1);
        KafkaSubscription s = subscribe(new Source("mock:9092", c), handler);
        handler.closeWhileHolding(s);
        assertEquals("the batch handled before close is committed despite the wake-up", Long.valueOf(1), committed(c, P0));
    }

    /**
     * Under load positions are committed at most every 500 ms; a close (bundle update, shutdown) must still store
     * the position of the last handled batch so the next consumer of the group resumes right after it.
     */
    @Test
    public void closeCommitsTheHandledPositionsNotYetCommitted() throws Exception {
        FakeConsumer c = assigning(P0);
        c.append(0, "k", "v0");
        Holding handler = new Holding(2);
        KafkaSubscription s = subscribe(new Source("mock:9092", c), handler);
        Await.until("the first record committed", WAIT, () -> Long.valueOf(1).equals(committed(c, P0)));
        c.append(0, "k", "v1");
        assertTrue(handler.inHandler.await(10, TimeUnit.SECONDS));
        c.append(0, "k", "v2"); // more is waiting: no idle poll commits on the way out
        handler.closeWhileHolding(s);
        assertEquals("the position after the last handled record", Long.valueOf(2), committed(c, P0));
    }

    /**
     * A Mailstore without replica copies has no use for the log: its subscription pauses every partition, and
     * when copies come it goes on from where it stopped, with the same consumer, so nothing appended meanwhile
     * is missed.
     */
    @Test
    public void anIdleSubscriptionFetchesNothingThenGoesOnFromWhereItStopped() {
        FakeConsumer c = assigning(P0, P1);
        c.append(0, "a", "a0");
        Recorder handler = new Recorder();
        Source source = new Source("mock:9092", c);
        KafkaSubscription s = subscribe(source, handler);
        Await.until("a0 committed", WAIT, () -> Long.valueOf(1).equals(committed(c, P0)), () -> handler.received().toString());

        s.idle(true);
        assertTrue(s.idle());
        Await.until("both partitions paused", WAIT, () -> c.paused().equals(Set.of(P0, P1)), () -> "paused " + c.paused());
        c.append(0, "a", "a1");
        c.append(1, "b", "b0");
        long polls = c.polls();
        Await.until("five more polls while idle", WAIT, () -> c.polls() >= polls + 5);
        assertEquals("nothing fetched while idle", List.of("0@0:a=a0"), handler.received());
        assertEquals("lag unknown while idle", -1, s.lag());

        s.idle(false);
        Await.until("what was appended while idle handled and committed", WAIT,
                () -> Long.valueOf(2).equals(committed(c, P0)) && Long.valueOf(1).equals(committed(c, P1)),
                () -> handler.received().toString());
        assertEquals(List.of("0@0:a=a0", "0@1:a=a1", "1@0:b=b0"), handler.received().stream().sorted().toList());
        assertTrue("resumed", c.paused().isEmpty());
        assertEquals("the wake-up kept the same consumer", 1, source.requested.size());
        Await.until("lag 0", WAIT, () -> s.lag() == 0, () -> "lag " + s.lag());
    }

    @Test
    public void partitionsAssignedWhileIdleAreNotFetched() {
        FakeConsumer c = assigning(P0);
        c.append(0, "a", "a0");
        Recorder handler = new Recorder();
        KafkaSubscription s = new KafkaSubscription(new Source("mock:9092", c), FakeConsumer.TOPIC, "group1", handler, FAST,
                "test-subscription", closed -> closedCallbacks.incrementAndGet());
        started.add(s);
        s.idle(true);
        s.start();
        Await.until("assigned and paused", WAIT, () -> c.paused().equals(Set.of(P0)), () -> "paused " + c.paused());
        long polls = c.polls();
        Await.until("five more polls while idle", WAIT, () -> c.polls() >= polls + 5);
        assertEquals(List.of(), handler.received());
        s.idle(false);
        Await.until("a0 handled", WAIT, () -> handler.received().equals(List.of("0@0:a=a0")), () -> handler.received().toString());
    }
}
