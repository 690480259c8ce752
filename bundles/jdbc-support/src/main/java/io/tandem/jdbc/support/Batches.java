package io.tandem.jdbc.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;

/** Many rows in few round trips: JDBC batches and IN lists, shared by the directory and the mailbox store. */
public final class Batches {

    private Batches() {
    }

    /** Runs one statement for each row of arguments, sent together (one round trip with most drivers). */
    public static int[] batch(Connection c, String sql, List<Object[]> rows) throws SQLException {
        if (rows.isEmpty()) {
            return new int[0];
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (Object[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    ps.setObject(i + 1, row[i]);
                }
                ps.addBatch();
            }
            return ps.executeBatch();
        }
    }

    /** {@code "?, ?, ?"} for an IN list of {@code n} values. */
    public static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }
}
