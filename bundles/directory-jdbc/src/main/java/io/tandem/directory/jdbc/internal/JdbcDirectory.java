package io.tandem.directory.jdbc.internal;

import io.tandem.jdbc.support.Batches;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The directory on a relational database. Ownership of an account ({@code mail_host}, {@code epoch})
 * changes only by compare-and-set in the database; after a change every node is told through the
 * cluster topic {@value #OWNER_TOPIC}, and the owner cache never answers with an epoch older than the
 * last such notification (plus a TTL as a safety net for notifications lost in a partition).
 */
public class JdbcDirectory implements DirectoryAdminService, VolumeAdminService, ClusterMessageListener {

    public static final String OWNER_TOPIC = "tandem.directory.owner";
    private static final Logger LOG = LoggerFactory.getLogger(JdbcDirectory.class);
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");
    private static final Pattern GLOBAL_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,127}");
    private static final String ACCOUNT_COLUMNS = "id, name, domain, mail_host, epoch, status, created_ms, claimed_host, claimed_epoch";

    private final Sql sql;
    private final JdbcVolumes volumes;
    private final JdbcReplicas replicaRows;
    private final JdbcOperations operationRows;
    private final Supplier<ClusterMessaging> messaging;
    private final Duration cacheTtl;
    private final Clock clock;
    private final Map<UUID, Cached> ownerCache = new ConcurrentHashMap<>();
    /** Highest epoch announced per account: the cache never serves anything older. */
    private final Map<UUID, Long> announced = new ConcurrentHashMap<>();

    private record Cached(Account account, long loadedAtMillis) {
    }

    JdbcDirectory(Sql sql, Supplier<ClusterMessaging> messaging, Duration cacheTtl, Clock clock) {
        this.sql = sql;
        this.volumes = new JdbcVolumes(sql);
        this.replicaRows = new JdbcReplicas(sql, clock);
        this.operationRows = new JdbcOperations(sql, clock);
        this.messaging = messaging;
        this.cacheTtl = cacheTtl;
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

    private static void requireMailstore(Connection c, String host) throws SQLException {
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
        ownerCache.remove(id);
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

    // ---- ownership ----

    @Override
    public Account changeOwner(UUID accountId, String expectedHost, long expectedEpoch, String newHost)
            throws OwnershipConflictException {
        String host = host(newHost);
        Account[] changed = sql.tx(c -> {
            requireMailstore(c, host);
            int n = Sql.update(c, "UPDATE accounts SET mail_host = ?, epoch = epoch + 1 WHERE id = ? AND mail_host = ? AND epoch = ?",
                    host, accountId, expectedHost, expectedEpoch);
            Account now = Sql.one(c, "SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE id = ?", JdbcDirectory::accountRow, accountId)
                    .orElseThrow(() -> new IllegalArgumentException("account " + accountId + " does not exist"));
            return new Account[] {now, n == 1 ? now : null};
        });
        if (changed[1] == null) {
            Account current = changed[0];
            throw new OwnershipConflictException("account " + current.name() + " is owned by " + current.mailHost()
                    + " under epoch " + current.epoch() + ", not by " + expectedHost + " under epoch " + expectedEpoch, current);
        }
        Account moved = changed[1];
        announce(moved);
        LOG.info("Owner of {} changed from {} (epoch {}) to {} (epoch {})", moved.name(), expectedHost, expectedEpoch,
                moved.mailHost(), moved.epoch());
        return moved;
    }

    @Override
    public List<Account> changeOwners(List<OwnerChange> changes) {
        if (changes.isEmpty()) {
            return List.of();
        }
        Map<String, String> hosts = new HashMap<>();
        for (OwnerChange ch : changes) {
            hosts.computeIfAbsent(ch.newHost(), JdbcDirectory::host);
        }
        List<Account> moved = sql.tx(c -> {
            for (String h : new HashSet<>(hosts.values())) {
                requireMailstore(c, h);
            }
            // one batch of compare-and-sets, one read of the results: two round trips for the whole list
            int[] counts = Batches.batch(c, "UPDATE accounts SET mail_host = ?, epoch = epoch + 1 WHERE id = ? AND mail_host = ? AND epoch = ?",
                    changes.stream().map(ch -> new Object[] {hosts.get(ch.newHost()), ch.accountId(), ch.expectedHost(),
                            ch.expectedEpoch()}).toList());
            return moved(c, changes, counts, hosts);
        });
        List<Account> changed = new ArrayList<>();
        Map<String, List<Account>> byMove = new java.util.TreeMap<>();
        for (int i = 0; i < moved.size(); i++) {
            Account a = moved.get(i);
            if (a != null) {
                changed.add(a);
                byMove.computeIfAbsent("from " + changes.get(i).expectedHost() + " to " + a.mailHost(), k -> new ArrayList<>()).add(a);
                String line = "Owner of " + a.name() + " changed from " + changes.get(i).expectedHost() + " (epoch "
                        + changes.get(i).expectedEpoch() + ") to " + a.mailHost() + " (epoch " + a.epoch() + ")";
                if (moved.size() == 1) {
                    LOG.info(line);
                } else {
                    LOG.debug(line);
                }
            }
        }
        if (!changed.isEmpty()) {
            announce(changed); // one message for the whole batch
        }
        if (moved.size() > 1) {
            byMove.forEach((move, accounts) -> LOG.info("Owner of {} account(s) changed {}: {}", accounts.size(), move,
                    names(accounts, 10)));
        }
        return moved;
    }

    @Override
    public Set<UUID> claim(String owner, Map<UUID, Long> epochs) {
        if (epochs.isEmpty()) {
            return Set.of();
        }
        String h = host(owner);
        List<Map.Entry<UUID, Long>> list = new ArrayList<>(epochs.entrySet());
        return sql.tx(c -> {
            // a compare-and-set on the owner and epoch: a give-back (which needs the epoch unclaimed) and a claim of
            // the same account update the same row, so exactly one of them wins
            int[] counts = Batches.batch(c, "UPDATE accounts SET claimed_host = ?, claimed_epoch = ? WHERE id = ? AND mail_host = ?"
                    + " AND epoch = ?", list.stream().map(e -> new Object[] {h, e.getValue(), e.getKey(), h, e.getValue()}).toList());
            Set<UUID> claimed = new java.util.LinkedHashSet<>();
            for (int i = 0; i < list.size(); i++) {
                if (counts[i] != 0) {
                    claimed.add(list.get(i).getKey());
                }
            }
            return claimed;
        });
    }

    @Override
    public List<Account> giveBack(List<OwnerChange> changes) {
        if (changes.isEmpty()) {
            return List.of();
        }
        Map<String, String> hosts = new HashMap<>();
        for (OwnerChange ch : changes) {
            hosts.computeIfAbsent(ch.newHost(), JdbcDirectory::host);
        }
        List<Account> back = sql.tx(c -> {
            int[] counts = Batches.batch(c, "UPDATE accounts SET mail_host = ?, epoch = epoch + 1 WHERE id = ? AND mail_host = ?"
                            + " AND epoch = ? AND claimed_host = ? AND claimed_epoch < epoch",
                    changes.stream().map(ch -> new Object[] {hosts.get(ch.newHost()), ch.accountId(), ch.expectedHost(), ch.expectedEpoch(),
                            hosts.get(ch.newHost())}).toList());
            return moved(c, changes, counts, hosts);
        });
        List<Account> changed = back.stream().filter(Objects::nonNull).toList();
        for (int i = 0; i < back.size(); i++) {
            Account a = back.get(i);
            if (a != null) {
                LOG.warn("{} given back to {} (epoch {}), its claimant: {} never took it over under epoch {}", a.name(), a.mailHost(),
                        a.epoch(), changes.get(i).expectedHost(), changes.get(i).expectedEpoch());
            }
        }
        if (!changed.isEmpty()) {
            announce(changed);
        }
        return back;
    }

    /**
     * Reads back the accounts of a batch of ownership compare-and-sets ({@code counts}, in order): each the account as
     * moved, or {@code null} where its row did not match. One read for the whole batch.
     */
    private static List<Account> moved(Connection c, List<OwnerChange> changes, int[] counts, Map<String, String> hosts)
            throws SQLException {
        Object[] ids = changes.stream().map(OwnerChange::accountId).distinct().toArray();
        Map<UUID, Account> now = new HashMap<>();
        for (Account a : Sql.list(c, "SELECT " + ACCOUNT_COLUMNS + " FROM accounts WHERE id IN (" + Batches.placeholders(ids.length) + ")",
                JdbcDirectory::accountRow, ids)) {
            now.put(a.id(), a);
        }
        List<Account> out = new ArrayList<>(changes.size());
        for (int i = 0; i < changes.size(); i++) {
            OwnerChange ch = changes.get(i);
            Account a = now.get(ch.accountId());
            // the count says whether this row matched; the row read back must show exactly this move
            boolean hit = counts[i] != 0 && a != null && a.mailHost().equals(hosts.get(ch.newHost())) && a.epoch() == ch.expectedEpoch() + 1;
            out.add(hit ? a : null);
        }
        return out;
    }

    private static String names(List<Account> accounts, int max) {
        String shown = accounts.stream().limit(max).map(Account::name).collect(Collectors.joining(", "));
        return accounts.size() > max ? shown + " and " + (accounts.size() - max) + " more" : shown;
    }

    private void announce(Account changed) {
        announce(List.of(changed));
    }

    /** Tells this node at once, then every other node: one message, a line "{accountId} {epoch}" per account. */
    private void announce(List<Account> changed) {
        String message = changed.stream().map(a -> a.id() + " " + a.epoch()).collect(Collectors.joining("\n"));
        onMessage(OWNER_TOPIC, message);
        ClusterMessaging m = messaging.get();
        if (m != null) {
            m.publish(OWNER_TOPIC, message);
        }
    }

    /** Ownership changes announced by some node: one line "{accountId} {epoch}" per account. */
    @Override
    public void onMessage(String topic, String message) {
        if (!OWNER_TOPIC.equals(topic)) {
            return;
        }
        for (String line : message.split("\n")) {
            String[] parts = line.trim().split(" ");
            try {
                if (parts.length != 2) {
                    throw new IllegalArgumentException("expected '{accountId} {epoch}'");
                }
                UUID id = UUID.fromString(parts[0]);
                long epoch = Long.parseLong(parts[1]);
                announced.merge(id, epoch, Math::max);
                ownerCache.computeIfPresent(id, (k, cached) -> cached.account().epoch() >= epoch ? cached : null);
            } catch (IllegalArgumentException e) {
                LOG.warn("Ignoring malformed ownership notification '{}'", line);
            }
        }
    }

    @Override
    public Optional<Account> owner(UUID accountId) {
        long floor = announced.getOrDefault(accountId, 0L);
        Cached cached = ownerCache.get(accountId);
        long now = clock.millis();
        if (cached != null && cached.account().epoch() >= floor && now - cached.loadedAtMillis() < cacheTtl.toMillis()) {
            return Optional.of(cached.account());
        }
        Optional<Account> loaded = account(accountId);
        loaded.ifPresentOrElse(a -> {
            if (a.epoch() >= announced.getOrDefault(accountId, 0L)) {
                ownerCache.put(accountId, new Cached(a, now));
            }
        }, () -> ownerCache.remove(accountId));
        return loaded;
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

    private static Account accountRow(ResultSet rs) throws SQLException {
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
