package io.tandem.replica.kafka.internal;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.Test;

import java.util.Properties;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;

/** The client properties, checked by Kafka's own config classes (which reject inconsistent time-outs). */
public class ClientSettingsTest {

    private final ClientSettings settings = new ClientSettings(1, "lz4", 200, 16384, 5);

    /** Validates like KafkaProducer does (serializers are given as instances there). */
    private static ProducerConfig producerConfig(Properties p) {
        Properties all = new Properties();
        all.putAll(p);
        all.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringSerializer.class);
        all.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArraySerializer.class);
        return new ProducerConfig(all);
    }

    @Test
    public void producerIsDurableIdempotentAndBoundedByTheAppendTimeout() {
        Properties p = settings.producer("k1:9092,k2:9092", "producer", 10_000);
        ProducerConfig c = producerConfig(p);
        assertEquals("-1", String.valueOf(c.getString(ProducerConfig.ACKS_CONFIG))); // all
        assertEquals(true, c.getBoolean(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
        assertEquals(5, (int) c.getInt(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION));
        assertEquals("lz4", c.getString(ProducerConfig.COMPRESSION_TYPE_CONFIG));
        assertEquals(10_000L, (long) c.getLong(ProducerConfig.MAX_BLOCK_MS_CONFIG));
        assertEquals(10_000, (int) c.getInt(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
        assertEquals(9_999, (int) c.getInt(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG));
        assertEquals(java.util.List.of("k1:9092", "k2:9092"), c.getList(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG));
    }

    @Test
    public void shortTimeoutsStayConsistent() {
        Properties p = settings.producer("k1:9092", "probe", 100);
        producerConfig(p);
        assertEquals("99", p.getProperty(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG));
        assertEquals("100", p.getProperty(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG));
    }

    @Test
    public void consumerCommitsItselfAndNeverResetsSilently() {
        Properties p = settings.consumer("k1:9092", "g1", "consumer-g1");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
        ConsumerConfig c = new ConsumerConfig(p);
        assertEquals("g1", c.getString(ConsumerConfig.GROUP_ID_CONFIG));
        assertFalse(c.getBoolean(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG));
        assertEquals("none", c.getString(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG));
        assertEquals(200, (int) c.getInt(ConsumerConfig.MAX_POLL_RECORDS_CONFIG));
        // fewer, larger fetches: answered at 16 KiB or after 5 ms
        assertEquals(16384, (int) c.getInt(ConsumerConfig.FETCH_MIN_BYTES_CONFIG));
        assertEquals(5, (int) c.getInt(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG));
        assertFalse(settings.consumer("k1:9092", null, "probe").containsKey(ConsumerConfig.GROUP_ID_CONFIG));
    }

    @Test
    public void adminAndUniqueClientIds() {
        Properties p = settings.admin("k1:9092", "admin", 3000);
        new AdminClientConfig(p);
        assertEquals("3000", p.getProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG));
        assertNotEquals(p.getProperty(AdminClientConfig.CLIENT_ID_CONFIG),
                settings.admin("k1:9092", "admin", 3000).getProperty(AdminClientConfig.CLIENT_ID_CONFIG));
    }
}
