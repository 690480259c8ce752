package io.tandem.api.directory;

import java.util.List;
import java.util.Objects;

/**
 * How the directory's database answers right now, and its replication state where the database reports
 * one (PostgreSQL: {@code pg_is_in_recovery()} and {@code pg_stat_replication}).
 *
 * @param url       the JDBC URL without credentials
 * @param reachable a query answered
 * @param millis    how long connecting and the queries took
 * @param product   database product and version ({@code PostgreSQL 15.8}, {@code H2 2.3.232}), {@code ""} unknown
 * @param role      {@code primary} (PostgreSQL, not in recovery), {@code standby} (in recovery) or
 *                  {@code standalone} (a database without replication, such as H2)
 * @param standbys  the standbys streaming from this primary (PostgreSQL), empty otherwise
 * @param error     why it is not reachable or not usable (e.g. its schema is not migrated yet), or {@code ""}
 */
public record DatabaseStatus(String url, boolean reachable, long millis, String product, String role,
                             List<Standby> standbys, String error, String synchronousCommit) {

    public static final String PRIMARY = "primary";
    public static final String STANDBY = "standby";
    public static final String STANDALONE = "standalone";

    public DatabaseStatus {
        Objects.requireNonNull(url, "url");
        product = product == null ? "" : product;
        role = role == null ? "" : role;
        standbys = List.copyOf(standbys);
        error = error == null ? "" : error;
        synchronousCommit = synchronousCommit == null ? "" : synchronousCommit;
    }

    /** Without the primary's {@code synchronous_commit} setting ("" : not reported). */
    public DatabaseStatus(String url, boolean reachable, long millis, String product, String role, List<Standby> standbys,
                          String error) {
        this(url, reachable, millis, product, role, standbys, error, "");
    }

    /**
     * Whether a committed ownership change is on a standby before the commit returns, so a failover to a
     * standby cannot lose it: a PostgreSQL primary with at least one synchronous standby ({@code sync} or
     * {@code quorum}) and {@code synchronous_commit} {@code on} or {@code remote_apply}. A database without
     * standbys has nothing to fail over to (its own durability is another matter).
     */
    public boolean failoverSafe() {
        if (standbys.isEmpty()) {
            return true;
        }
        boolean syncStandby = standbys.stream().anyMatch(s -> s.syncState().equals("sync") || s.syncState().equals("quorum"));
        return syncStandby && (synchronousCommit.equals("on") || synchronousCommit.equals("remote_apply"));
    }

    /**
     * One standby of a PostgreSQL primary (a row of {@code pg_stat_replication}).
     *
     * @param name          {@code application_name}
     * @param address       {@code client_addr} ({@code ""} for a local socket)
     * @param state         {@code streaming}, {@code catchup} ...
     * @param syncState     {@code async}, {@code sync}, {@code potential}, {@code quorum}
     * @param lagBytes      WAL bytes between the primary's current position and the standby's replay position (-1 unknown)
     * @param replayLagMillis {@code replay_lag} in milliseconds (-1 when PostgreSQL reports none)
     */
    public record Standby(String name, String address, String state, String syncState, long lagBytes,
                          long replayLagMillis) {
    }
}
