package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.DatabaseStatus;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Asks the directory database whether it answers and, on PostgreSQL, whether it is a primary or a standby
 * ({@code pg_is_in_recovery()}) and which standbys stream from it ({@code pg_stat_replication}).
 */
final class DatabaseProbe {

    /** The standbys of a primary with their replay position behind the primary's current WAL position. */
    static final String STANDBYS = "SELECT coalesce(application_name, ''), coalesce(host(client_addr), ''), coalesce(state, ''),"
            + " coalesce(sync_state, ''),"
            + " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), -1)::bigint,"
            + " coalesce((extract(epoch from replay_lag) * 1000)::bigint, -1)"
            + " FROM pg_stat_replication ORDER BY application_name, client_addr";

    private final DataSource source;
    private final String url;

    DatabaseProbe(DataSource source, String redactedUrl) {
        this.source = source;
        this.url = redactedUrl;
    }

    /** @param notReady why the directory cannot serve requests (schema not migrated ...), or {@code null} */
    DatabaseStatus status(String notReady) {
        long start = System.nanoTime();
        try (Connection c = source.getConnection()) {
            DatabaseMetaData md = c.getMetaData();
            String product = md.getDatabaseProductName() + " " + md.getDatabaseProductVersion();
            String role = DatabaseStatus.STANDALONE;
            List<DatabaseStatus.Standby> standbys = new ArrayList<>();
            String synchronousCommit = "";
            try (Statement st = c.createStatement()) {
                st.setQueryTimeout(10);
                if (md.getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres")) {
                    try (ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
                        rs.next();
                        role = rs.getBoolean(1) ? DatabaseStatus.STANDBY : DatabaseStatus.PRIMARY;
                    }
                    if (role.equals(DatabaseStatus.PRIMARY)) {
                        try (ResultSet rs = st.executeQuery(STANDBYS)) {
                            while (rs.next()) {
                                standbys.add(new DatabaseStatus.Standby(rs.getString(1), rs.getString(2), rs.getString(3),
                                        rs.getString(4), rs.getLong(5), rs.getLong(6)));
                            }
                        }
                        try (ResultSet rs = st.executeQuery("SHOW synchronous_commit")) {
                            rs.next();
                            synchronousCommit = rs.getString(1);
                        }
                    }
                } else {
                    try (ResultSet rs = st.executeQuery("SELECT 1")) {
                        rs.next();
                    }
                }
            }
            return new DatabaseStatus(url, true, millis(start), product, role, standbys,
                    notReady == null ? "" : "directory not ready: " + notReady, synchronousCommit);
        } catch (SQLException | RuntimeException e) {
            return new DatabaseStatus(url, false, millis(start), "", "", List.of(),
                    e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
    }

    private static long millis(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
