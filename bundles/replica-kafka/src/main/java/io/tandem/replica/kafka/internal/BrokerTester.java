package io.tandem.replica.kafka.internal;

import io.tandem.api.replication.BrokerCheck;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The connectivity check of {@link io.tandem.api.replication.EventLog#test}: per broker a TCP connect and a
 * metadata request with that broker alone as bootstrap; then a probe record produced to {@value #PROBE_TOPIC}
 * (created when missing, one partition, one hour retention) and read back by assign and seek. Every client is
 * made for the check and closed after it: nothing in use is touched.
 */
final class BrokerTester {

    static final String PROBE_TOPIC = "tandem.probe";
    static final String PROBE = "probe";

    private final ClientSettings settings;

    BrokerTester(ClientSettings settings) {
        this.settings = settings;
    }

    List<BrokerCheck> test(List<String> brokers, Duration timeout) {
        long timeoutMillis = Math.max(1, timeout.toMillis());
        List<BrokerCheck> checks = new ArrayList<>();
        List<String> answering = new ArrayList<>();
        for (String broker : brokers) {
            BrokerCheck check = checkBroker(broker, timeoutMillis);
            checks.add(check);
            if (check.ok()) {
                answering.add(broker);
            }
        }
        if (answering.isEmpty()) {
            checks.add(new BrokerCheck(PROBE, false, 0, brokers.isEmpty() ? "not run: no broker given"
                    : "not run: no broker answered"));
        } else {
            checks.add(probe(String.join(",", answering), timeoutMillis));
        }
        return checks;
    }

    /** TCP connect, then a metadata request (describeCluster) with only this broker as bootstrap. */
    private BrokerCheck checkBroker(String broker, long timeoutMillis) {
        long start = System.nanoTime();
        String host;
        int port;
        try {
            String normalized = BrokerList.normalize(broker);
            if (normalized.isEmpty() || normalized.contains(",")) {
                throw new IllegalArgumentException("'" + broker + "' is not one host:port");
            }
            host = BrokerList.host(normalized);
            port = BrokerList.port(normalized);
        } catch (IllegalArgumentException e) {
            return new BrokerCheck(broker, false, 0, e.getMessage());
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeoutMillis));
        } catch (IOException e) {
            return new BrokerCheck(broker, false, millisSince(start), "TCP: " + Failures.reason(e, timeoutMillis));
        }
        long tcp = millisSince(start);
        Admin admin = null;
        try {
            admin = KafkaLoader.get(() -> Admin.create(settings.admin(broker, "test", timeoutMillis)));
            Admin a = admin;
            String detail = KafkaLoader.call(() -> {
                DescribeClusterResult r = a.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeoutMillis));
                Collection<Node> nodes = r.nodes().get(timeoutMillis, TimeUnit.MILLISECONDS);
                String clusterId = r.clusterId().get(timeoutMillis, TimeUnit.MILLISECONDS);
                Node controller = r.controller().get(timeoutMillis, TimeUnit.MILLISECONDS);
                return "TCP " + tcp + " ms; metadata: cluster " + clusterId + ", " + nodes.size() + " live broker"
                        + (nodes.size() == 1 ? "" : "s") + (controller == null || controller.isEmpty() ? ""
                        : ", controller " + controller.id());
            });
            return new BrokerCheck(broker, true, millisSince(start), detail);
        } catch (Exception e) {
            return new BrokerCheck(broker, false, millisSince(start), "metadata: " + Failures.reason(e, timeoutMillis));
        } finally {
            closeQuietly(admin);
        }
    }

    /** Produce one record to the probe topic, then read it back at its offset. */
    private BrokerCheck probe(String bootstrap, long timeoutMillis) {
        long start = System.nanoTime();
        String step = "create topic " + PROBE_TOPIC;
        Admin admin = null;
        KafkaProducer<String, byte[]> producer = null;
        KafkaConsumer<String, byte[]> consumer = null;
        try {
            admin = KafkaLoader.get(() -> Admin.create(settings.admin(bootstrap, "probe", timeoutMillis)));
            Admin a = admin;
            KafkaLoader.call(() -> Topics.ensure(a, PROBE_TOPIC, 1, Map.of("retention.ms", "3600000"), timeoutMillis));

            step = "produce to " + PROBE_TOPIC;
            byte[] value = ("tandem probe " + UUID.randomUUID()).getBytes(StandardCharsets.UTF_8);
            Properties p = settings.producer(bootstrap, "probe", timeoutMillis);
            producer = KafkaLoader.get(() -> new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer()));
            KafkaProducer<String, byte[]> pr = producer;
            RecordMetadata written = KafkaLoader.call(() -> pr.send(new ProducerRecord<>(PROBE_TOPIC, 0, PROBE, value))
                    .get(timeoutMillis, TimeUnit.MILLISECONDS));

            step = "read back from " + PROBE_TOPIC;
            Properties c = settings.consumer(bootstrap, null, "probe");
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
            consumer = KafkaLoader.get(() -> new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer()));
            KafkaConsumer<String, byte[]> co = consumer;
            TopicPartition tp = new TopicPartition(PROBE_TOPIC, written.partition());
            boolean found = KafkaLoader.call(() -> {
                co.assign(List.of(tp));
                co.seek(tp, written.offset());
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
                while (System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> r : co.poll(Duration.ofMillis(100)).records(tp)) {
                        if (r.offset() == written.offset()) {
                            return Arrays.equals(r.value(), value);
                        }
                    }
                }
                throw new java.util.concurrent.TimeoutException();
            });
            if (!found) {
                return new BrokerCheck(PROBE, false, millisSince(start), "the record read back at " + tp + " offset "
                        + written.offset() + " is not the one written");
            }
            return new BrokerCheck(PROBE, true, millisSince(start), "wrote " + tp + " offset " + written.offset()
                    + " (acks=all) and read it back");
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return new BrokerCheck(PROBE, false, millisSince(start), step + ": " + Failures.reason(e, timeoutMillis));
        } finally {
            closeQuietly(consumer);
            closeQuietly(producer);
            closeQuietly(admin);
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            if (c instanceof KafkaProducer<?, ?> p) {
                p.close(Duration.ofSeconds(1));
            } else if (c instanceof KafkaConsumer<?, ?> k) {
                k.close(Duration.ofSeconds(1));
            } else if (c instanceof Admin a) {
                a.close(Duration.ofSeconds(1));
            } else {
                c.close();
            }
        } catch (Exception e) {
            // a check's own client: nothing to do
        }
    }

    private static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
