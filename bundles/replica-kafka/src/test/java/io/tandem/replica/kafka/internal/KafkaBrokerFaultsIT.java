package io.tandem.replica.kafka.internal;

import io.tandem.api.test.Await;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import io.tandem.api.replication.LogRecord;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.KafkaFixture;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

/**
 * The event log against a real broker that crashes (kill -9, then a restart on the same ports with the same
 * data) or hangs (SIGSTOP, then SIGCONT) while a change is prepared and not yet committed: the commit ends
 * within its bound, a change the log said it discarded never reaches a subscriber, the log takes appends
 * again after the heal and its subscribers resume. The faults are those of the nemesis test's
 * {@code KAFKA_KILL} and {@code KAFKA_PAUSE} (docs/fault-harness.md), here on one broker without a cluster.
 */
public class KafkaBrokerFaultsIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final long APPEND_TIMEOUT_MILLIS = 2000;
    /** The most a commit may wait for the writer (TransactionalWriter#decisionBoundMillis) plus slack. */
    private static final long COMMIT_BOUND_MILLIS = 5 * APPEND_TIMEOUT_MILLIS + 5000 + 5000;

    private static KafkaFixture broker;
    private final List<KafkaEventLog> logs = new ArrayList<>();

    @BeforeClass
    public static void startBroker() throws Exception {
        broker = KafkaFixture.start("kafka-faults");
    }

    @AfterClass
    public static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @After
    public void stopLogs() throws Exception {
        logs.forEach(KafkaEventLog::deactivate);
        if (broker.running()) {
            broker.resume(); // never leave it stopped for the next test
        } else {
            broker.start();
        }
    }

    private KafkaEventLog log(String topic) {
        KafkaEventLog log = new KafkaEventLog("test-node", broker::brokers, ConfigProxy.of(KafkaEventLog.Config.class, Map.of(
                "topic", topic, "partitions", 3, "brokers_poll_ms", 200L, "append_timeout_ms", APPEND_TIMEOUT_MILLIS)),
                KafkaSubscription.Timing.DEFAULT);
        logs.add(log);
        return log;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Collects every value a subscription delivers. */
    private static final class Values implements EventLog.Handler {
        final List<String> values = new CopyOnWriteArrayList<>();

        @Override
        public void handle(List<LogRecord> batch) {
            batch.forEach(r -> values.add(new String(r.value(), StandardCharsets.UTF_8)));
        }

        @Override
        public void positionLost(int partition, long lostOffset, long earliestOffset) {
            values.add("lost " + partition + "@" + lostOffset);
        }
    }

    @Test
    public void aBrokerKilledWhileAChangeIsPreparedComesBackAndTheChangeIsDecidedOnce() throws Exception {
        ridesOut("it-killed", "killed", () -> broker.kill(), () -> broker.start());
    }

    @Test
    public void aBrokerHungWhileAChangeIsPreparedComesBackAndTheChangeIsDecidedOnce() throws Exception {
        // resumed only once the commit ended: the broker was hung for the whole commit, beyond the append time-out
        ridesOut("it-hung", "hung", () -> broker.pause(), () -> broker.resume());
    }

    private interface Action {
        void run() throws Exception;
    }

    private void ridesOut(String topic, String value, Action fault, Action heal) throws Exception {
        KafkaEventLog log = log(topic);
        Values seen = new Values();
        log.subscribe("g-" + topic, seen);
        // the first append of a fresh log creates the topic and its writer: on a loaded machine that can take longer
        // than the append time-out, which is the subject of what follows, not of this set-up
        Await.until("a first append", WAIT, () -> {
            try {
                log.append("acct", bytes("before"));
                return true;
            } catch (EventLogException e) {
                return false;
            }
        }, () -> "not acknowledged");
        Await.until("the record before the fault", WAIT, () -> seen.values.contains("before"));
        Await.until("connected", WAIT, log::connected);

        EventLog.Prepared prepared = log.prepare(Map.of("acct", bytes(value))); // written, invisible until committed
        fault.run();
        boolean committed = false;
        boolean unknown = false;
        long start = System.nanoTime();
        try {
            prepared.commit();
            committed = true;
        } catch (EventLogException e) {
            unknown = e.outcomeUnknown();
        } finally {
            heal.run();
        }
        long took = Duration.ofNanos(System.nanoTime() - start).toMillis();
        assertTrue("the commit took " + took + " ms", took <= COMMIT_BOUND_MILLIS + 3 * APPEND_TIMEOUT_MILLIS);
        assertFalse("a commit confirmed by a broker that was down or hung", committed);

        Await.until("connected again", WAIT, log::connected);
        LogRecord after = appendAgain(log, "after");
        assertNotEquals(-1, after.offset());
        Await.until("the subscription consumes after the fault", WAIT, () -> seen.values.contains("after"), seen.values::toString);
        List<String> expected = unknown && seen.values.contains(value) ? List.of("before", value, "after") : List.of("before", "after");
        assertEquals("outcome " + (unknown ? "unknown" : "discarded") + ": a discarded change never surfaces, nothing is "
                + "delivered twice or lost", expected, seen.values);
    }

    /** Appends once the log takes appends again (the first ones after a restart may still time out). */
    private static LogRecord appendAgain(KafkaEventLog log, String value) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                return log.append("acct", bytes(value));
            } catch (EventLogException e) {
                if (e.outcomeUnknown() || System.nanoTime() > deadline) {
                    throw e;
                }
            }
        }
    }
}
