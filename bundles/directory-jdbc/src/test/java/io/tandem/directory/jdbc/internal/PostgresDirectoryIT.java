package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.DatabaseStatus;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.PostgresFixture;
import io.tandem.jdbc.support.Databases;
import org.junit.Test;

import java.util.List;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.osgi.service.jdbc.DataSourceFactory;

import java.nio.file.Path;

/**
 * The directory contract on a real PostgreSQL server, started by scripts/infra/postgres.sh
 * ({@link PostgresFixture}). Fails (never skips) when the server cannot be started.
 */
public class PostgresDirectoryIT extends DirectoryContract {

    private static PostgresFixture postgres;

    @BeforeClass
    public static void startPostgres() throws Exception {
        postgres = PostgresFixture.start(Path.of("target", "postgres"));
    }

    @AfterClass
    public static void stopPostgres() throws Exception {
        if (postgres != null) {
            postgres.close();
        }
    }

    @Override
    protected String freshDatabase() throws Exception {
        return postgres.createDatabase("dir_");
    }

    @Override
    protected DataSourceFactory driver() {
        return new org.postgresql.osgi.PGDataSourceFactory();
    }

    @Override
    protected String expectedRole() {
        return DatabaseStatus.PRIMARY;
    }

    @Test
    public void aServerThatDoesNotAnswerIsReportedWithTheReasonWithinTheConnectTimeout() throws Exception {
        int port;
        try (java.net.ServerSocket free = new java.net.ServerSocket(0)) {
            port = free.getLocalPort();
        }
        DirectoryComponent nowhere = new DirectoryComponent(List.of(driver()), ConfigProxy.of(DirectoryComponent.Config.class,
                Map.of("jdbc_url", "jdbc:postgresql://127.0.0.1:" + port + "/directory", "connect_timeout_seconds", 1)));
        try {
            long start = System.nanoTime();
            DatabaseStatus s = nowhere.databaseStatus();
            assertFalse(s.reachable());
            assertTrue(s.error(), s.error().contains("127.0.0.1:" + port) || s.error().toLowerCase().contains("refused")
                    || s.error().toLowerCase().contains("connection"));
            assertEquals("jdbc:postgresql://127.0.0.1:" + port + "/directory", s.url());
            assertTrue(System.nanoTime() - start < java.util.concurrent.TimeUnit.SECONDS.toNanos(5));
        } finally {
            nowhere.deactivateForTest();
        }
    }

    /**
     * A server that stops answering on an open connection (here its backend is stopped with SIGSTOP, as a network cut
     * or a failover whose old primary vanished leaves it): the call fails after socket.timeout.seconds instead of
     * waiting for ever with whatever its caller holds.
     */
    @Test
    public void aCallToAServerThatStopsAnsweringFailsAfterTheSocketTimeout() throws Exception {
        Databases.Settings settings = new Databases.Settings("tandem.test", "test", postgres.createDatabase("silent_"), "", "",
                1, 5, 2);
        try (com.zaxxer.hikari.HikariDataSource pool = Databases.open(List.of(driver()), settings);
             java.sql.Connection c = pool.getConnection()) {
            long backend;
            try (java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT pg_backend_pid()")) {
                rs.next();
                backend = rs.getLong(1);
            }
            signal("STOP", backend);
            try {
                java.util.concurrent.CompletableFuture<Throwable> call = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    try (java.sql.ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
                        return null;
                    } catch (java.sql.SQLException e) {
                        return e;
                    }
                });
                // bounded wait for the outcome only: a call without a socket time-out would never end
                Throwable failed = call.get(60, java.util.concurrent.TimeUnit.SECONDS);
                assertTrue("the call failed: " + failed, failed instanceof java.sql.SQLException);
            } finally {
                signal("CONT", backend);
            }
        }
    }

    private static void signal(String signal, long pid) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertEquals("kill -" + signal + " " + pid, 0, p.waitFor());
    }
}
