package io.tandem.replica.kafka.internal;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.Test;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.concurrent.ExecutionException;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

public class FailuresTest {

    @Test
    public void shortReasons() {
        assertEquals("connection refused", Failures.reason(new ConnectException("Connection refused"), 3000));
        assertEquals("timed out after 3000 ms", Failures.reason(new SocketTimeoutException("connect timed out"), 3000));
        assertEquals("timed out after 3000 ms", Failures.reason(new ExecutionException(
                new TimeoutException("Timed out waiting for a node assignment. Call: describeCluster")), 3000));
        assertEquals("timed out after 500 ms", Failures.reason(new java.util.concurrent.TimeoutException(), 500));
        assertEquals("unknown host nowhere.invalid", Failures.reason(new UnknownHostException("nowhere.invalid"), 1));
        assertEquals("no resolvable broker address", Failures.reason(new KafkaException("Failed to construct kafka producer",
                new ConfigException("No resolvable bootstrap urls given in bootstrap.servers")), 1));
        assertTrue(Failures.reason(new ExecutionException(new NotEnoughReplicasException("Messages are rejected since there are fewer in-sync replicas than required.")), 1)
                .startsWith("not enough in-sync replicas ("));
    }

    @Test
    public void detailIsKafkasMessageWithoutWrappers() {
        assertEquals("Topic t not present in metadata after 100 ms.",
                Failures.detail(new ExecutionException(new TimeoutException("Topic t not present in metadata after 100 ms."))));
        assertEquals("IllegalStateException", Failures.detail(new IllegalStateException()));
    }
}
