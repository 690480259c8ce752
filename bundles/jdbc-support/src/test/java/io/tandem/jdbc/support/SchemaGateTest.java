package io.tandem.jdbc.support;

import org.junit.Test;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

public class SchemaGateTest {

    private static DataSource h2() {
        org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
        ds.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
        return ds;
    }

    @Test
    public void aDatabaseThatIsUpIsMigratedAtOnce() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        try (SchemaGate gate = new SchemaGate("test database", "jdbc:h2:mem:x", runs::incrementAndGet, 1)) {
            assertTrue(gate.notReady().isEmpty());
            assertEquals(1, runs.get());
            try (Connection c = gate.guard(h2()).getConnection()) {
                assertTrue(c.isValid(1));
            }
        }
    }

    @Test
    public void connectionsAreRefusedWithTheReasonUntilTheMigrationSucceeds() throws Exception {
        AtomicBoolean databaseUp = new AtomicBoolean(false);
        AtomicInteger attempts = new AtomicInteger();
        Runnable migrate = () -> {
            attempts.incrementAndGet();
            if (!databaseUp.get()) {
                throw new IllegalStateException("cannot migrate", new SQLException("Connection refused"));
            }
        };
        try (SchemaGate gate = new SchemaGate("test database", "jdbc:h2:mem:x", migrate, 1)) {
            assertEquals("Connection refused", gate.notReady().orElseThrow());
            DataSource guarded = gate.guard(h2());
            SQLException refused = assertThrows(SQLException.class, guarded::getConnection);
            assertEquals("test database is not ready: Connection refused", refused.getMessage());

            databaseUp.set(true);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (gate.notReady().isPresent()) {
                if (System.nanoTime() > deadline) {
                    fail("not migrated within 20 s of the database coming up");
                }
                TimeUnit.MILLISECONDS.sleep(50); // bounded poll: retries run every second
            }
            try (Connection c = guarded.getConnection()) {
                assertTrue(c.isValid(1));
            }
            int after = attempts.get();
            assertTrue("retried until it worked: " + after, after >= 2);
        }
    }
}
