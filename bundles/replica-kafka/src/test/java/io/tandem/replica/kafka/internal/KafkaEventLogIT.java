package io.tandem.replica.kafka.internal;

import io.tandem.api.test.Scripts;
import io.tandem.api.test.Await;
import io.tandem.api.replication.BrokerCheck;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import io.tandem.api.replication.LogRecord;
import io.tandem.api.replication.LogStatus;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.KafkaFixture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * The event log against real Kafka brokers (KRaft, single node each) started by scripts/infra/kafka.sh:
 * {@code a} for most tests, {@code b} as the second cluster the brokers move to and for an outage. Every
 * test has its own topic and groups; waits are bounded polls of an observable state.
 */
public class KafkaEventLogIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static KafkaFixture a;
    private static KafkaFixture b;
    private static Admin adminA;
    private static Admin adminB;

    private final List<KafkaEventLog> logs = new ArrayList<>();

    @BeforeClass
    public static void startBrokers() throws Exception {
        a = KafkaFixture.start("kafka-a");
        b = KafkaFixture.start("kafka-b");
        adminA = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a.brokers()));
        adminB = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, b.brokers()));
    }

    @AfterClass
    public static void stopBrokers() {
        for (AutoCloseable c : new AutoCloseable[] {adminA, adminB, a, b}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                System.err.println("closing " + c + ": " + e);
            }
        }
    }

    @After
    public void stopLogs() {
        logs.forEach(KafkaEventLog::deactivate);
    }

    private KafkaEventLog log(String topic, AtomicReference<String> brokers, long appendTimeoutMillis) {
        KafkaEventLog log = new KafkaEventLog("test-node", brokers::get, ConfigProxy.of(KafkaEventLog.Config.class, Map.of(
                "topic", topic, "partitions", 3, "brokers_poll_ms", 200L, "append_timeout_ms", appendTimeoutMillis)),
                KafkaSubscription.Timing.DEFAULT);
        logs.add(log);
        return log;
    }

    private KafkaEventLog log(String topic, String brokers) {
        return log(topic, new AtomicReference<>(brokers), 10_000);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(LogRecord r) {
        return new String(r.value(), StandardCharsets.UTF_8);
    }

    /** Collects every record and lost position; optionally fails the first calls. */
    private static final class Collector implements EventLog.Handler {
        final List<List<LogRecord>> batches = new CopyOnWriteArrayList<>();
        final List<long[]> lost = new CopyOnWriteArrayList<>();
        final AtomicInteger failFirst = new AtomicInteger();

        @Override
        public void handle(List<LogRecord> batch) {
            batches.add(batch);
            if (failFirst.getAndDecrement() > 0) {
                throw new IllegalStateException("failing once for the test");
            }
        }

        @Override
        public void positionLost(int partition, long lostOffset, long earliestOffset) {
            lost.add(new long[] {partition, lostOffset, earliestOffset});
        }

        List<LogRecord> records() {
            return batches.stream().flatMap(List::stream).collect(Collectors.toList());
        }

        List<String> values() {
            return records().stream().map(KafkaEventLogIT::text).collect(Collectors.toList());
        }
    }

    private static Map<TopicPartition, Long> committed(Admin admin, String group) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> m = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(10, TimeUnit.SECONDS);
        Map<TopicPartition, Long> out = new HashMap<>();
        m.forEach((tp, o) -> {
            if (o != null) {
                out.put(tp, o.offset());
            }
        });
        return out;
    }

    private static long endOffsets(Admin admin, String topic, int partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            request.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        return admin.listOffsets(request).all().get(10, TimeUnit.SECONDS).values().stream()
                .mapToLong(i -> i.offset()).sum();
    }

    private static boolean quietly(java.util.concurrent.Callable<Boolean> check) {
        try {
            return check.call();
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * Right after a topic is created, a broker may not describe it yet: the topic's creation at the first append
     * waits for it instead of failing that append (it failed about 7 times in 10 when many topics were made at once).
     */
    @Test
    public void theFirstAppendsToNewTopicsSucceedEvenWhenTheyAreCreatedTogether() throws Exception {
        int n = 12;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(n);
        try {
            List<java.util.concurrent.Future<LogRecord>> appends = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                KafkaEventLog log = log("fresh-" + i + "-" + System.nanoTime(), a.brokers());
                appends.add(pool.submit(() -> log.append("k", bytes("first"))));
            }
            for (java.util.concurrent.Future<LogRecord> f : appends) {
                assertEquals("the first record of its topic", 0, f.get(60, TimeUnit.SECONDS).offset());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    public void appendGivesIncreasingOffsetsAndOnePartitionPerKey() throws Exception {
        KafkaEventLog log = log("it-append", a.brokers());
        assertTrue(log.enabled());
        Map<String, List<LogRecord>> byKey = new HashMap<>();
        for (int i = 0; i < 6; i++) {
            for (String key : List.of("acct-1", "acct-2", "acct-3")) {
                LogRecord r = log.append(key, bytes(key + "#" + i));
                assertEquals(key, r.key());
                assertTrue(r.timestampMillis() > 0);
                byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
            }
        }
        for (List<LogRecord> records : byKey.values()) {
            assertEquals("one partition per key", 1, records.stream().map(LogRecord::partition).distinct().count());
            for (int i = 1; i < records.size(); i++) {
                assertTrue("increasing offsets " + records, records.get(i).offset() > records.get(i - 1).offset());
            }
        }
        assertTrue(log.connected());
        TopicDescription topic = adminA.describeTopics(List.of("it-append")).allTopicNames().get(10, TimeUnit.SECONDS)
                .get("it-append");
        assertEquals("partitions from the configuration", 3, topic.partitions().size());
        assertEquals("replication factor min(3, 1 live broker)", 1, topic.partitions().get(0).replicas().size());
        Await.until("18 appends, each a transaction: 18 records and 18 commit markers", WAIT,
                () -> quietly(() -> endOffsets(adminA, "it-append", 3) == 36));
    }

    @Test
    public void appendAllWritesEveryRecordInOrderAndAcknowledgesThemTogether() throws Exception {
        KafkaEventLog log = log("it-append-all", a.brokers());
        Map<String, byte[]> records = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 200; i++) {
            records.put("acct-" + i, bytes("marker-" + i));
        }
        List<LogRecord> written = log.appendAll(records);
        assertEquals(200, written.size());
        for (int i = 0; i < 200; i++) {
            assertEquals("acct-" + i, written.get(i).key());
            assertEquals("marker-" + i, new String(written.get(i).value(), java.nio.charset.StandardCharsets.UTF_8));
        }
        // the commit markers are written right after the commit returns
        Await.until("200 records in one transaction: a commit marker in each of the 3 partitions", WAIT,
                () -> quietly(() -> endOffsets(adminA, "it-append-all", 3) == 203));
    }

    @Test
    public void describeReportsBrokersPartitionsReplicasAndMinInsync() throws Exception {
        KafkaEventLog log = log("it-describe", a.brokers());
        log.append("k", bytes("v")); // creates the topic
        LogStatus s = log.describe(Duration.ofSeconds(10));
        assertTrue(s.error(), s.reachable());
        assertEquals(a.brokers(), s.brokers());
        assertEquals(1, s.liveBrokers().size());
        assertTrue(s.liveBrokers().get(0), s.liveBrokers().get(0).endsWith(":" + a.port));
        assertTrue(s.topicExists());
        assertEquals(3, s.partitions().size());
        assertEquals(List.of(0, 1, 2), s.partitions().stream().map(LogStatus.Partition::partition).toList());
        assertEquals(1, s.replicationFactor());
        assertEquals("the broker's default applies to a topic created on one broker", 1, s.minInsyncReplicas());
        assertEquals(0, s.underReplicated());
        assertEquals(0, s.belowMinInsync());
        assertEquals(0, s.offline());
        TopicDescription topic = adminA.describeTopics(List.of("it-describe")).allTopicNames().get(10, TimeUnit.SECONDS)
                .get("it-describe");
        for (LogStatus.Partition p : s.partitions()) {
            assertEquals(topic.partitions().get(p.partition()).leader().id(), p.leader());
            assertEquals(p.replicas(), p.isr());
        }
    }

    @Test
    public void describeSaysWhyWhenDisabledOrUnreachable() throws Exception {
        LogStatus disabled = log("it-describe-off", "").describe(Duration.ofSeconds(2));
        assertFalse(disabled.reachable());
        assertEquals(KafkaEventLog.DISABLED, disabled.error());
        int port;
        try (ServerSocket free = new ServerSocket(0)) {
            port = free.getLocalPort();
        }
        String nowhere = "127.0.0.1:" + port;
        long start = System.nanoTime();
        LogStatus down = log("it-describe-down", nowhere).describe(Duration.ofSeconds(2));
        assertFalse(down.reachable());
        assertTrue(down.error(), down.error().startsWith("brokers " + nowhere + " do not answer"));
        assertTrue("bounded by the timeout", System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8));
        assertTrue(down.partitions().isEmpty());
    }

    @Test
    public void aSubscriptionReceivesInOrderAndResumesAfterTheLastCommittedPosition() throws Exception {
        KafkaEventLog log = log("it-resume", a.brokers());
        List<LogRecord> written = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            written.add(log.append("a", bytes("a" + i)));
            written.add(log.append("b", bytes("b" + i)));
        }
        Collector first = new Collector();
        EventLog.Subscription s1 = log.subscribe("g-resume", first);
        Await.until("the first 10 records", WAIT, () -> first.records().size() >= 10, () -> first.values().toString());
        for (String key : List.of("a", "b")) {
            List<String> inOrder = first.records().stream().filter(r -> r.key().equals(key)).map(KafkaEventLogIT::text).toList();
            assertEquals(List.of(key + "0", key + "1", key + "2", key + "3", key + "4"), inOrder);
        }
        Await.until("lag 0", WAIT, () -> s1.lag() == 0, () -> "lag " + s1.lag());
        s1.close();

        for (int i = 5; i < 8; i++) {
            written.add(log.append("a", bytes("a" + i)));
        }
        Collector second = new Collector();
        log.subscribe("g-resume", second);
        Await.until("the 3 new records", WAIT, () -> second.records().size() >= 3, () -> second.values().toString());
        assertEquals("the second subscription resumes after the committed position",
                List.of("a5", "a6", "a7"), second.values());
        Set<String> seen = new HashSet<>();
        for (LogRecord r : first.records()) {
            assertTrue("no record twice: " + r.partition() + "@" + r.offset(), seen.add(r.partition() + "@" + r.offset()));
        }
        for (LogRecord r : second.records()) {
            assertTrue("no record twice: " + r.partition() + "@" + r.offset(), seen.add(r.partition() + "@" + r.offset()));
        }
        assertEquals(written.stream().map(r -> r.partition() + "@" + r.offset()).collect(Collectors.toSet()), seen);
    }

    @Test
    public void aHandlerThatThrowsGetsTheSameRecordsAgain() throws Exception {
        KafkaEventLog log = log("it-retry", a.brokers());
        LogRecord r0 = log.append("acct", bytes("r0"));
        log.append("acct", bytes("r1"));
        LogRecord r2 = log.append("acct", bytes("r2"));
        Collector handler = new Collector();
        handler.failFirst.set(1);
        log.subscribe("g-retry", handler);

        TopicPartition tp = new TopicPartition("it-retry", r0.partition());
        Await.until("the records handled and committed", WAIT,
                () -> quietly(() -> Long.valueOf(r2.offset() + 1).equals(committed(adminA, "g-retry").get(tp))),
                () -> handler.batches.size() + " batches");
        List<LogRecord> failed = handler.batches.get(0);
        List<LogRecord> again = handler.batches.get(1);
        assertEquals("r0", text(failed.get(0)));
        assertTrue(again.size() >= failed.size());
        for (int i = 0; i < failed.size(); i++) {
            assertEquals(failed.get(i).offset(), again.get(i).offset());
            assertEquals(text(failed.get(i)), text(again.get(i)));
        }
    }

    @Test
    public void changedBrokersMoveAppendAndSubscriptionsWithoutRestart() throws Exception {
        AtomicReference<String> brokers = new AtomicReference<>(a.brokers());
        KafkaEventLog log = log("it-move", brokers, 10_000);
        Collector handler = new Collector();
        log.subscribe("g-move", handler);
        LogRecord before = log.append("acct", bytes("on a"));
        Await.until("the record on a", WAIT, () -> handler.values().contains("on a"), () -> handler.values().toString());

        brokers.set(b.brokers());
        Await.until("the brokers of b in use", WAIT, () -> log.brokers().equals(b.brokers()));
        LogRecord after = log.append("acct", bytes("on b"));
        assertEquals(0, after.offset()); // the first record of b's new topic
        Await.until("the record went to b (and its commit marker)", WAIT, () -> quietly(() -> endOffsets(adminB, "it-move", 3) == 2));
        assertEquals("a has only the record before the move (and its commit marker)", 2, endOffsets(adminA, "it-move", 3));
        assertEquals(before.partition(), after.partition());
        Await.until("the subscription consumes b", WAIT, () -> handler.values().contains("on b"),
                () -> handler.values().toString());
        assertEquals(List.of("on a", "on b"), handler.values());
        Await.until("connected to b", WAIT, log::connected);
    }

    @Test
    public void disabledWhileTheGlobalIsBlankThenEnabledWithoutRestart() throws Exception {
        AtomicReference<String> brokers = new AtomicReference<>("");
        KafkaEventLog log = log("it-disabled", brokers, 10_000);
        assertFalse(log.enabled());
        assertFalse(log.connected());
        assertEquals("replication is disabled: the global 'brokers' is not set (global:set brokers host:9092,...)",
                assertThrows(EventLogException.class, () -> log.append("acct", bytes("x"))).getMessage());

        Collector handler = new Collector();
        log.subscribe("g-disabled", handler);
        brokers.set(a.brokers());
        Await.until("enabled", WAIT, log::enabled);
        log.append("acct", bytes("now enabled"));
        Await.until("the subscription waiting for brokers consumes", WAIT, () -> handler.values().contains("now enabled"));

        brokers.set(" ");
        Await.until("disabled again", WAIT, () -> !log.enabled());
        assertEquals(KafkaEventLog.DISABLED, assertThrows(EventLogException.class, () -> log.append("acct", bytes("x"))).getMessage());
    }

    @Test
    public void testNamesUnreachableBrokersAndProbesTheReachableOnes() throws Exception {
        KafkaEventLog log = log("it-test", a.brokers());
        LogRecord live = log.append("acct", bytes("before the test"));
        int closed = Scripts.freePort();
        try (ServerSocket silent = new ServerSocket(0)) { // accepts TCP, never answers
            String refused = "127.0.0.1:" + closed;
            String mute = "127.0.0.1:" + silent.getLocalPort();
            List<BrokerCheck> checks = log.test(List.of(refused, mute, a.brokers()), Duration.ofSeconds(3));
            assertEquals(checks.toString(), 4, checks.size());
            assertEquals(refused, checks.get(0).target());
            assertFalse(checks.get(0).ok());
            assertEquals("TCP: connection refused", checks.get(0).detail());
            assertEquals(mute, checks.get(1).target());
            assertFalse(checks.get(1).ok());
            assertEquals("metadata: timed out after 3000 ms", checks.get(1).detail());
            assertEquals(a.brokers(), checks.get(2).target());
            assertTrue(checks.get(2).toString(), checks.get(2).ok());
            assertTrue(checks.get(2).detail(), checks.get(2).detail().contains("metadata: cluster ")
                    && checks.get(2).detail().contains("1 live broker"));
            assertEquals("probe", checks.get(3).target());
            assertTrue(checks.get(3).toString(), checks.get(3).ok());
            assertTrue(checks.get(3).detail(), checks.get(3).detail().matches("wrote tandem\\.probe-0 offset \\d+ \\(acks=all\\) and read it back"));
        }
        // the live producer is untouched
        LogRecord next = log.append("acct", bytes("after the test"));
        assertEquals(live.partition(), next.partition());
        assertTrue("after the record before the test", next.offset() > live.offset());
        assertEquals(a.brokers(), log.brokers());
    }

    @Test
    public void aPositionDeletedByRetentionIsReportedAndConsumptionContinuesFromTheEarliest() throws Exception {
        KafkaEventLog log = log("it-lost", a.brokers());
        LogRecord old = null;
        for (int i = 0; i < 5; i++) {
            old = log.append("acct", bytes("old" + i));
        }
        int partition = old.partition();
        long oldEnd = old.offset() + 1; // offsets are not contiguous: each append's transaction adds a marker
        TopicPartition tp = new TopicPartition("it-lost", partition);
        Collector first = new Collector();
        EventLog.Subscription s1 = log.subscribe("g-lost", first);
        Await.until("5 records committed", WAIT, () -> quietly(() -> Long.valueOf(oldEnd).equals(committed(adminA, "g-lost").get(tp))));
        s1.close();

        List<LogRecord> fresh = new ArrayList<>();
        for (int i = 5; i < 10; i++) {
            fresh.add(log.append("acct", bytes("new" + i)));
        }
        long earliest = fresh.get(3).offset();
        // retention removes everything before new8, beyond the committed position
        adminA.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(earliest))).all().get(10, TimeUnit.SECONDS);

        Collector second = new Collector();
        log.subscribe("g-lost", second);
        Await.until("the records after the loss", WAIT, () -> second.records().size() >= 2, () -> second.values().toString());
        assertEquals(1, second.lost.size());
        assertEquals("partition, lost position, earliest", List.of((long) partition, oldEnd, earliest),
                List.of(second.lost.get(0)[0], second.lost.get(0)[1], second.lost.get(0)[2]));
        assertEquals(List.of("new8", "new9"), second.values());
        Await.until("the new position committed", WAIT,
                () -> quietly(() -> Long.valueOf(fresh.get(4).offset() + 1).equals(committed(adminA, "g-lost").get(tp))));
    }

    @Test
    public void aBrokerOutageIsRiddenOut() throws Exception {
        KafkaEventLog log = log("it-outage", new AtomicReference<>(b.brokers()), 2000);
        Collector handler = new Collector();
        log.subscribe("g-outage", handler);
        log.append("acct", bytes("before"));
        Await.until("the record before the outage", WAIT, () -> handler.values().contains("before"));
        Await.until("connected", WAIT, log::connected);

        b.stop();
        try {
            Await.until("not connected while the broker is down", WAIT, () -> !log.connected());
            EventLogException e = assertThrows(EventLogException.class, () -> log.append("acct", bytes("lost")));
            assertTrue(e.getMessage(), e.getMessage().startsWith("append to topic it-outage at " + b.brokers() + " "));
            assertTrue(e.getMessage(), e.getMessage().endsWith("nothing of it will be in the log"));
        } finally {
            b.start();
        }
        Await.until("connected again", WAIT, log::connected);
        LogRecord after = log.append("acct", bytes("after"));
        assertNotEquals(-1, after.offset());
        Await.until("the subscription consumes after the outage", WAIT, () -> handler.values().contains("after"),
                () -> handler.values().toString());
        assertEquals("the append that failed in the outage never surfaces (its transaction was aborted); the others"
                + " are there, in order", List.of("before", "after"), handler.values());
    }
}
