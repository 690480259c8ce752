package io.tandem.replica.kafka.internal;

import io.tandem.api.replication.EventLog;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.EventLogContract;
import io.tandem.api.test.KafkaFixture;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.BeforeClass;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The event log contract on the Kafka adapter against one real broker (KRaft, started by
 * scripts/infra/kafka.sh), with short subscription timings: the in-memory log of the unit tests
 * ({@code MemoryEventLog}) passes the same tests. Every test's topic is made before its log (see
 * {@link #createTopic}).
 */
public class KafkaEventLogContractIT extends EventLogContract {

    /** Polls of 100 ms, back-off 100..200 ms: retries within the tests' waits. */
    private static final KafkaSubscription.Timing TIMING = new KafkaSubscription.Timing(Duration.ofMillis(100), 100, 200,
            Duration.ofSeconds(10), 15_000);

    private static KafkaFixture kafka;
    private static Admin admin;

    private final List<KafkaEventLog> logs = new ArrayList<>();

    @BeforeClass
    public static void startBroker() throws Exception {
        kafka = KafkaFixture.start("kafka-contract");
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.brokers()));
    }

    @AfterClass
    public static void stopBroker() {
        for (AutoCloseable c : new AutoCloseable[] {admin, kafka}) {
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

    @Override
    protected EventLog newLog(String topic) throws Exception {
        String brokers = kafka.brokers();
        KafkaEventLog log = new KafkaEventLog("test-node", () -> brokers, ConfigProxy.of(KafkaEventLog.Config.class, Map.of(
                "topic", topic, "partitions", 3, "brokers_poll_ms", 200L, "append_timeout_ms", 10_000L)), TIMING);
        logs.add(log);
        return log;
    }

    @Override
    protected EventLog writerOf(EventLog log, String node) {
        String brokers = kafka.brokers();
        KafkaEventLog other = new KafkaEventLog(node, () -> brokers, ConfigProxy.of(KafkaEventLog.Config.class, Map.of(
                "topic", log.topic(), "partitions", 3, "brokers_poll_ms", 200L, "append_timeout_ms", 10_000L)), TIMING);
        logs.add(other);
        return other;
    }

    @Override
    protected void deleteRecordsBefore(EventLog log, int partition, long offset) throws Exception {
        admin.deleteRecords(Map.of(new TopicPartition(log.topic(), partition), RecordsToDelete.beforeOffset(offset)))
                .all().get(10, TimeUnit.SECONDS);
    }
}
