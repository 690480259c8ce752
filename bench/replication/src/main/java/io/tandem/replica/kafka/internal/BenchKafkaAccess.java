package io.tandem.replica.kafka.internal;

import io.tandem.api.replication.EventLog;

import java.util.Properties;

/**
 * Benchmark access to package-private parts of the Kafka event log: the producer properties it uses
 * ({@link ClientSettings}, so the raw-Kafka baseline runs with exactly the same settings) and its stop.
 */
public final class BenchKafkaAccess {

    private BenchKafkaAccess() {
    }

    /** The event log's producer properties (acks=all, idempotent, in-flight 5, linger, compression, time-outs). */
    public static Properties producerProperties(String brokers, int lingerMillis, String compression, long timeoutMillis) {
        return new ClientSettings(lingerMillis, compression, 500, 16384, 5).producer(brokers, "bench-raw", timeoutMillis);
    }

    /** What DS does when the component stops: subscriptions closed, producer and admin client closed. */
    public static void deactivate(EventLog log) {
        ((KafkaEventLog) log).deactivate();
    }
}
