package io.tandem.api.test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL server for integration tests, started and stopped by {@code scripts/infra/postgres.sh}
 * on a free port. Fails (never skips) when the server cannot be started. The repository root comes from the
 * system property {@code tandem.repo} (set by failsafe), else {@code ../..}; the PostgreSQL JDBC driver
 * must be on the test classpath.
 */
public final class PostgresFixture implements AutoCloseable {

    private final Path script;
    private final Path dataDir;
    private final int port;
    private final String baseUrl;

    private PostgresFixture(Path script, Path dataDir, int port, String baseUrl) {
        this.script = script;
        this.dataDir = dataDir;
        this.port = port;
        this.baseUrl = baseUrl;
    }

    /** Starts a server with its data in {@code dataDir} (created if new). */
    public static PostgresFixture start(Path dataDir) throws IOException, InterruptedException {
        Path repo = Path.of(System.getProperty("tandem.repo", "../.."));
        Path script = repo.resolve("scripts/infra/postgres.sh");
        Path dir = dataDir.toAbsolutePath();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String out = run(script.toString(), "start", dir.toString(), Integer.toString(port));
        String url = out.lines().filter(l -> l.startsWith("jdbc:postgresql:")).findFirst()
                .orElseThrow(() -> new AssertionError("postgres.sh printed no JDBC URL: " + out));
        return new PostgresFixture(script, dir, port, url);
    }

    /** The URL of the server's {@code tandem} database (user postgres, trust authentication). */
    public String baseUrl() {
        return baseUrl;
    }

    public int port() {
        return port;
    }

    /** The server's data directory (its log is {@code server.log} in it). */
    public Path dataDir() {
        return dataDir;
    }

    /** Creates an empty database named {@code prefix} + a random suffix and returns its JDBC URL. */
    public String createDatabase(String prefix) throws SQLException {
        String db = prefix + UUID.randomUUID().toString().replace("-", "");
        try (Connection c = DriverManager.getConnection(baseUrl); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + db);
        }
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db + "?user=postgres";
    }

    /** Stops the server (fast shutdown). */
    @Override
    public void close() throws IOException, InterruptedException {
        run(script.toString(), "stop", dataDir.toString());
    }

    /**
     * Stops the server the crash-like way ({@code pg_ctl stop -m immediate}: no checkpoint, open connections cut);
     * {@link #restart()} brings it back, recovering from its WAL.
     */
    public void stopImmediately() throws IOException, InterruptedException {
        run(script.toString(), "stop", dataDir.toString(), "immediate");
    }

    /** Starts the server again on the same port with the same data (after {@link #stopImmediately()} or {@link #close()}). */
    public void restart() throws IOException, InterruptedException {
        String out = run(script.toString(), "start", dataDir.toString(), Integer.toString(port));
        if (out.lines().noneMatch(baseUrl::equals)) {
            throw new AssertionError("postgres.sh restarted with another URL than " + baseUrl + ": " + out);
        }
    }

    /** Whether the server runs ({@code pg_ctl status}). */
    public boolean running() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(script.toString(), "status", dataDir.toString()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("pg", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", cmd) + " did not finish in 180 s");
            }
            String text = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + text);
            }
            return text;
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
