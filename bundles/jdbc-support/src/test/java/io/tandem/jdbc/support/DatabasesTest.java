package io.tandem.jdbc.support;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.util.List;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class DatabasesTest {

    private static Databases.Settings settings(String url, int pool, int timeout) {
        return new Databases.Settings("tandem.test", "test", url, "", "", pool, timeout);
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

    private static void assertMessage(org.junit.function.ThrowingRunnable r, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r);
        assertTrue("'" + e.getMessage() + "' should contain '" + expected + "'", e.getMessage().contains(expected));
    }
}
