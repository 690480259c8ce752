package io.tandem.kafka.broker.internal;

import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * The metadata request on the wire and the parsing of an answer, against a socket server that checks
 * the request bytes and answers like a broker (the probe against real brokers: EmbeddedKafkaIT).
 */
public class MetadataProbeTest {

    @Test
    public void sendsAMetadataV4RequestAndReadsTheLiveBrokers() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            byte[][] request = new byte[1][];
            Thread broker = new Thread(() -> {
                try (Socket s = server.accept()) {
                    InputStream in = s.getInputStream();
                    int size = new java.io.DataInputStream(in).readInt();
                    request[0] = in.readNBytes(size);
                    s.getOutputStream().write(answer(0x7a4d, List.of(new int[]{1}, new int[]{3}), "MkU3OEVBNTcwNTJENDM2Qk", 3));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            broker.start();
            MetadataProbe.Answer a = MetadataProbe.ask("127.0.0.1", server.getLocalPort(), Duration.ofSeconds(5));
            broker.join(5000);
            assertEquals(List.of("1@h1:9092", "3@h3:9092"), a.brokers());
            assertEquals("MkU3OEVBNTcwNTJENDM2Qk", a.clusterId());
            assertEquals(3, a.controllerId());
            ByteArrayOutputStream want = new ByteArrayOutputStream();
            DataOutputStream w = new DataOutputStream(want);
            w.writeShort(3);
            w.writeShort(4);
            w.writeInt(0x7a4d);
            w.writeShort(18);
            w.write("tandem-kafka-probe".getBytes(StandardCharsets.US_ASCII));
            w.writeInt(0);
            w.writeBoolean(false);
            assertArrayEquals(want.toByteArray(), request[0]);
        }
    }

    @Test
    public void refusesAnAnswerToAnotherRequest() {
        IOException e = assertThrows(IOException.class, () -> MetadataProbe.parse(
                java.util.Arrays.copyOfRange(answer(1, List.of(), null, -1), 4, answer(1, List.of(), null, -1).length)));
        assertTrue(e.getMessage(), e.getMessage().contains("correlation id"));
    }

    @Test
    public void aClosedPortIsAnError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        assertThrows(IOException.class, () -> MetadataProbe.ask("127.0.0.1", port, Duration.ofSeconds(2)));
    }

    /** A Metadata v4 answer (size-prefixed): brokers h{id}:9092, no rack, the cluster id, the controller, no topic. */
    private static byte[] answer(int correlation, List<int[]> brokers, String clusterId, int controller) {
        try {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            DataOutputStream b = new DataOutputStream(body);
            b.writeInt(correlation);
            b.writeInt(0);
            b.writeInt(brokers.size());
            for (int[] id : brokers) {
                b.writeInt(id[0]);
                byte[] host = ("h" + id[0]).getBytes(StandardCharsets.UTF_8);
                b.writeShort(host.length);
                b.write(host);
                b.writeInt(9092);
                b.writeShort(-1);
            }
            if (clusterId == null) {
                b.writeShort(-1);
            } else {
                b.writeShort(clusterId.length());
                b.write(clusterId.getBytes(StandardCharsets.UTF_8));
            }
            b.writeInt(controller);
            b.writeInt(0);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            DataOutputStream a = new DataOutputStream(all);
            a.writeInt(body.size());
            a.write(body.toByteArray());
            return all.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
