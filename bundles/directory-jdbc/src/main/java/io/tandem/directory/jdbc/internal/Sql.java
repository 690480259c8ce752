package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.DirectoryUnavailableException;
import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/** Transactions and queries over a {@link DataSource}; JDBC stays in this bundle. */
final class Sql {

    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private final DataSource dataSource;
    private final Supplier<String> notReady;

    /** @param notReady why the database cannot be used yet (e.g. schema not migrated), or {@code null} */
    Sql(DataSource dataSource, Supplier<String> notReady) {
        this.dataSource = dataSource;
        this.notReady = notReady;
    }

    /** Runs {@code work} in one transaction; commits on return, rolls back on any exception. */
    <T> T tx(Work<T> work) {
        try (Connection c = connection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new DirectoryUnavailableException("directory database error: " + e.getMessage(), e);
        }
    }

    /**
     * Runs one query in auto-commit: a single statement is its own transaction, so it reads the same committed
     * state as in an explicit one, without the commit's round trip to the database server.
     */
    <T> List<T> list(String sql, Row<T> row, Object... args) {
        try (Connection c = connection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            return list(c, sql, row, args);
        } catch (SQLException e) {
            throw new DirectoryUnavailableException("directory database error: " + e.getMessage(), e);
        }
    }

    <T> Optional<T> one(String sql, Row<T> row, Object... args) {
        List<T> all = list(sql, row, args);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    private Connection connection() throws SQLException {
        String why = notReady.get();
        if (why != null) {
            throw new DirectoryUnavailableException("directory database is not ready: " + why, null);
        }
        return dataSource.getConnection();
    }

    static <T> List<T> list(Connection c, String sql, Row<T> row, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args); ResultSet rs = ps.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(row.map(rs));
            }
            return out;
        }
    }

    static <T> Optional<T> one(Connection c, String sql, Row<T> row, Object... args) throws SQLException {
        List<T> all = list(c, sql, row, args);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    static int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql, args)) {
            return ps.executeUpdate();
        }
    }

    /** Runs an INSERT and returns the generated value of the key column. */
    static long insert(Connection c, String keyColumn, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql, new String[] {keyColumn})) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("no generated key returned for " + keyColumn);
                }
                return keys.getLong(1);
            }
        }
    }

    private static PreparedStatement prepare(Connection c, String sql, Object... args) throws SQLException {
        PreparedStatement ps = c.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
        return ps;
    }
}
