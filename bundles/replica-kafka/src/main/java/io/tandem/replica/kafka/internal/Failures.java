package io.tandem.replica.kafka.internal;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.NotEnoughReplicasAfterAppendException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * Short, readable reasons for failures of Kafka calls ("connection refused", "timed out after 3000 ms"),
 * for exception messages and {@code BrokerCheck} details. Built from exception types and Kafka's own
 * messages, which name topics, partitions and brokers but never credentials.
 */
final class Failures {

    private Failures() {
    }

    /** The exception that says what went wrong (without the ExecutionException / KafkaException wrappers). */
    static Throwable root(Throwable t) {
        Throwable e = t;
        while (e.getCause() != null && e.getCause() != e
                && (e instanceof ExecutionException || e instanceof CompletionException
                        || (e.getClass() == KafkaException.class))) {
            e = e.getCause();
        }
        return e;
    }

    /** Whether the failure is a time-out (Kafka's, the JDK's or a socket's). */
    static boolean timeout(Throwable t) {
        Throwable e = root(t);
        return e instanceof org.apache.kafka.common.errors.TimeoutException
                || e instanceof java.util.concurrent.TimeoutException
                || e instanceof SocketTimeoutException;
    }

    /** A short reason; time-outs read "timed out after {@code timeoutMillis} ms". */
    static String reason(Throwable t, long timeoutMillis) {
        Throwable e = root(t);
        if (timeout(e)) {
            return "timed out after " + timeoutMillis + " ms";
        }
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        if (e instanceof NoRouteToHostException) {
            return "no route to host";
        }
        if (e instanceof UnknownHostException) {
            return "unknown host " + e.getMessage();
        }
        if (e instanceof ConfigException && String.valueOf(e.getMessage()).contains("resolvable bootstrap")) {
            return "no resolvable broker address";
        }
        if (e instanceof NotEnoughReplicasException || e instanceof NotEnoughReplicasAfterAppendException) {
            return "not enough in-sync replicas (" + e.getMessage() + ")";
        }
        if (e instanceof UnknownTopicOrPartitionException) {
            return "unknown topic or partition";
        }
        if (e instanceof InterruptedException) {
            return "interrupted";
        }
        return detail(e);
    }

    /** Kafka's own message of the root failure, or its type when it has none. */
    static String detail(Throwable t) {
        Throwable e = root(t);
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message.strip();
    }
}
