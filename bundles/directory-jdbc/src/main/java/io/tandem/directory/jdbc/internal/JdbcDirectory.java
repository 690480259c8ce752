package io.tandem.directory.jdbc.internal;

import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.api.cluster.ClusterMessageListener;
import io.tandem.api.cluster.ClusterMessaging;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.AccountNames;
import io.tandem.api.directory.AccountStatus;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.Domain;
import io.tandem.api.directory.Notification;
import io.tandem.api.directory.OwnershipConflictException;
import io.tandem.api.directory.Operation;
import io.tandem.api.directory.Replica;
import io.tandem.api.directory.Server;
import io.tandem.api.node.Role;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The directory on a relational database: domains, accounts, global configuration and servers here; ownership
 * (compare-and-set of {@code mail_host} and {@code epoch}, claims, give-backs, the owner cache kept fresh
 * through the cluster topic {@value #OWNER_TOPIC}) in {@link JdbcOwnership}, replica rows in
 * {@link JdbcReplicas}, operations and notifications in {@link JdbcOperations}, buckets and volumes in
 * {@link JdbcVolumes}; this class delegates to them.
 */
public class JdbcDirectory implements DirectoryAdminService, VolumeAdminService, ClusterMessageListener {

    public static final String OWNER_TOPIC = JdbcOwnership.OWNER_TOPIC;
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");
    private static final Pattern GLOBAL_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,127}");
    static final String ACCOUNT_COLUMNS = "id, name, domain, mail_host, epoch, status, created_ms, claimed_host, claimed_epoch";

    private final Sql sql;
    private final JdbcVolumes volumes;
    private final JdbcReplicas replicaRows;
    private final JdbcOperations operationRows;
    private final JdbcOwnership ownership;
    private final Clock clock;

    JdbcDirectory(Sql sql, Supplier<ClusterMessaging> messaging, Duration cacheTtl, Clock clock) {
        this.sql = sql;
        this.volumes = new JdbcVolumes(sql);
        this.replicaRows = new JdbcReplicas(sql, clock);
        this.operationRows = new JdbcOperations(sql, clock);
        this.ownership = new JdbcOwnership(sql, messaging, cacheTtl, clock, this::account);
        this.clock = clock;
    }

    // ---- domains ----

    @Override
    public List<Domain> domains() {
        return sql.list("SELECT name, created_ms FROM domains ORDER BY name", JdbcDirectory::domainRow);
    }

    @Override
    public Optional<Domain> domain(String name) {
        return sql.one("SELECT name, created_ms FROM domains WHERE name = ?", JdbcDirectory::domainRow, AccountNames.domain(name));
    }

    @Override
    public Domain createDomain(String name) {
        String d = AccountNames.domain(name);
        long now = clock.millis();
        return sql.tx(c -> {
            if (Sql.one(c, "SELECT name FROM domains WHERE name = ?", rs -> rs.getString(1), d).isPresent()) {
                throw new IllegalArgumentException("domain '" + d + "' already exists");
            }
            Sql.update(c, "INSERT INTO domains (name, created_ms) VALUES (?, ?)", d, now);
            return new Domain(d, Instant.ofEpochMilli(now));
        });
    }

    @Override
    public void deleteDomain(String name) {
        String d = AccountNames.domain(name);
        sql.tx(c -> {
            if (Sql.one(c, "SELECT name FROM domains WHERE name = ?", rs -> rs.getString(1), d).isEmpty()) {
                throw new IllegalArgumentException("domain '" + d + "' does not exist");
            }
            long accounts = Sql.one(c, "SELECT COUNT(*) FROM accounts WHERE domain = ?", rs -> rs.getLong(1), d).orElse(0L);
            if (accounts > 0) {
                throw new IllegalArgumentException("domain '" + d + "' still has " + accounts + " account(s): delete them first");
            }
            return Sql.update(c, "DELETE FROM domains WHERE name = ?", d);
        });
    }

    // ---- accounts ----

    @Override
    public Optional<Account> account(String name) {
        return sql.one("SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE name = ?", JdbcDirectory::accountRow, AccountNames.account(name));
    }

    @Override
    public Optional<Account> account(UUID id) {
        return sql.one("SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE id = ?", JdbcDirectory::accountRow, id);
    }

    @Override
    public List<Account> accounts(String domain) {
        if (domain == null) {
            return sql.list("SELECT " + ACCOUNT_COLUMNS + " FROM accounts ORDER BY name", JdbcDirectory::accountRow);
        }
        String d = AccountNames.domain(domain);
        if (domain(d).isEmpty()) {
            throw new IllegalArgumentException("domain '" + d + "' does not exist");
        }
        return sql.list("SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE domain = ? ORDER BY name", JdbcDirectory::accountRow, d);
    }

    @Override
    public List<Account> accountsOn(String mailHost) {
        return sql.list("SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE mail_host = ? ORDER BY name", JdbcDirectory::accountRow,
                Objects.requireNonNull(mailHost, "mailHost"));
    }

    @Override
    public Account createAccount(String name, String mailHost) {
        String a = AccountNames.account(name);
        String d = AccountNames.domainOf(a);
        String host = host(mailHost);
        long now = clock.millis();
        UUID id = UUID.randomUUID();
        return sql.tx(c -> {
            if (Sql.one(c, "SELECT name FROM domains WHERE name = ?", rs -> rs.getString(1), d).isEmpty()) {
                throw new IllegalArgumentException("domain '" + d + "' of account '" + a + "' does not exist: create it first");
            }
            if (Sql.one(c, "SELECT id FROM accounts WHERE name = ?", rs -> rs.getObject(1), a).isPresent()) {
                throw new IllegalArgumentException("account '" + a + "' already exists");
            }
            requireMailstore(c, host);
            // its first owner claims its first epoch: nobody else wrote to it (decision 0027)
            Sql.update(c, "INSERT INTO accounts (" + ACCOUNT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    id, a, d, host, 1L, AccountStatus.ACTIVE.name(), now, host, 1L);
            return new Account(id, a, d, host, 1L, AccountStatus.ACTIVE, Instant.ofEpochMilli(now));
        });
    }

    static void requireMailstore(Connection c, String host) throws SQLException {
        Optional<String> roles = Sql.one(c, "SELECT roles FROM servers WHERE name = ?", rs -> rs.getString(1), host);
        if (roles.isEmpty()) {
            throw new IllegalArgumentException("mail host '" + host + "' is not a registered server");
        }
        if (!Role.parseList(roles.get()).contains(Role.MAILSTORE)) {
            throw new IllegalArgumentException("mail host '" + host + "' does not play the mailstore role (roles: " + roles.get() + ")");
        }
    }

    @Override
    public void deleteAccount(String name) {
        String a = AccountNames.account(name);
        UUID id = sql.tx(c -> {
            UUID found = Sql.one(c, "SELECT id FROM accounts WHERE name = ?", rs -> rs.getObject(1, UUID.class), a)
                    .orElseThrow(() -> new IllegalArgumentException("account '" + a + "' does not exist"));
            Sql.update(c, "DELETE FROM accounts WHERE id = ?", found);
            return found;
        });
        ownership.forget(id);
    }

    @Override
    public Account setAccountStatus(String name, AccountStatus status) {
        String a = AccountNames.account(name);
        Objects.requireNonNull(status, "status");
        return sql.tx(c -> {
            if (Sql.update(c, "UPDATE accounts SET status = ? WHERE name = ?", status.name(), a) == 0) {
                throw new IllegalArgumentException("account '" + a + "' does not exist");
            }
            return Sql.one(c, "SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE name = ?", JdbcDirectory::accountRow, a).orElseThrow();
        });
    }

    // ---- ownership (JdbcOwnership) ----

    @Override
    public Account changeOwner(UUID accountId, String expectedHost, long expectedEpoch, String newHost)
            throws OwnershipConflictException {
        return ownership.changeOwner(accountId, expectedHost, expectedEpoch, newHost);
    }

    @Override
    public List<Account> changeOwners(List<OwnerChange> changes) {
        return ownership.changeOwners(changes);
    }

    @Override
    public Set<UUID> claim(String owner, Map<UUID, Long> epochs) {
        return ownership.claim(owner, epochs);
    }

    @Override
    public List<Account> giveBack(List<OwnerChange> changes) {
        return ownership.giveBack(changes);
    }

    /** Ownership changes announced by some node: one line "{accountId} {epoch}" per account. */
    @Override
    public void onMessage(String topic, String message) {
        ownership.onMessage(topic, message);
    }

    @Override
    public Optional<Account> owner(UUID accountId) {
        return ownership.owner(accountId);
    }

    // ---- global configuration ----

    @Override
    public Optional<String> global(String key) {
        return sql.one("SELECT config_value FROM global_config WHERE config_key = ?", rs -> rs.getString(1), globalKey(key));
    }

    @Override
    public Map<String, String> globals() {
        Map<String, String> out = new LinkedHashMap<>();
        sql.list("SELECT config_key, config_value FROM global_config ORDER BY config_key",
                rs -> out.put(rs.getString(1), rs.getString(2)));
        return out;
    }

    @Override
    public void setGlobal(String key, String value) {
        String k = globalKey(key);
        if (value != null && value.length() > 4000) {
            throw new IllegalArgumentException("value of global '" + k + "' is too long (" + value.length() + " characters, at most 4000)");
        }
        sql.tx(c -> {
            Sql.update(c, "DELETE FROM global_config WHERE config_key = ?", k);
            if (value != null) {
                Sql.update(c, "INSERT INTO global_config (config_key, config_value) VALUES (?, ?)", k, value);
            }
            return null;
        });
    }

    private static String globalKey(String key) {
        if (key == null || !GLOBAL_KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("global key '" + key + "' is invalid: letters, digits, '.', '_', '-', starting with a letter");
        }
        return key;
    }

    // ---- servers, replicas, notifications ----

    @Override
    public List<Server> servers() {
        return sql.list("SELECT name, fqdn, roles, updated_ms FROM servers ORDER BY name",
                rs -> new Server(rs.getString(1), rs.getString(2), Role.parseList(rs.getString(3)), Instant.ofEpochMilli(rs.getLong(4))));
    }

    @Override
    public Server registerServer(Server server) {
        String name = host(server.name());
        long now = clock.millis();
        sql.tx(c -> {
            Sql.update(c, "DELETE FROM servers WHERE name = ?", name);
            return Sql.update(c, "INSERT INTO servers (name, fqdn, roles, updated_ms) VALUES (?, ?, ?, ?)",
                    name, server.fqdn(), Role.ids(server.roles()), now);
        });
        return new Server(name, server.fqdn(), server.roles(), Instant.ofEpochMilli(now));
    }

    // (replica rows: JdbcReplicas)

    @Override
    public List<Replica> replicas(UUID accountId) {
        return replicaRows.replicas(accountId);
    }

    @Override
    public List<Replica> replicasOn(String destination) {
        return replicaRows.replicasOn(destination);
    }

    @Override
    public List<Replica> replicas() {
        return replicaRows.replicas();
    }

    @Override
    public List<Replica> unfinishedTakeOvers() {
        return replicaRows.unfinishedTakeOvers();
    }

    @Override
    public List<Replica> replicasOf(Collection<UUID> accountIds) {
        return replicaRows.replicasOf(accountIds);
    }

    @Override
    public Replica addReplica(UUID accountId, String destination, int priority, UUID operationId) {
        return replicaRows.addReplica(accountId, destination, priority, operationId);
    }

    @Override
    public boolean removeReplica(UUID accountId, String destination) {
        return replicaRows.removeReplica(accountId, destination);
    }

    @Override
    public int addReplicas(List<Replica> replicas) {
        return replicaRows.addReplicas(replicas);
    }

    @Override
    public int removeReplicas(String destination, Collection<UUID> accountIds) {
        return replicaRows.removeReplicas(destination, accountIds);
    }

    @Override
    public Set<UUID> takeOver(String newOwner, List<TakeOver> takeOvers) {
        return replicaRows.takeOver(newOwner, takeOvers);
    }

    @Override
    public Optional<Replica> compareAndSetReplicaState(Replica expected, String state, String detail) {
        return replicaRows.compareAndSetReplicaState(expected, state, detail);
    }

    @Override
    public Optional<Replica> setReplicaState(UUID accountId, String destination, String state, String detail) {
        return replicaRows.setReplicaState(accountId, destination, state, detail);
    }

    // ---- operations and notifications (JdbcOperations) ----

    @Override
    public Operation startOperation(String kind, String node, int total, String detail) {
        return operationRows.startOperation(kind, node, total, detail);
    }

    @Override
    public Progress progress(UUID operationId, int done, int failed, String line) {
        return operationRows.progress(operationId, done, failed, line);
    }

    @Override
    public Optional<Operation> operation(UUID id) {
        return operationRows.operation(id);
    }

    @Override
    public List<Operation> operations(int limit) {
        return operationRows.operations(limit);
    }

    @Override
    public List<Notification> notifications(int limit) {
        return operationRows.notifications(limit);
    }

    @Override
    public Notification notify(Notification.Severity severity, String subject, String body) {
        return operationRows.notify(severity, subject, body);
    }

    // ---- buckets and volumes (JdbcVolumes) ----

    @Override
    public List<BucketConfig> buckets() {
        return volumes.buckets();
    }

    @Override
    public Optional<BucketConfig> bucket(UUID id) {
        return volumes.bucket(id);
    }

    @Override
    public List<Volume> volumes() {
        return volumes.volumes();
    }

    @Override
    public Optional<Volume> volume(UUID id) {
        return volumes.volume(id);
    }

    @Override
    public Optional<Volume> current(Volume.Kind kind) {
        return volumes.current(kind);
    }

    @Override
    public BucketConfig createBucket(String provider, String endpoint, String bucket, String region, String accessKey, String secretKey) {
        return volumes.createBucket(provider, endpoint, bucket, region, accessKey, secretKey);
    }

    @Override
    public void deleteBucket(UUID id) {
        volumes.deleteBucket(id);
    }

    @Override
    public Volume createVolume(String name, Volume.Kind kind, Volume.Type type, UUID bucketId, String path, boolean centralized) {
        return volumes.createVolume(name, kind, type, bucketId, path, centralized);
    }

    @Override
    public Volume updateVolume(UUID id, String name, Boolean centralized) {
        return volumes.updateVolume(id, name, centralized);
    }

    @Override
    public void setCurrent(UUID volumeId) {
        volumes.setCurrent(volumeId);
    }

    @Override
    public void deleteVolume(UUID id) {
        volumes.deleteVolume(id);
    }

    // ---- rows ----

    static String host(String host) {
        if (host == null || !HOST.matcher(host.trim()).matches()) {
            throw new IllegalArgumentException("server name '" + host + "' is invalid");
        }
        return host.trim();
    }

    private static Domain domainRow(ResultSet rs) throws SQLException {
        return new Domain(rs.getString(1), Instant.ofEpochMilli(rs.getLong(2)));
    }

    static Account accountRow(ResultSet rs) throws SQLException {
        String claimedHost = rs.getString(8);
        long claimedEpoch = rs.getLong(9);
        if (claimedHost == null) {
            // created by a node of a version before claims (a rolling upgrade), which writes no claim: its first
            // owner holds its first epoch; after a promotion by that version, nobody is known to (never given back)
            boolean first = rs.getLong(5) == 1;
            claimedHost = first ? rs.getString(4) : "";
            claimedEpoch = first ? 1 : 0;
        }
        return new Account(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getLong(5), AccountStatus.valueOf(rs.getString(6)), Instant.ofEpochMilli(rs.getLong(7)), claimedHost,
                claimedEpoch);
    }
}
