package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.Replica;
import io.tandem.api.directory.DirectoryAdminService.TakeOver;
import io.tandem.jdbc.support.Batches;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The replica rows of the directory: which Mailstores hold a copy of which account, in what state, and the
 * take-over that turns a copy into the owner's (it deletes the new owner's row and adds the former owner's, in
 * the transaction that checks the ownership). Part of {@link JdbcDirectory}, which delegates to it.
 */
final class JdbcReplicas {

    private final Sql sql;
    private final Clock clock;

    JdbcReplicas(Sql sql, Clock clock) {
        this.sql = sql;
        this.clock = clock;
    }

    private static String host(String host) {
        return JdbcDirectory.host(host);
    }

    private static final String REPLICA_COLUMNS = "account_id, destination, priority, state, detail, operation_id, updated_ms";

    private static Replica replicaRow(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Replica(rs.getObject(1, UUID.class), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getString(5),
                rs.getObject(6, UUID.class), rs.getLong(7));
    }

    public List<Replica> replicas(UUID accountId) {
        return sql.list("SELECT " + REPLICA_COLUMNS + " FROM replicas WHERE account_id = ? ORDER BY priority, destination",
                JdbcReplicas::replicaRow, accountId);
    }

    public List<Replica> replicasOn(String destination) {
        return sql.list("SELECT " + REPLICA_COLUMNS + " FROM replicas WHERE destination = ? ORDER BY account_id",
                JdbcReplicas::replicaRow, destination);
    }

    public List<Replica> replicas() {
        return sql.list("SELECT " + REPLICA_COLUMNS + " FROM replicas ORDER BY account_id, priority, destination",
                JdbcReplicas::replicaRow);
    }

    public List<Replica> unfinishedTakeOvers() {
        return sql.list("SELECT r.account_id, r.destination, r.priority, r.state, r.detail, r.operation_id, r.updated_ms"
                + " FROM replicas r JOIN accounts a ON a.id = r.account_id AND a.mail_host = r.destination ORDER BY r.account_id",
                JdbcReplicas::replicaRow);
    }

    public List<Replica> replicasOf(Collection<UUID> accountIds) {
        List<UUID> ids = List.copyOf(new java.util.LinkedHashSet<>(accountIds));
        List<Replica> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += IN_LIST) { // bounded IN lists: one query per thousand accounts
            Object[] part = ids.subList(i, Math.min(ids.size(), i + IN_LIST)).toArray();
            out.addAll(sql.list("SELECT " + REPLICA_COLUMNS + " FROM replicas WHERE account_id IN (" + Batches.placeholders(part.length)
                    + ") ORDER BY account_id, priority, destination", JdbcReplicas::replicaRow, part));
        }
        return out;
    }

    /** At most this many values in one IN list. */
    private static final int IN_LIST = 1000;

    public Replica addReplica(UUID accountId, String destination, int priority, UUID operationId) {
        Objects.requireNonNull(accountId, "accountId");
        String d = host(destination);
        long now = clock.millis();
        return sql.tx(c -> {
            if (Sql.one(c, "SELECT id FROM accounts WHERE id = ?", rs -> 1, accountId).isEmpty()) {
                throw new IllegalArgumentException("no such account " + accountId);
            }
            if (Sql.one(c, "SELECT destination FROM replicas WHERE account_id = ? AND destination = ?", rs -> 1, accountId, d).isPresent()) {
                throw new IllegalArgumentException("account " + accountId + " already replicates to " + d);
            }
            Sql.update(c, "INSERT INTO replicas (account_id, destination, priority, state, detail, operation_id, updated_ms) "
                    + "VALUES (?, ?, ?, ?, '', ?, ?)", accountId, d, priority, Replica.INITIALISING, operationId, now);
            return new Replica(accountId, d, priority, Replica.INITIALISING, "", operationId, now);
        });
    }

    public boolean removeReplica(UUID accountId, String destination) {
        return sql.tx(c -> Sql.update(c, "DELETE FROM replicas WHERE account_id = ? AND destination = ?", accountId, destination) > 0);
    }

    public int addReplicas(List<Replica> replicas) {
        if (replicas.isEmpty()) {
            return 0;
        }
        return sql.tx(c -> insertReplicas(c, replicas));
    }

    /** Adds the replicas that do not exist yet (of accounts that exist) as initialising; one read, one batch. */
    private int insertReplicas(java.sql.Connection c, List<Replica> replicas) throws java.sql.SQLException {
        if (replicas.isEmpty()) {
            return 0;
        }
        long now = clock.millis();
        Object[] ids = replicas.stream().map(Replica::accountId).distinct().toArray();
        Map<UUID, String> owners = new HashMap<>();
        Sql.list(c, "SELECT id, mail_host FROM accounts WHERE id IN (" + Batches.placeholders(ids.length) + ")",
                rs -> owners.put(rs.getObject(1, UUID.class), rs.getString(2)), ids);
        Set<String> existing = new HashSet<>(Sql.list(c, "SELECT account_id, destination FROM replicas WHERE account_id IN ("
                + Batches.placeholders(ids.length) + ")", rs -> rs.getObject(1, UUID.class) + " " + rs.getString(2), ids));
        List<Object[]> rows = new ArrayList<>();
        for (Replica r : replicas) {
            String d = host(r.destination());
            // never a replica on the account's own owner: that is what an unfinished take-over looks like
            if (owners.containsKey(r.accountId()) && !d.equals(owners.get(r.accountId())) && existing.add(r.accountId() + " " + d)) {
                rows.add(new Object[] {r.accountId(), d, r.priority(), Replica.INITIALISING, r.operationId(), now});
            }
        }
        Batches.batch(c, "INSERT INTO replicas (account_id, destination, priority, state, detail, operation_id, updated_ms) "
                + "VALUES (?, ?, ?, ?, '', ?, ?)", rows);
        return rows.size();
    }

    public int removeReplicas(String destination, Collection<UUID> accountIds) {
        if (accountIds.isEmpty()) {
            return 0;
        }
        return sql.tx(c -> deleteReplicas(c, destination, accountIds));
    }

    private static int deleteReplicas(java.sql.Connection c, String destination, Collection<UUID> accountIds) throws java.sql.SQLException {
        int n = 0;
        for (int count : Batches.batch(c, "DELETE FROM replicas WHERE account_id = ? AND destination = ?",
                accountIds.stream().map(id -> new Object[] {id, destination}).toList())) {
            n += Math.max(0, count);
        }
        return n;
    }

    public Set<UUID> takeOver(String newOwner, List<TakeOver> takeOvers) {
        if (takeOvers.isEmpty()) {
            return Set.of();
        }
        String owner = host(newOwner);
        return sql.tx(c -> {
            Object[] ids = takeOvers.stream().map(TakeOver::accountId).distinct().toArray();
            Map<UUID, Long> ownedAt = new HashMap<>();
            Sql.list(c, "SELECT id, epoch FROM accounts WHERE mail_host = ? AND id IN (" + Batches.placeholders(ids.length) + ") ORDER BY id FOR UPDATE",
                    rs -> ownedAt.put(rs.getObject(1, UUID.class), rs.getLong(2)), prepend(owner, ids));
            Set<UUID> taken = new java.util.LinkedHashSet<>();
            List<Replica> rejoining = new ArrayList<>();
            for (TakeOver t : takeOvers) {
                if (Long.valueOf(t.epoch()).equals(ownedAt.get(t.accountId()))) {
                    taken.add(t.accountId());
                    rejoining.add(new Replica(t.accountId(), t.formerOwner(), t.priority(), Replica.INITIALISING, "", null, 0));
                }
            }
            deleteReplicas(c, owner, taken);
            insertReplicas(c, rejoining);
            return taken;
        });
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] out = new Object[rest.length + 1];
        out[0] = first;
        System.arraycopy(rest, 0, out, 1, rest.length);
        return out;
    }

    public Optional<Replica> compareAndSetReplicaState(Replica expected, String state, String detail) {
        Objects.requireNonNull(expected, "expected");
        Objects.requireNonNull(state, "state");
        String d = detail == null ? "" : detail.length() > 1000 ? detail.substring(0, 1000) : detail;
        // never the same updated_ms twice for one row, so a later change is always told apart from this one
        long now = Math.max(clock.millis(), expected.updatedMillis() + 1);
        String destination = host(expected.destination());
        return sql.tx(c -> {
            Sql.update(c, "UPDATE replicas SET state = ?, detail = ?, updated_ms = ? WHERE account_id = ? AND destination = ?"
                    + " AND state = ? AND updated_ms = ?", state, d, now, expected.accountId(), destination, expected.state(),
                    expected.updatedMillis());
            return Sql.one(c, "SELECT " + REPLICA_COLUMNS + " FROM replicas WHERE account_id = ? AND destination = ?",
                    JdbcReplicas::replicaRow, expected.accountId(), destination);
        });
    }

    public Optional<Replica> setReplicaState(UUID accountId, String destination, String state, String detail) {
        Objects.requireNonNull(state, "state");
        String d = detail == null ? "" : detail.length() > 1000 ? detail.substring(0, 1000) : detail;
        long now = clock.millis();
        return sql.tx(c -> {
            // updated_ms always moves forward, so an applier that saw the row before tells every change apart
            Sql.update(c, "UPDATE replicas SET state = ?, detail = ?, updated_ms = CASE WHEN updated_ms >= ? THEN updated_ms + 1 ELSE ? END"
                    + " WHERE account_id = ? AND destination = ?", state, d, now, now, accountId, destination);
            return Sql.one(c, "SELECT " + REPLICA_COLUMNS + " FROM replicas WHERE account_id = ? AND destination = ?",
                    JdbcReplicas::replicaRow, accountId, destination);
        });
    }
}
