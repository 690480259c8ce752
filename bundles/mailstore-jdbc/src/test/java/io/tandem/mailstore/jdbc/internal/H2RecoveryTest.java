package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.test.ConfigProxy;
import org.junit.Test;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * An H2 mailbox database after an unclean stop (decision 0029). The fixture is a real one, from a fault run: after
 * a kill -9 of its Mailstore, three secondary indexes of MESSAGES lacked the last message delivered (item 1855 of
 * account 62435605...), which its table held (cut down to that account's last messages).
 */
public class H2RecoveryTest {

    private static final UUID ACCOUNT = UUID.fromString("62435605-7610-4a6c-9df7-4016f5f2a55a");
    private static final List<String> INDEXES = List.of("CONSTRAINT_INDEX_1", "MESSAGES_BY_BLOB", "MESSAGES_BY_FOLDER");

    private static Path damagedCopy() throws Exception {
        Path dir = Files.createTempDirectory("h2-recovery");
        try (InputStream in = H2RecoveryTest.class.getResourceAsStream("/h2/damaged-index.mv.db")) {
            Files.copy(in, dir.resolve("mailboxes.mv.db"));
        }
        return dir;
    }

    private static String url(Path dir) {
        return "jdbc:h2:file:" + dir.resolve("mailboxes") + ";LOCK_TIMEOUT=10000;WRITE_DELAY=0";
    }

    private static MailstoreDatabase open(Path dir) {
        return new MailstoreDatabase(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(MailstoreDatabase.Config.class, Map.of("jdbc_url", url(dir))));
    }

    /** Rows of MESSAGES (with an account) read through {@code index}; "" for a scan of the table. */
    private static long rows(Path dir, String index) throws SQLException {
        try (Connection c = new org.h2.Driver().connect(url(dir), new java.util.Properties());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM messages USE INDEX (" + index + ") WHERE account_id IS NOT NULL")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static List<String> indexesOfMessages(Path dir) throws SQLException {
        List<String> out = new java.util.ArrayList<>();
        try (Connection c = new org.h2.Driver().connect(url(dir), new java.util.Properties());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT INDEX_NAME FROM INFORMATION_SCHEMA.INDEXES WHERE TABLE_NAME = 'MESSAGES' "
                     + "AND INDEX_TYPE_NAME <> 'PRIMARY KEY'")) {
            while (rs.next()) {
                out.add("\"" + rs.getString(1) + "\"");
            }
        }
        return out;
    }

    private static long messagesOf(Path dir) throws SQLException {
        try (Connection c = new org.h2.Driver().connect(url(dir), new java.util.Properties());
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM messages WHERE account_id = ? AND folder_id IS NOT NULL")) {
            ps.setObject(1, ACCOUNT);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    public void theFixtureIsDamaged() throws Exception {
        Path dir = damagedCopy();
        assertEquals(6, rows(dir, ""));
        for (String index : INDEXES) {
            assertEquals(index + " lacks the row", 5, rows(dir, index));
        }
    }

    /** The last run did not stop cleanly (its marker is there): the indexes are checked, and the database rebuilt. */
    @Test
    public void afterAnUncleanStopADatabaseWhoseIndexesDisagreeIsRebuiltFromItsTables() throws Exception {
        Path dir = damagedCopy();
        Files.writeString(H2Recovery.marker(dir.resolve("mailboxes.mv.db")), "open\n");
        MailstoreDatabase store = open(dir);
        try {
            assertTrue("the store serves the account", store.info(ACCOUNT).isPresent());
            int messages = 0;
            for (io.tandem.api.mailbox.Folder f : store.folders(ACCOUNT)) {
                messages += store.messages(ACCOUNT, f.id(), 0, 100).size();
            }
            assertEquals("every message the table held, listed through the folder index", 6, messages);
            store.delete(ACCOUNT); // what never returned on the damaged file
            assertTrue(store.info(ACCOUNT).isEmpty());
        } finally {
            store.deactivateForTest();
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertTrue(names.toString(), names.stream().anyMatch(n -> n.startsWith("mailboxes.damaged-") && n.endsWith(".mv.db")));
            assertFalse("the script is removed: " + names, names.stream().anyMatch(n -> n.endsWith(".sql")));
            assertFalse("a clean close removes the marker: " + names, names.contains("mailboxes.mv.db.running"));
        }
    }

    @Test
    public void aRebuiltDatabaseHasEveryRowInEveryIndex() throws Exception {
        Path dir = damagedCopy();
        Path database = dir.resolve("mailboxes.mv.db");
        Files.writeString(H2Recovery.marker(database), "open\n");
        assertEquals(H2Recovery.Outcome.REBUILT, H2Recovery.beforeOpen(url(dir), H2RecoveryTest::source, java.time.Clock.systemUTC()));
        assertEquals(6, rows(dir, ""));
        List<String> rebuilt = indexesOfMessages(dir);
        assertEquals("the same indexes, their names generated again: " + rebuilt, 3, rebuilt.size());
        for (String index : rebuilt) {
            assertEquals(index, 6, rows(dir, index));
        }
        assertEquals(6, messagesOf(dir));
        assertTrue("marked open", Files.exists(H2Recovery.marker(database)));
        // checked again after another unclean stop: consistent now, left as it is
        assertEquals(H2Recovery.Outcome.CONSISTENT, H2Recovery.beforeOpen(url(dir), H2RecoveryTest::source, java.time.Clock.systemUTC()));
    }

    /** A clean stop (no marker) is not followed by a check: a start stays fast. */
    @Test
    public void afterACleanStopNothingIsChecked() throws Exception {
        Path dir = damagedCopy();
        assertEquals(H2Recovery.Outcome.CLEAN_STOP, H2Recovery.beforeOpen(url(dir), H2RecoveryTest::source, java.time.Clock.systemUTC()));
        assertEquals(5, rows(dir, "MESSAGES_BY_FOLDER"));
        H2Recovery.closed(url(dir));
        assertFalse(Files.exists(H2Recovery.marker(dir.resolve("mailboxes.mv.db"))));
        assertEquals(H2Recovery.Outcome.NOT_CHECKED, H2Recovery.beforeOpen("jdbc:postgresql://db/mail", u -> {
            throw new AssertionError("no connection for another database");
        }, java.time.Clock.systemUTC()));
    }

    /** A crash between the two renames of a rebuild: the rebuilt file is put in place, never an empty database. */
    @Test
    public void aCrashDuringTheSwapOfARebuildFinishesItAtTheNextStart() throws Exception {
        Path dir = damagedCopy();
        Path database = dir.resolve("mailboxes.mv.db");
        Files.move(database, dir.resolve("mailboxes.rebuilt-20261207T100000Z.mv.db"));
        Files.writeString(H2Recovery.marker(database), "open\n");
        H2Recovery.beforeOpen(url(dir), H2RecoveryTest::source, java.time.Clock.systemUTC());
        assertTrue(Files.exists(database));
        assertEquals("the rebuilt file, with its rows", 6, rows(dir, ""));

        Path empty = Files.createTempDirectory("h2-recovery");
        Files.writeString(H2Recovery.marker(empty.resolve("mailboxes.mv.db")), "open\n");
        IllegalStateException refused = org.junit.Assert.assertThrows(IllegalStateException.class,
                () -> H2Recovery.beforeOpen(url(empty), H2RecoveryTest::source, java.time.Clock.systemUTC()));
        assertTrue(refused.getMessage(), refused.getMessage().contains("not starting on an empty database"));
        assertFalse(Files.exists(empty.resolve("mailboxes.mv.db")));
    }

    @Test
    public void theFileOfEveryEmbeddedUrlIsFound() {
        assertEquals(Path.of("/d/mailboxes.mv.db"), H2Recovery.file("jdbc:h2:file:/d/mailboxes;LOCK_TIMEOUT=10000").orElseThrow());
        assertEquals(Path.of("/d/mailboxes.mv.db"), H2Recovery.file("jdbc:h2:/d/mailboxes").orElseThrow());
        assertEquals(Path.of(System.getProperty("user.home"), "m.mv.db"), H2Recovery.file("jdbc:h2:~/m;WRITE_DELAY=0").orElseThrow());
        assertTrue(H2Recovery.file("jdbc:h2:mem:x;DB_CLOSE_DELAY=-1").isEmpty());
        assertTrue(H2Recovery.file("jdbc:h2:tcp://db/x").isEmpty());
        assertTrue(H2Recovery.file("jdbc:postgresql://db:5432/mail").isEmpty());
    }

    private static javax.sql.DataSource source(String url) {
        org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
        ds.setURL(url);
        return ds;
    }

    /**
     * A rebuild that may have lost rows (an index held rows its table no longer had) leaves a marker beside the file: the
     * store reports it, across restarts, until the replica agent says it set the copies to initialise again.
     */
    @Test
    public void rowsThatMayBeMissingAreReportedAcrossRestartsUntilHandled() throws Exception {
        Path dir = damagedCopy();
        Path marker = H2Recovery.rowsMarker(dir.resolve("mailboxes.mv.db"));
        Files.writeString(marker, "rebuilt on 2026-12-07 after a crash: MESSAGES.MESSAGES_BY_FOLDER has 7 row(s), the table 6\n");
        MailstoreDatabase store = open(dir);
        try {
            assertEquals(java.util.Optional.of("rebuilt on 2026-12-07 after a crash: MESSAGES.MESSAGES_BY_FOLDER has 7 row(s), the table 6"),
                    store.rowsMayBeMissing());
        } finally {
            store.deactivateForTest();
        }
        store = open(dir);
        try {
            assertTrue("still reported after a restart", store.rowsMayBeMissing().isPresent());
            store.rowsMayBeMissingHandled();
            assertEquals(java.util.Optional.empty(), store.rowsMayBeMissing());
            assertFalse(Files.exists(marker));
        } finally {
            store.deactivateForTest();
        }
    }

    /** The file of the fixture lacks rows in its indexes, not in its table: rebuilt, nothing is missing. */
    @Test
    public void aRebuildThatLostNothingReportsNothingMissing() throws Exception {
        Path dir = damagedCopy();
        Files.writeString(H2Recovery.marker(dir.resolve("mailboxes.mv.db")), "open\n");
        MailstoreDatabase store = open(dir);
        try {
            assertEquals(java.util.Optional.empty(), store.rowsMayBeMissing());
        } finally {
            store.deactivateForTest();
        }
    }
}
