package io.tandem.api.test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * A real Kafka cluster of several nodes (KRaft, each node broker and controller in one JVM, all of them
 * voters) for the ITs, run by {@code scripts/infra/kafka.sh} as {@link KafkaFixture} runs one node: on free
 * ports of 127.0.0.1, with each node's state under {@code tandem.it.dir}/{@code name}-{@code port}/node-{@code id}.
 * A node can be stopped and started again (same ports, same data); the quorum keeps working while a majority
 * of the nodes runs. Every failure to start throws with the end of the node's log.
 */
public final class KafkaClusterFixture implements AutoCloseable {

    /** One node: its id (1..n), client port, controller port and state directory. */
    public record Node(int id, int port, int controllerPort, Path dir) {

        public String broker() {
            return "127.0.0.1:" + port;
        }
    }

    public final Path dir;
    private final Path script;
    private final List<Node> nodes;
    private final Map<String, String> environment;
    private final Thread cleanup;

    private KafkaClusterFixture(Path script, Path dir, List<Node> nodes, int internalReplicationFactor) {
        this.script = script;
        this.dir = dir;
        this.nodes = List.copyOf(nodes);
        this.environment = Map.of(
                "KAFKA_QUORUM_VOTERS", nodes.stream().map(n -> n.id() + "@127.0.0.1:" + n.controllerPort()).collect(Collectors.joining(",")),
                "KAFKA_INTERNAL_RF", Integer.toString(internalReplicationFactor));
        this.cleanup = Scripts.stopAtExit("kafka-cluster", this::stopQuietly);
    }

    /** {@link #start(String, int, int)} with internal topics of replication factor 1 (as {@link KafkaFixture}'s). */
    public static KafkaClusterFixture start(String name, int size) throws IOException, InterruptedException {
        return start(name, size, 1);
    }

    /**
     * Starts {@code size} nodes of one cluster on free ports, concurrently (a node answers only once a majority
     * of the voters runs), and returns when every broker answers.
     *
     * @param internalReplicationFactor of {@code __consumer_offsets} and {@code __transaction_state}: Kafka
     *                                  creates them when first needed, and only while that many brokers are live
     */
    public static KafkaClusterFixture start(String name, int size, int internalReplicationFactor) throws IOException, InterruptedException {
        if (size < 1 || internalReplicationFactor < 1 || internalReplicationFactor > size) {
            throw new IllegalArgumentException("size " + size + ", internal replication factor " + internalReplicationFactor);
        }
        Path script = Scripts.script("tandem.kafka.script");
        Set<Integer> ports = new HashSet<>();
        while (ports.size() < 2 * size) {
            ports.add(Scripts.freePort());
        }
        List<Integer> free = new ArrayList<>(ports);
        Path dir = Scripts.itDir().resolve(name + "-" + free.get(0));
        // one cluster id for every node: each formats its storage with it at its first start
        byte[] id = new byte[16];
        new SecureRandom().nextBytes(id);
        String clusterId = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
        clusterId = clusterId.startsWith("-") ? "A" + clusterId.substring(1) : clusterId;
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            Node n = new Node(i + 1, free.get(2 * i), free.get(2 * i + 1), dir.resolve("node-" + (i + 1)));
            Files.createDirectories(n.dir());
            Files.writeString(n.dir().resolve("cluster.id"), clusterId);
            nodes.add(n);
        }
        KafkaClusterFixture cluster = new KafkaClusterFixture(script, dir, nodes, internalReplicationFactor);
        ExecutorService starters = Executors.newFixedThreadPool(size);
        try {
            List<Future<?>> started = new ArrayList<>();
            for (Node n : nodes) {
                started.add(starters.submit(() -> {
                    cluster.start(n.id());
                    return null;
                }));
            }
            for (Future<?> f : started) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof IOException io) {
                        throw io;
                    }
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new IllegalStateException(cause);
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        } finally {
            starters.shutdownNow();
        }
        return cluster;
    }

    public List<Node> nodes() {
        return nodes;
    }

    public Node node(int id) {
        return nodes.get(id - 1);
    }

    /** The bootstrap servers: every node's {@code 127.0.0.1:port}, comma separated. */
    public String brokers() {
        return nodes.stream().map(Node::broker).collect(Collectors.joining(","));
    }

    /** Starts node {@code id} (again after {@link #stop(int)}: same ports, same data); returns when it answers. */
    public void start(int id) throws IOException, InterruptedException {
        Node n = node(id);
        String out = run(n, "start", n.dir().toString(), Integer.toString(n.port()), Integer.toString(n.controllerPort()));
        if (!out.lines().anyMatch(l -> l.equals("KAFKA_BROKERS=" + n.broker()))) {
            throw new IllegalStateException("kafka.sh start printed no KAFKA_BROKERS=" + n.broker() + ":\n" + out);
        }
    }

    /** Stops node {@code id} (SIGTERM, bounded: a controlled shutdown); its data stays. */
    public void stop(int id) throws IOException, InterruptedException {
        Node n = node(id);
        run(n, "stop", n.dir().toString());
    }

    public boolean running(int id) throws IOException, InterruptedException {
        return Scripts.succeeds(script.toString(), "status", node(id).dir().toString());
    }

    /** The last {@code lines} lines of node {@code id}'s log ("" when there is none). */
    public String logTail(int id, int lines) {
        return Scripts.tail(node(id).dir().resolve("kafka.log"), lines);
    }

    @Override
    public void close() {
        stopQuietly();
        Scripts.stoppedAlready(cleanup);
    }

    private void stopQuietly() {
        for (Node n : nodes) {
            try {
                stop(n.id());
            } catch (Exception e) {
                System.err.println("could not stop Kafka in " + n.dir() + ": " + e);
            }
        }
    }

    /** Runs the script for a node; its stdout, or fails with all its output and the end of the node's log. */
    private String run(Node n, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(script.toString());
        command.addAll(List.of(args));
        Map<String, String> env = new java.util.HashMap<>(environment);
        env.put("KAFKA_NODE_ID", Integer.toString(n.id()));
        return Scripts.run(env, () -> "--- end of " + n.dir().resolve("kafka.log") + ":\n" + logTail(n.id(), 40), command);
    }
}
