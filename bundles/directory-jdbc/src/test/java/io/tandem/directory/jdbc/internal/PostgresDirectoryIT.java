package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.DatabaseStatus;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.PostgresFixture;
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
}
