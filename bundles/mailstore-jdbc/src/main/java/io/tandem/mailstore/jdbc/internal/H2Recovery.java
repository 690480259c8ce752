package io.tandem.mailstore.jdbc.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The check of an H2 mailbox database after an unclean stop (decision 0029). Twice in fault runs an H2 file came
 * back from a kill -9 with a secondary index that lacked a row its table held: reads through that index missed the
 * row, and a later delete of it never returned (the replica applier stayed blocked in it for good, finding 6).
 *
 * <p>A file {@code <database>.mv.db.running} exists while the store is open and is removed when it closes
 * cleanly. When it is found at start, the previous run did not stop cleanly: every secondary index of every table
 * is counted against a scan of its table. If one disagrees, the database is rebuilt from its tables (H2's
 * {@code SCRIPT}, then {@code RUNSCRIPT} into a fresh file, which builds every index and constraint again); the
 * damaged file is kept beside it, named {@code <database>.damaged-<time>.mv.db}. A table's rows are its truth: an
 * index entry without its row holds nothing that could be recovered.
 */
final class H2Recovery {

    private static final Logger LOG = LoggerFactory.getLogger(H2Recovery.class);
    private static final String PREFIX = "jdbc:h2:file:";
    private static final String MV = ".mv.db";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'");

    /** What the check found. */
    enum Outcome {
        /** Not an H2 file, or a new one: nothing to check. */
        NOT_CHECKED,
        /** The last stop was clean. */
        CLEAN_STOP,
        /** The last stop was not clean, and every index agrees with its table. */
        CONSISTENT,
        /** An index lacked rows of its table: the database was rebuilt from its tables, losing nothing. */
        REBUILT,
        /**
         * An index held rows its table no longer had: the database was rebuilt from its tables, and those rows may be
         * lost ({@link #rowsMayBeMissing} says so until the copies here initialised again).
         */
        REBUILT_ROWS_MAY_BE_MISSING
    }

    private H2Recovery() {
    }

    /**
     * The {@code .mv.db} file of an embedded H2 URL ({@code jdbc:h2:file:/path}, {@code jdbc:h2:/path}, {@code ~/path}),
     * empty for any other URL (in memory, a server, another database).
     */
    static Optional<Path> file(String url) {
        if (!url.startsWith("jdbc:h2:")) {
            return Optional.empty();
        }
        int settings = url.indexOf(';');
        String name = settings < 0 ? url.substring("jdbc:h2:".length()) : url.substring("jdbc:h2:".length(), settings);
        if (name.startsWith("file:")) {
            name = name.substring("file:".length());
        } else if (name.matches("^[a-zA-Z]{2,}:.*")) {
            return Optional.empty(); // mem:, tcp:, ssl:, zip:, nio..., split...: not a plain file this check can read
        }
        if (name.startsWith("~")) {
            name = System.getProperty("user.home") + name.substring(1);
        }
        return Optional.of(Path.of(name + MV).toAbsolutePath().normalize());
    }

    /** The file that says rows may be missing since a rebuild (kept until {@link #rowsMayBeMissingHandled}). */
    static Path rowsMarker(Path database) {
        return database.resolveSibling(database.getFileName() + ".rows-may-be-missing");
    }

    /** Why rows of the database of {@code url} may be missing since a rebuild, if they may. */
    static Optional<String> rowsMayBeMissing(String url) {
        Optional<Path> file = file(url);
        if (file.isEmpty() || !Files.exists(rowsMarker(file.get()))) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(rowsMarker(file.get())).trim());
        } catch (IOException e) {
            return Optional.of("the database was rebuilt after a crash and rows may be missing (" + rowsMarker(file.get())
                    + " cannot be read: " + e + ")");
        }
    }

    /** The copies were told to initialise again: the marker goes. */
    static void rowsMayBeMissingHandled(String url) {
        file(url).ifPresent(database -> {
            try {
                Files.deleteIfExists(rowsMarker(database));
                LOG.info("The replica copies re-initialise after the rebuild of the mailbox database: {} removed", rowsMarker(database));
            } catch (IOException e) {
                LOG.warn("{} not removed: the copies re-initialise again at the next start ({})", rowsMarker(database), e.toString());
            }
        });
    }

    /** The file that says the store is open. */
    static Path marker(Path database) {
        return database.resolveSibling(database.getFileName() + ".running");
    }

    /**
     * Checks the database of {@code url} when its last run did not stop cleanly, rebuilds it when an index
     * disagrees with its table, then marks it open. Call before the pool opens it.
     *
     * @param connections unpooled connections to the database of a URL
     * @throws IllegalStateException when the database cannot be checked or rebuilt (the store does not start on it)
     */
    static Outcome beforeOpen(String url, Function<String, DataSource> connections, Clock clock) {
        Optional<Path> file = file(url);
        if (file.isEmpty()) {
            return Outcome.NOT_CHECKED;
        }
        Path database = file.get();
        Path marker = marker(database);
        Outcome outcome;
        try {
            if (!Files.exists(database) && Files.exists(marker)) {
                // a crash in the middle of a rebuild's swap: the rebuilt file is complete (it was shut down before the
                // swap began), put it in place; never start an empty database where one was open
                finishSwap(database);
            }
            removeLeftovers(database);
            if (!Files.exists(database)) {
                outcome = Outcome.NOT_CHECKED;
            } else if (!Files.exists(marker)) {
                outcome = Outcome.CLEAN_STOP;
            } else {
                outcome = check(url, database, connections, clock);
            }
            Files.createDirectories(database.getParent());
            Files.writeString(marker, "open since " + clock.instant() + "\n");
        } catch (SQLException | IOException e) {
            throw new IllegalStateException("the mailbox database " + database + " did not stop cleanly and cannot be checked: "
                    + e.getMessage(), e);
        }
        return outcome;
    }

    private static String base(Path database) {
        String name = database.getFileName().toString();
        return name.substring(0, name.length() - MV.length());
    }

    /** The newest complete rebuild beside {@code database} moved in its place; fails when there is none. */
    private static void finishSwap(Path database) throws IOException {
        String prefix = base(database) + ".rebuilt-";
        Path newest;
        try (java.util.stream.Stream<Path> files = Files.list(database.getParent())) {
            newest = files.filter(p -> p.getFileName().toString().startsWith(prefix) && p.getFileName().toString().endsWith(MV))
                    .max(java.util.Comparator.comparing(p -> p.getFileName().toString())).orElse(null);
        }
        if (newest == null) {
            throw new IOException(database + " is missing although it was open when the node stopped (" + marker(database)
                    + " is there), and no rebuilt file is beside it: not starting on an empty database. Restore the file, "
                    + "or remove the marker to start empty (a replica copy re-initialises; an owner's mailboxes would be empty)");
        }
        Files.move(newest, database, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(database.getParent());
        LOG.warn("{} was missing after a crash during its rebuild: the rebuilt file {} is put in its place", database, newest);
    }

    /** Scripts and unfinished rebuilds of an earlier try (the database itself is there, so they are not needed). */
    private static void removeLeftovers(Path database) throws IOException {
        if (!Files.exists(database) || !Files.isDirectory(database.getParent())) {
            return;
        }
        String prefix = base(database) + ".rebuil"; // .rebuild-* (unfinished, scripts) and .rebuilt-* (not swapped in)
        try (java.util.stream.Stream<Path> files = Files.list(database.getParent())) {
            for (Path p : files.filter(p -> p.getFileName().toString().startsWith(prefix)).toList()) {
                Files.deleteIfExists(p);
                LOG.info("Removed {}, left by a rebuild that did not finish", p);
            }
        }
    }

    /** Makes renames in {@code dir} durable (Linux: an fsync of the directory). */
    private static void syncDirectory(Path dir) {
        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException e) {
            LOG.debug("Directory {} not synced: {}", dir, e.toString());
        }
    }

    /** After a clean close: the next start needs no check. */
    static void closed(String url) {
        file(url).ifPresent(database -> {
            try {
                Files.deleteIfExists(marker(database));
            } catch (IOException e) {
                LOG.warn("{} not removed: the next start checks the database's indexes ({})", marker(database), e.toString());
            }
        });
    }

    private static Outcome check(String url, Path database, Function<String, DataSource> connections, Clock clock)
            throws SQLException, IOException {
        DataSource source = connections.apply(url);
        long started = System.nanoTime();
        List<Disagreement> damaged;
        int indexes;
        long openMillis;
        try (Connection c = source.getConnection()) {
            // H2's own recovery of a crashed file happens here, and would happen at the pool's first connection anyway
            openMillis = (System.nanoTime() - started) / 1_000_000;
            List<Index> all = indexes(c);
            indexes = all.size();
            damaged = disagreeing(c, all);
        }
        long millis = (System.nanoTime() - started) / 1_000_000 - openMillis;
        if (damaged.isEmpty()) {
            LOG.info("The mailbox database did not stop cleanly: its {} secondary index(es) agree with their tables (opened in "
                    + "{} ms, checked in {} ms)", indexes, openMillis, millis);
            return Outcome.CONSISTENT;
        }
        String found = String.join("; ", damaged.stream().map(Disagreement::text).toList());
        LOG.error("The mailbox database did not stop cleanly and {} of its indexes disagree with their tables: {}. It is rebuilt "
                + "from its tables now (the damaged file is kept)", damaged.size(), found);
        boolean rowsLost = damaged.stream().anyMatch(Disagreement::indexHasMore);
        if (rowsLost) {
            // written before the rebuild: a crash during it must not forget that the tables lacked rows
            byte[] why = ("the mailbox database was rebuilt from its tables on " + clock.instant() + " after a crash, and an index "
                    + "held rows its table no longer had (" + found + "): those rows are lost from this node's copies\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            try (java.nio.channels.FileChannel marker = java.nio.channels.FileChannel.open(rowsMarker(database),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE,
                    java.nio.file.StandardOpenOption.TRUNCATE_EXISTING)) {
                marker.write(java.nio.ByteBuffer.wrap(why));
                marker.force(true); // on disk before the rebuild starts
            }
            syncDirectory(database.getParent());
            LOG.error("An index held rows its table no longer had: those rows cannot be rebuilt. Every replica copy on this node "
                    + "initialises again from its owner; the accounts this node owns must be checked against their replicas");
        }
        rebuild(url, database, connections, clock);
        try (Connection c = source.getConnection()) {
            List<Disagreement> still = disagreeing(c, indexes(c));
            if (!still.isEmpty()) {
                throw new IllegalStateException("rebuilt from its tables, its indexes still disagree: "
                        + String.join("; ", still.stream().map(Disagreement::text).toList()));
            }
        }
        LOG.warn("The mailbox database was rebuilt from its tables in {} ms; the damaged file is kept beside it",
                (System.nanoTime() - started) / 1_000_000);
        return rowsLost ? Outcome.REBUILT_ROWS_MAY_BE_MISSING : Outcome.REBUILT;
    }

    private record Index(String table, String name, String column) {
    }

    /** An index whose row count is not its table's: more rows than the table means the table lost some. */
    private record Disagreement(String text, boolean indexHasMore) {
    }

    /** Every secondary index of the database's tables, with its first column. */
    private static List<Index> indexes(Connection c) throws SQLException {
        List<Index> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT i.TABLE_NAME, i.INDEX_NAME, c.COLUMN_NAME FROM INFORMATION_SCHEMA.INDEXES i "
                        + "JOIN INFORMATION_SCHEMA.INDEX_COLUMNS c ON c.INDEX_SCHEMA = i.INDEX_SCHEMA AND c.INDEX_NAME = i.INDEX_NAME "
                        + "AND c.ORDINAL_POSITION = 1 WHERE i.TABLE_SCHEMA = 'PUBLIC' AND i.INDEX_TYPE_NAME <> 'PRIMARY KEY' "
                        + "ORDER BY i.TABLE_NAME, i.INDEX_NAME")) {
            while (rs.next()) {
                out.add(new Index(rs.getString(1), rs.getString(2), rs.getString(3)));
            }
        }
        return out;
    }

    /** The indexes whose rows (those with their first column set) are not as many as the table's. */
    private static List<Disagreement> disagreeing(Connection c, List<Index> indexes) throws SQLException {
        List<Disagreement> out = new ArrayList<>();
        java.util.Map<String, Long> scans = new java.util.HashMap<>(); // one scan of a table per first column
        for (Index i : indexes) {
            String where = " WHERE " + quote(i.column()) + " IS NOT NULL";
            String key = i.table() + "\u0000" + i.column();
            Long scanned = scans.get(key);
            if (scanned == null) {
                scanned = count(c, "SELECT COUNT(*) FROM " + quote(i.table()) + " USE INDEX ()" + where);
                scans.put(key, scanned);
            }
            long table = scanned;
            long index = count(c, "SELECT COUNT(*) FROM " + quote(i.table()) + " USE INDEX (" + quote(i.name()) + ")" + where);
            if (table != index) {
                out.add(new Disagreement(i.table() + "." + i.name() + " has " + index + " row(s), the table " + table, index > table));
            }
        }
        return out;
    }

    private static long count(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    /**
     * SCRIPT of the tables, RUNSCRIPT into a new file beside it, then the damaged file moved aside and the new one in
     * its place: until the swap the damaged file is untouched, so a rebuild that fails leaves the database as it was.
     */
    private static void rebuild(String url, Path database, Function<String, DataSource> connections, Clock clock)
            throws SQLException, IOException {
        String stamp = STAMP.format(clock.instant().atZone(java.time.ZoneOffset.UTC));
        String base = base(database);
        Path script = database.resolveSibling(base + ".rebuild-" + stamp + ".sql");
        Path building = database.resolveSibling(base + ".rebuild-" + stamp + MV);
        Path fresh = database.resolveSibling(base + ".rebuilt-" + stamp + MV);
        Path aside = database.resolveSibling(base + ".damaged-" + stamp + MV);
        // a plain URL: the configured settings (IFEXISTS, INIT ...) are for the database in use, not for a new file
        String freshUrl = PREFIX + database.resolveSibling(base + ".rebuild-" + stamp);
        try {
            try (Connection c = connections.apply(url).getConnection(); Statement s = c.createStatement()) {
                s.execute("SCRIPT TO " + literal(script));
                s.execute("SHUTDOWN");
            }
            try (Connection c = connections.apply(freshUrl).getConnection(); Statement s = c.createStatement()) {
                s.execute("RUNSCRIPT FROM " + literal(script));
                s.execute("SHUTDOWN");
            }
            // complete and shut down: named so that a crash during the swap below finds it (finishSwap)
            Files.move(building, fresh, StandardCopyOption.ATOMIC_MOVE);
            syncDirectory(database.getParent());
        } catch (SQLException | IOException | RuntimeException e) {
            Files.deleteIfExists(building);
            throw e;
        } finally {
            Files.deleteIfExists(script);
        }
        Files.move(database, aside, StandardCopyOption.ATOMIC_MOVE);
        Files.move(fresh, database, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(database.getParent());
        LOG.warn("The damaged mailbox database is kept as {}", aside);
    }

    private static String literal(Path p) {
        return "'" + p.toString().replace("'", "''") + "'";
    }
}
