package io.tandem.kafka.broker.internal;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Asks a broker which brokers are alive: one Metadata request (API key 3, version 4, no topics) on a
 * plain socket, so that this bundle needs no Kafka library to tell a serving broker from a process
 * that merely runs. A broker answers only once it has joined the KRaft quorum and registered; the
 * answer lists the brokers the controller considers alive (registered and not fenced).
 */
final class MetadataProbe {

    /**
     * The broker's answer: the live brokers ({@code id@host:port}), the cluster id, and the controller id
     * it gives clients (in KRaft mode any live broker, not the active controller).
     */
    record Answer(List<String> brokers, String clusterId, int controllerId) {
    }

    private static final int CORRELATION_ID = 0x7a4d;
    private static final byte[] CLIENT_ID = "tandem-kafka-probe".getBytes(StandardCharsets.US_ASCII);

    private MetadataProbe() {
    }

    /** @throws IOException when the broker does not answer within {@code timeout} or answers garbage */
    static Answer ask(String host, int port, Duration timeout) throws IOException {
        try (Socket s = new Socket()) {
            int millis = (int) Math.max(1, timeout.toMillis());
            s.connect(new InetSocketAddress(host, port), millis);
            s.setSoTimeout(millis);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            int size = 2 + 2 + 4 + 2 + CLIENT_ID.length + 4 + 1;
            out.writeInt(size);
            out.writeShort(3);            // Metadata
            out.writeShort(4);            // version 4
            out.writeInt(CORRELATION_ID);
            out.writeShort(CLIENT_ID.length);
            out.write(CLIENT_ID);
            out.writeInt(0);              // topics: none
            out.writeBoolean(false);      // allow auto topic creation
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            int length = in.readInt();
            if (length < 16 || length > 16 * 1024 * 1024) {
                throw new IOException("not a Kafka metadata answer (size " + length + ")");
            }
            byte[] body = in.readNBytes(length);
            if (body.length < length) {
                throw new IOException("metadata answer cut short");
            }
            return parse(body);
        }
    }

    static Answer parse(byte[] body) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(body));
        if (in.readInt() != CORRELATION_ID) {
            throw new IOException("metadata answer with another correlation id");
        }
        in.readInt(); // throttle time
        int count = in.readInt();
        if (count < 0 || count > 100_000) {
            throw new IOException("not a Kafka metadata answer (" + count + " brokers)");
        }
        List<String> brokers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int id = in.readInt();
            String host = string(in);
            int port = in.readInt();
            string(in); // rack
            brokers.add(id + "@" + host + ":" + port);
        }
        String clusterId = string(in);
        int controller = in.readInt();
        return new Answer(List.copyOf(brokers), clusterId == null ? "" : clusterId, controller);
    }

    private static String string(DataInputStream in) throws IOException {
        short n = in.readShort();
        if (n < 0) {
            return null;
        }
        return new String(in.readNBytes(n), StandardCharsets.UTF_8);
    }
}
