package io.tandem.replica.kafka.internal;

import io.tandem.api.test.Scripts;
import io.tandem.api.test.Await;
import io.tandem.api.replication.BrokerCheck;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import io.tandem.api.test.ConfigProxy;
import org.junit.After;
import org.junit.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The component without a broker: configuration, disabled and invalid brokers, unreachable brokers. */
public class KafkaEventLogTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private KafkaEventLog log;

    static KafkaEventLog.Config config(Map<String, ?> values) {
        return ConfigProxy.of(KafkaEventLog.Config.class, values);
    }

    private KafkaEventLog start(AtomicReference<String> brokers, Map<String, ?> values) {
        Map<String, Object> all = new HashMap<>(Map.of("brokers_poll_ms", 100L, "append_timeout_ms", 1000L));
        all.putAll(values);
        log = new KafkaEventLog("test-node", brokers::get, config(all), KafkaSubscription.Timing.DEFAULT);
        return log;
    }

    @After
    public void stop() {
        if (log != null) {
            log.deactivate();
        }
    }

    @Test
    public void invalidConfigurationFailsActivationNamingPidKeyAndValue() {
        Map<Map<String, Object>, String> cases = Map.of(
                Map.of("topic", "mail events"), "tandem.replication.kafka: topic = 'mail events' must be 1..249 letters, digits, '.', '_' or '-'",
                Map.of("partitions", 0), "tandem.replication.kafka: partitions = 0 must be 1..10000",
                Map.of("append_timeout_ms", 5L), "tandem.replication.kafka: append.timeout.ms = 5 must be 100..600000",
                Map.of("brokers_poll_ms", 0L), "tandem.replication.kafka: brokers.poll.ms = 0 must be 100..600000",
                Map.of("compression", "zstd"), "tandem.replication.kafka: compression = 'zstd' must be lz4 or none",
                Map.of("linger_ms", 500), "tandem.replication.kafka: linger.ms = 500 must be 0..100",
                Map.of("max_poll_records", 0), "tandem.replication.kafka: max.poll.records = 0 must be 1..100000",
                Map.of("fetch_min_bytes", 0), "tandem.replication.kafka: fetch.min.bytes = 0 must be 1..1048576",
                Map.of("fetch_max_wait_ms", 501), "tandem.replication.kafka: fetch.max.wait.ms = 501 must be 0..500");
        cases.forEach((values, message) -> assertEquals(message, assertThrows(IllegalArgumentException.class,
                () -> new KafkaEventLog("test-node", () -> "", config(values), KafkaSubscription.Timing.DEFAULT)).getMessage()));
    }

    @Test
    public void disabledWhileTheGlobalIsBlank() {
        start(new AtomicReference<>("  "), Map.of());
        assertFalse(log.enabled());
        assertFalse(log.connected());
        assertEquals("", log.brokers());
        assertEquals("tandem.mailbox-events", log.topic());
        EventLogException e = assertThrows(EventLogException.class, () -> log.append("k", new byte[1]));
        assertEquals("replication is disabled: the global 'brokers' is not set (global:set brokers host:9092,...)", e.getMessage());
    }

    @Test
    public void anInvalidGlobalIsReportedByAppend() {
        start(new AtomicReference<>("kafka1:9092,kafka2"), Map.of());
        assertTrue(log.enabled());
        assertFalse(log.connected());
        EventLogException e = assertThrows(EventLogException.class, () -> log.append("k", new byte[1]));
        assertEquals("replication is not available: the global 'brokers' is invalid: 'kafka2' is not host:port (port 1..65535)",
                e.getMessage());
    }

    @Test
    public void aGlobalSetLaterIsPickedUpAndAnUnreachableBrokerTimesOutTheAppend() throws Exception {
        AtomicReference<String> brokers = new AtomicReference<>("");
        start(brokers, Map.of());
        int closed = Scripts.freePort(); // nothing listens there
        brokers.set(" 127.0.0.1:" + closed + " ");
        Await.until("the new brokers in use", WAIT, () -> log.brokers().equals("127.0.0.1:" + closed));
        assertTrue(log.enabled());
        assertFalse(log.connected());

        long start = System.nanoTime();
        EventLogException e = assertThrows(EventLogException.class,
                () -> log.append("acct", "x".getBytes(StandardCharsets.UTF_8)));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(e.getMessage(), e.getMessage().startsWith(
                "append to topic tandem.mailbox-events at 127.0.0.1:" + closed + " failed: timed out after 1000 ms"));
        assertTrue(e.getMessage(), e.getMessage().endsWith("nothing was appended"));
        assertTrue("append bounded by append.timeout.ms: " + millis + " ms", millis < 3000);
        assertEquals("no Kafka type leaves the bundle", null, e.getCause());

        brokers.set("");
        Await.until("disabled again", WAIT, () -> !log.enabled());
        assertEquals(KafkaEventLog.DISABLED, assertThrows(EventLogException.class, () -> log.append("k", new byte[0])).getMessage());
    }

    @Test
    public void testNamesAnUnreachableBrokerAndSkipsTheProbe() throws Exception {
        start(new AtomicReference<>(""), Map.of());
        int closed = Scripts.freePort();
        List<BrokerCheck> checks = log.test(List.of("127.0.0.1:" + closed, "nonsense"), Duration.ofSeconds(2));
        assertEquals(3, checks.size());
        assertEquals("127.0.0.1:" + closed, checks.get(0).target());
        assertFalse(checks.get(0).ok());
        assertEquals("TCP: connection refused", checks.get(0).detail());
        assertEquals(new BrokerCheck("nonsense", false, 0, "'nonsense' is not host:port (port 1..65535)"), checks.get(1));
        assertEquals(new BrokerCheck("probe", false, 0, "not run: no broker answered"), checks.get(2));
    }

    @Test
    public void subscriptionsWaitWhileDisabledAndStopWithTheComponent() {
        start(new AtomicReference<>(""), Map.of());
        EventLog.Subscription s = log.subscribe("g1", batch -> { });
        assertEquals(-1, s.lag());
        assertEquals(1, log.subscriptionCount());
        s.close();
        assertEquals(0, log.subscriptionCount());
        log.subscribe("g2", batch -> { });
        long start = System.nanoTime();
        log.deactivate();
        log = null;
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 3000);
    }
}
