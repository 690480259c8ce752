package io.tandem.api.test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

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
    private final Thread cleanup;

    private PostgresFixture(Path script, Path dataDir, int port, String baseUrl) {
        this.script = script;
        this.dataDir = dataDir;
        this.port = port;
        this.baseUrl = baseUrl;
        this.cleanup = Scripts.stopAtExit("postgres", this::stopQuietly);
    }

    /** Starts a server with its data in {@code dataDir} (created if new). */
    public static PostgresFixture start(Path dataDir) throws IOException, InterruptedException {
        Path repo = Path.of(System.getProperty("tandem.repo", "../.."));
        Path script = repo.resolve("scripts/infra/postgres.sh");
        Path dir = dataDir.toAbsolutePath();
        int port = Scripts.freePort();
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
        Scripts.stoppedAlready(cleanup);
        run(script.toString(), "stop", dataDir.toString());
    }

    private void stopQuietly() {
        try {
            run(script.toString(), "stop", dataDir.toString());
        } catch (Exception e) {
            System.err.println("could not stop PostgreSQL in " + dataDir + ": " + e);
        }
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

    /**
     * A streaming standby of this server (a base backup into {@code dataDir}, which must not exist or be empty),
     * started on a free port; asynchronous until {@link #synchronousStandbys(boolean)}.
     */
    public PostgresFixture startStandby(Path dataDir) throws IOException, InterruptedException {
        Path dir = dataDir.toAbsolutePath();
        int standbyPort = Scripts.freePort();
        String out = run(script.toString(), "standby", dir.toString(), Integer.toString(standbyPort), Integer.toString(port));
        String url = out.lines().filter(l -> l.startsWith("jdbc:postgresql:")).findFirst()
                .orElseThrow(() -> new AssertionError("postgres.sh standby printed no JDBC URL: " + out));
        return new PostgresFixture(script, dir, standbyPort, url);
    }

    /** This standby becomes a primary ({@code pg_ctl promote}, returns once it takes writes). */
    public void promote() throws IOException, InterruptedException {
        run(script.toString(), "promote", dataDir.toString());
    }

    /** On: a commit on this primary waits until a standby has it ({@code synchronous_standby_names = '*'}); off: it does not. */
    public void synchronousStandbys(boolean on) throws IOException, InterruptedException {
        run(script.toString(), "sync", dataDir.toString(), Integer.toString(port), on ? "on" : "off");
    }

    /**
     * Stops this primary's WAL senders with SIGSTOP: its standbys receive nothing more while it takes commits (an
     * asynchronous standby falls behind; with synchronous standbys a commit waits). Returns their pids.
     */
    public List<Long> pauseWalSenders() throws SQLException, IOException, InterruptedException {
        List<Long> pids = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(baseUrl); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pid FROM pg_stat_replication")) {
            while (rs.next()) {
                pids.add(rs.getLong(1));
            }
        }
        for (long pid : pids) {
            run("kill", "-STOP", Long.toString(pid));
        }
        return pids;
    }

    /** SIGCONT of the processes {@link #pauseWalSenders()} stopped. */
    public void resume(List<Long> pids) throws IOException, InterruptedException {
        for (long pid : pids) {
            run("kill", "-CONT", Long.toString(pid));
        }
    }

    /**
     * A crash of the machine as the server sees it: kill -9 of the postmaster and every process it started, stopped
     * ones included, at once (nothing is shut down, nothing more is sent to a standby). The server is not restarted.
     */
    public void crash() throws IOException, InterruptedException {
        String pid = Files.readAllLines(dataDir.resolve("postmaster.pid"), StandardCharsets.UTF_8).get(0).trim();
        run("bash", "-c", "kill -9 $(pgrep -P " + pid + ") " + pid + "; while kill -0 " + pid + " 2>/dev/null; do sleep 0.05; done");
    }

    /** Until every standby of this primary has replayed everything committed so far (bounded). */
    public void awaitStandbysCaughtUp(Duration timeout) throws SQLException {
        try (Connection c = DriverManager.getConnection(baseUrl); Statement st = c.createStatement()) {
            String lsn;
            try (ResultSet rs = st.executeQuery("SELECT pg_current_wal_lsn()")) {
                rs.next();
                lsn = rs.getString(1);
            }
            Await.until("every standby replayed " + lsn, timeout, () -> {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE replay_lsn >= '" + lsn + "'::pg_lsn), count(*) "
                        + "FROM pg_stat_replication WHERE state = 'streaming'")) {
                    rs.next();
                    return rs.getLong(2) > 0 && rs.getLong(1) == rs.getLong(2);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    /** Whether the server runs ({@code pg_ctl status}). */
    public boolean running() throws IOException, InterruptedException {
        return Scripts.succeeds(script.toString(), "status", dataDir.toString());
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        return Scripts.run(cmd);
    }
}
