package io.tandem.jdbc.support;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class DatabasesTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private static Databases.Settings settings(String url, int pool, int timeout) {
        return new Databases.Settings("tandem.test", "test", url, "", "", pool, timeout, 60);
    }

    /** A PostgreSQL URL gets the driver's time-outs unless it sets them; no other URL is touched. */
    @Test
    public void aPostgresUrlWaitsForAnAnswerAtMostTheSocketTimeout() {
        assertEquals("jdbc:postgresql://db:5432/tandem?connectTimeout=10&socketTimeout=60&tcpKeepAlive=true",
                Databases.bounded("jdbc:postgresql://db:5432/tandem", 10, 60));
        assertEquals("jdbc:postgresql://db/t?sslmode=require&SocketTimeout=5&connectTimeout=10&tcpKeepAlive=true",
                Databases.bounded("jdbc:postgresql://db/t?sslmode=require&SocketTimeout=5", 10, 60));
        assertEquals("0: for ever", "jdbc:postgresql://db/t?connectTimeout=3&tcpKeepAlive=true", Databases.bounded("jdbc:postgresql://db/t?", 3, 0));
        assertEquals("jdbc:h2:mem:x", Databases.bounded("jdbc:h2:mem:x", 10, 60));
        IllegalArgumentException e = org.junit.Assert.assertThrows(IllegalArgumentException.class, () -> Databases.open(List.of(),
                new Databases.Settings("tandem.test", "test", "jdbc:h2:mem:x", "", "", 1, 10, -1)));
        assertEquals("tandem.test: socket.timeout.seconds = -1 must be >= 0", e.getMessage());
    }

    @Test
    public void opensAPoolOnTheMatchingDriver() throws Exception {
        try (HikariDataSource ds = Databases.open(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                settings("jdbc:h2:mem:" + UUID.randomUUID(), 2, 5));
             Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery("SELECT 41 + 1")) {
            assertTrue(rs.next());
            assertEquals(42, rs.getInt(1));
        }
    }

    @Test
    public void badSettingsAreRefusedNamingPidKeyAndValue() {
        List<org.osgi.service.jdbc.DataSourceFactory> drivers = List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver()));
        assertMessage(() -> Databases.open(drivers, settings("jdbc:mysql://x/db?password=secret", 2, 5)),
                "tandem.test: jdbc.url = 'jdbc:mysql://x/db?password=***' is not supported");
        assertMessage(() -> Databases.open(drivers, settings("jdbc:h2:mem:x", 0, 5)), "tandem.test: pool.size = 0 must be >= 1");
        assertMessage(() -> Databases.open(drivers, settings("jdbc:h2:mem:x", 1, 0)), "connect.timeout.seconds = 0");
        assertMessage(() -> Databases.open(drivers, settings(" ", 1, 1)), "tandem.test: jdbc.url is empty");
        IllegalStateException missing = assertThrows(IllegalStateException.class,
                () -> Databases.open(drivers, settings("jdbc:postgresql://127.0.0.1/db", 1, 1)));
        assertTrue(missing.getMessage(), missing.getMessage().contains("no JDBC driver org.postgresql.Driver is installed"));
    }

    @Test
    public void karafDataIsResolvedInUrls() {
        String previous = System.getProperty("karaf.data");
        try {
            System.setProperty("karaf.data", "/var/tandem/data");
            assertEquals("jdbc:h2:file:/var/tandem/data/x", Databases.resolve("p", "jdbc:h2:file:${karaf.data}/x"));
            System.clearProperty("karaf.data");
            assertMessage(() -> Databases.resolve("p", "jdbc:h2:file:${karaf.data}/x"), "uses ${karaf.data}, which is not set");
        } finally {
            if (previous != null) {
                System.setProperty("karaf.data", previous);
            }
        }
    }

    @Test
    public void anEmbeddedH2DatabaseCommitsWithoutWriteDelay() {
        assertEquals("jdbc:h2:file:/d/x;WRITE_DELAY=0", Databases.durable("p", "jdbc:h2:file:/d/x"));
        assertEquals("jdbc:h2:file:/d/x;LOCK_TIMEOUT=10000;WRITE_DELAY=0", Databases.durable("p", "jdbc:h2:file:/d/x;LOCK_TIMEOUT=10000"));
        assertEquals("jdbc:h2:/d/x;AUTO_SERVER=TRUE;WRITE_DELAY=0", Databases.durable("p", "jdbc:h2:/d/x;AUTO_SERVER=TRUE"));
        assertEquals("jdbc:h2:./x;WRITE_DELAY=0", Databases.durable("p", "jdbc:h2:./x"));
        // an explicit 0 is kept as written, in any case
        for (String url : List.of("jdbc:h2:file:/d/x;WRITE_DELAY=0", "jdbc:h2:file:/d/x;write_delay=0;AUTO_SERVER=TRUE",
                "jdbc:h2:/d/x;Write_Delay=0")) {
            assertEquals(url, Databases.durable("p", url));
        }
        // not embedded files: memory, an H2 server's database (its own setting decides), PostgreSQL
        for (String url : List.of("jdbc:h2:mem:x;DB_CLOSE_DELAY=-1", "jdbc:h2:tcp://db1/~/x", "jdbc:h2:ssl://db1/~/x;WRITE_DELAY=500",
                "jdbc:postgresql://db1:5432/tandem")) {
            assertEquals(url, Databases.durable("p", url));
        }
    }

    @Test
    public void aWriteDelayIsRefusedNamingPidKeyAndValue() {
        assertMessage(() -> Databases.durable("tandem.mailstore.db", "jdbc:h2:file:/d/mailboxes;LOCK_TIMEOUT=10000;WRITE_DELAY=500"),
                "tandem.mailstore.db: jdbc.url = 'jdbc:h2:file:/d/mailboxes;LOCK_TIMEOUT=10000;WRITE_DELAY=500' sets WRITE_DELAY=500: "
                        + "H2 would answer commits before writing them, and a crash of the JVM (kill -9) would lose acknowledged writes; "
                        + "remove WRITE_DELAY or set WRITE_DELAY=0");
        assertMessage(() -> Databases.durable("p", "jdbc:h2:/d/x;write_delay=1"), "sets WRITE_DELAY=1:");
        assertMessage(() -> Databases.durable("p", "jdbc:h2:/d/x;WRITE_DELAY=soon"), "sets WRITE_DELAY=soon:");
        assertMessage(() -> Databases.durable("p", "jdbc:h2:/d/x;PASSWORD=secret;WRITE_DELAY=-1"),
                "p: jdbc.url = 'jdbc:h2:/d/x;PASSWORD=***;WRITE_DELAY=-1' sets WRITE_DELAY=-1:");
        assertMessage(() -> Databases.open(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                settings("jdbc:h2:file:" + tmp.getRoot() + "/x;WRITE_DELAY=500", 1, 5)), "tandem.test: jdbc.url = ");
    }

    @Test
    public void aPoolOnAnH2FileRunsWithoutWriteDelay() throws Exception {
        try (HikariDataSource ds = Databases.open(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                settings("jdbc:h2:file:" + tmp.getRoot() + "/x;LOCK_TIMEOUT=10000", 2, 5));
             Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery(
                     "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'")) {
            assertTrue(rs.next());
            assertEquals("H2's own default is 500 ms", "0", rs.getString(1));
        }
    }

    private static void assertMessage(org.junit.function.ThrowingRunnable r, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r);
        assertTrue("'" + e.getMessage() + "' should contain '" + expected + "'", e.getMessage().contains(expected));
    }

    /** H2's "the database has been closed" (a write failed on a full disk) makes the pool drop the connection; nothing else does. */
    @Test
    public void onlyADatabaseThatClosedItselfMakesThePoolDropTheConnection() {
        assertTrue(Databases.closedDatabase(new java.sql.SQLException("The database has been closed", "90098", 90098)));
        assertTrue(Databases.closedDatabase(new java.sql.SQLException("wrapped", "HY000", 0,
                new java.sql.SQLException("Database is already closed", "90121", 90121))));
        assertTrue(!Databases.closedDatabase(new java.sql.SQLException("Value too long", "22001", 22001)));
        assertTrue(!Databases.closedDatabase(new java.sql.SQLException("Timeout trying to lock table", "HYT00", 50200)));
    }
}
