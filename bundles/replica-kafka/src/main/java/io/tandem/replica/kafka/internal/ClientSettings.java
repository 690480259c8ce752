package io.tandem.replica.kafka.internal;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Kafka client properties of the event log (only compile-time constants of Kafka's config classes are
 * used here, so building them never initialises a Kafka class outside {@link KafkaLoader}).
 *
 * <p>Producer: {@code acks=all}, idempotent, at most 5 requests in flight (order kept per partition),
 * {@code max.block.ms} and {@code delivery.timeout.ms} = the append time-out, so a record is either
 * acknowledged or failed by then; the event log's writes are transactions of a per-node transactional id.
 * Consumer: {@code read_committed}, no auto commit, {@code auto.offset.reset=none} (a missing or lost
 * position is handled by the subscription), and a fetch answered once {@code fetch.min.bytes} are there or
 * {@code fetch.max.wait.ms} passed (fewer, larger fetches: every Mailstore reads every record). Metadata is
 * refreshed every 30 s to see new partitions.
 */
final class ClientSettings {

    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final String METADATA_MAX_AGE_MS = "30000";

    private final int lingerMillis;
    private final String compression;
    private final int maxPollRecords;
    private final int fetchMinBytes;
    private final int fetchMaxWaitMillis;

    ClientSettings(int lingerMillis, String compression, int maxPollRecords, int fetchMinBytes, int fetchMaxWaitMillis) {
        this.lingerMillis = lingerMillis;
        this.compression = compression;
        this.maxPollRecords = maxPollRecords;
        this.fetchMinBytes = fetchMinBytes;
        this.fetchMaxWaitMillis = fetchMaxWaitMillis;
    }

    /** A client id unique in this JVM (Kafka registers an MBean per client id). */
    static String clientId(String purpose) {
        return "tandem-replica-" + purpose + "-" + SEQUENCE.incrementAndGet();
    }

    Properties producer(String bootstrap, String purpose, long timeoutMillis) {
        Properties p = common(bootstrap, purpose);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(lingerMillis));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(timeoutMillis));
        // delivery.timeout.ms must be >= linger.ms + request.timeout.ms
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.max(1, Math.min(30_000, timeoutMillis - lingerMillis))));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(Math.max(timeoutMillis, lingerMillis + 1L)));
        return p;
    }

    /**
     * A producer of the transactional id {@code transactionalId}: every write of a node is a transaction
     * (docs/decisions/0024). {@code transaction.timeout.ms}: how long the brokers keep a transaction of a
     * vanished writer open (and its partitions' {@code read_committed} readers waiting) before aborting it,
     * unless the writer is fenced first.
     */
    Properties transactionalProducer(String bootstrap, String transactionalId, long timeoutMillis, long transactionTimeoutMillis) {
        Properties p = producer(bootstrap, "writer", timeoutMillis);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, Long.toString(transactionTimeoutMillis));
        // a transaction begun right after the previous commit finds the coordinator still writing that one's markers
        // (CONCURRENT_TRANSACTIONS) and retries after min(retry.backoff.ms, 20 ms): 20 ms per transaction, measured
        // as 27 ms per replicated change at 8 writers. 2 ms (growing exponentially up to retry.backoff.max.ms on
        // repeated failures) starts it as soon as the coordinator is done.
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "2");
        return p;
    }

    /** A consumer of {@code group}, or without a group (assign and seek only) when {@code group} is null. */
    Properties consumer(String bootstrap, String group, String purpose) {
        Properties p = common(bootstrap, purpose);
        if (group != null) {
            p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        // only committed transactions: a change its source withdrew is never seen (decision 0024)
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(maxPollRecords));
        p.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, Integer.toString(fetchMinBytes));
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, Integer.toString(fetchMaxWaitMillis));
        return p;
    }

    Properties admin(String bootstrap, String purpose, long timeoutMillis) {
        Properties p = common(bootstrap, purpose);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(timeoutMillis));
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeoutMillis));
        return p;
    }

    private static Properties common(String bootstrap, String purpose) {
        Properties p = new Properties();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId(purpose));
        p.put(CommonClientConfigs.METADATA_MAX_AGE_CONFIG, METADATA_MAX_AGE_MS);
        return p;
    }
}
