package io.tandem.api.test;

import java.io.IOException;
import java.time.Duration;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real single-node Kafka (KRaft) for the ITs, run by {@code scripts/infra/kafka.sh} (system property
 * {@code tandem.kafka.script}, set by the pom) on free ports, with its state under {@code tandem.it.dir}.
 * Every failure to start throws with the end of the broker's log: the tests fail loudly, they are never
 * skipped. The broker's jars are fetched by the script the first time (into
 * {@code $TANDEM_INFRA_CACHE}, through {@code $TANDEM_MAVEN_REPO_LOCAL} when set).
 */
public final class KafkaFixture implements AutoCloseable {

    public final Path dir;
    public final int port;
    public final int controllerPort;
    private final Path script;
    private final Thread cleanup;

    private KafkaFixture(Path script, Path dir, int port, int controllerPort) {
        this.script = script;
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
        this.cleanup = Scripts.stopAtExit("kafka", this::stopQuietly);
    }

    /** Starts a broker on free ports with its state under {@code tandem.it.dir}/{@code name}-{@code port}. */
    public static KafkaFixture start(String name) throws IOException, InterruptedException {
        Path script = Scripts.script("tandem.kafka.script");
        int port = Scripts.freePort();
        int controllerPort = Scripts.freePort();
        while (controllerPort == port) {
            controllerPort = Scripts.freePort();
        }
        Path dir = Scripts.itDir().resolve(name + "-" + port);
        KafkaFixture kafka = new KafkaFixture(script, dir, port, controllerPort);
        try {
            kafka.start();
        } catch (IOException | InterruptedException | RuntimeException e) {
            kafka.close();
            throw e;
        }
        return kafka;
    }

    /** The bootstrap servers ({@code 127.0.0.1:port}). */
    public String brokers() {
        return "127.0.0.1:" + port;
    }

    /** Starts the broker again after {@link #stop()}, on the same ports with the same data. */
    public void start() throws IOException, InterruptedException {
        String out = run("start", dir.toString(), Integer.toString(port), Integer.toString(controllerPort));
        if (!out.lines().anyMatch(l -> l.equals("KAFKA_BROKERS=" + brokers()))) {
            throw new IllegalStateException("kafka.sh start printed no KAFKA_BROKERS=" + brokers() + ":\n" + out);
        }
    }

    /** Stops the broker (SIGTERM, bounded); its data stays in {@link #dir}. */
    public void stop() throws IOException, InterruptedException {
        run("stop", dir.toString());
    }

    public boolean running() throws IOException, InterruptedException {
        return Scripts.succeeds(script.toString(), "status", dir.toString());
    }

    /**
     * kill -9 of the broker (a crash: no clean shutdown, its data stays in {@link #dir}); returns once the
     * process is gone (bounded: 60 s). {@link #start()} brings it back on the same ports with the same data.
     */
    public void kill() throws IOException, InterruptedException {
        signal("KILL", pid());
        // an orphan is reaped by init a moment after it died: until then it still "runs"
        Await.until("Kafka in " + dir + " gone after kill -9", Duration.ofSeconds(60), Duration.ofMillis(100), () -> {
            try {
                return !running();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }, () -> "");
    }

    /** SIGSTOP of the broker: its connections stay open, nothing answers until {@link #resume()}. */
    public void pause() throws IOException, InterruptedException {
        signal("STOP", pid());
    }

    /** SIGCONT of the broker (a no-op when it was not paused). */
    public void resume() throws IOException, InterruptedException {
        signal("CONT", pid());
    }

    /** The broker's process id; fails when it is not running. */
    private long pid() throws IOException, InterruptedException {
        return Long.parseLong(run("status", dir.toString()).trim());
    }

    private void signal(String name, long pid) throws IOException, InterruptedException {
        Scripts.signal(name, pid, "Kafka in " + dir);
    }

    /** The last {@code lines} lines of the broker's log ("" when there is none). */
    public String logTail(int lines) {
        return Scripts.tail(dir.resolve("kafka.log"), lines);
    }

    @Override
    public void close() {
        stopQuietly();
        Scripts.stoppedAlready(cleanup);
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (Exception e) {
            System.err.println("could not stop Kafka in " + dir + ": " + e);
        }
    }

    /** Runs the script; its stdout, or fails with all its output and the end of the broker's log. */
    private String run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(script.toString());
        command.addAll(List.of(args));
        return Scripts.run(Map.of(), () -> "--- end of " + dir.resolve("kafka.log") + ":\n" + logTail(40), command);
    }
}
