package io.tandem.mailstore.jdbc.internal;

import io.tandem.jdbc.support.Batches;

import javax.sql.DataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One database transaction of the mailbox store: a connection with auto-commit off and the few statement
 * shapes the store uses. {@link #run} opens, commits or rolls back; JDBC stays in this bundle.
 *
 * <p>Deliberately not directory-jdbc's {@code Sql}: the store never runs a statement outside an explicit
 * transaction (every read of a mailbox is one snapshot, every change holds the mailbox row lock), so the
 * transaction is an object passed around rather than a {@code Connection} with static helpers, and database
 * errors map to this bundle's {@link MailstoreUnavailableException}.
 */
final class Tx {

    interface Work<T> {
        T run(Tx tx) throws SQLException;
    }

    interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    private final Connection connection;

    private Tx(Connection connection) {
        this.connection = connection;
    }

    /** Runs {@code work} in one transaction: commits when it returns, rolls back when it throws anything. */
    static <T> T run(DataSource dataSource, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(new Tx(c));
                c.commit();
                return result;
            } catch (SQLException | RuntimeException | Error e) {
                rollback(c, e);
                throw e;
            }
        } catch (SQLException e) {
            throw new MailstoreUnavailableException("mailstore database error: " + e.getMessage(), e);
        }
    }

    private static void rollback(Connection c, Throwable cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    /** The database's product name, as its driver reports it ("H2", "PostgreSQL"). */
    String databaseProduct() throws SQLException {
        return connection.getMetaData().getDatabaseProductName();
    }

    <T> List<T> list(String sql, Row<T> row, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(sql, args); ResultSet rs = ps.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(row.map(rs));
            }
            return out;
        }
    }

    <T> Optional<T> one(String sql, Row<T> row, Object... args) throws SQLException {
        List<T> all = list(sql, row, args);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    boolean exists(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(sql, args); ResultSet rs = ps.executeQuery()) {
            return rs.next();
        }
    }

    int update(String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(sql, args)) {
            return ps.executeUpdate();
        }
    }

    /** Runs an INSERT and returns the generated value of {@code keyColumn}. */
    long insertReturning(String keyColumn, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql, new String[] {keyColumn})) {
            bind(ps, args);
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                if (!keys.next()) {
                    throw new SQLException("no generated key returned for " + keyColumn);
                }
                return keys.getLong(1);
            }
        }
    }

    /** {@link Batches#batch} in this transaction. */
    int[] batch(String sql, List<Object[]> rows) throws SQLException {
        return Batches.batch(connection, sql, rows);
    }

    private PreparedStatement prepare(String sql, Object... args) throws SQLException {
        PreparedStatement ps = connection.prepareStatement(sql);
        try {
            bind(ps, args);
            return ps;
        } catch (SQLException e) {
            ps.close();
            throw e;
        }
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
    }
}
