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

    private static final String REPLICA_COLUMNS = "account_id, destination, priority, state, detail, operation_id, updated_ms";

    private static Replica replicaRow(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Replica(rs.getObject(1, UUID.class), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getString(5),
                rs.getObject(6, UUID.class), rs.getLong(7));
    }

    @Override
    public List<Replica> replicas(UUID accountId) {
        return sql.list("SELECT " + REPLICA_COLUMNS + " FROM replicas WHERE account_id = ? ORDER BY priority, destination",
                JdbcDirectory::replicaRow, accountId);
    }

    @Override
    public List<Replica> replicasOn(String destination) {
        return sql.list("SELECT " + REPLICA_COLUMNS + " FROM replicas WHERE destination = ? ORDER BY account_id",
                JdbcDirectory::replicaRow, destination);
    }

    @Override
    public List<Replica> replicas() {
        return sql.list("SELECT " + REPLICA_COLUMNS + " FROM replicas ORDER BY account_id, priority, destination",
                JdbcDirectory::replicaRow);
    }

    @Override
    public List<Replica> unfinishedTakeOvers() {
        return sql.list("SELECT r.account_id, r.destination, r.priority, r.state, r.detail, r.operation_id, r.updated_ms"
                + " FROM replicas r JOIN accounts a ON a.id = r.account_id AND a.mail_host = r.destination ORDER BY r.account_id",
                JdbcDirectory::replicaRow);
    }

    @Override
    public List<Replica> replicasOf(Collection<UUID> accountIds) {
        List<UUID> ids = List.copyOf(new java.util.LinkedHashSet<>(accountIds));
        List<Replica> out = new ArrayList<>();
        for (int i = 0; i < ids.size(); i += IN_LIST) { // bounded IN lists: one query per thousand accounts
            Object[] part = ids.subList(i, Math.min(ids.size(), i + IN_LIST)).toArray();
            out.addAll(sql.list("SELECT " + REPLICA_COLUMNS + " FROM replicas WHERE account_id IN (" + Batches.placeholders(part.length)
                    + ") ORDER BY account_id, priority, destination", JdbcDirectory::replicaRow, part));
        }
        return out;
    }

    /** At most this many values in one IN list. */
    private static final int IN_LIST = 1000;

    @Override
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

    @Override
    public boolean removeReplica(UUID accountId, String destination) {
        return sql.tx(c -> Sql.update(c, "DELETE FROM replicas WHERE account_id = ? AND destination = ?", accountId, destination) > 0);
    }

    @Override
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

    @Override
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

    @Override
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

    @Override
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
                    JdbcDirectory::replicaRow, expected.accountId(), destination);
        });
    }

    @Override
    public Optional<Replica> setReplicaState(UUID accountId, String destination, String state, String detail) {
        Objects.requireNonNull(state, "state");
        String d = detail == null ? "" : detail.length() > 1000 ? detail.substring(0, 1000) : detail;
        long now = clock.millis();
        return sql.tx(c -> {
            // updated_ms always moves forward, so an applier that saw the row before tells every change apart
            Sql.update(c, "UPDATE replicas SET state = ?, detail = ?, updated_ms = CASE WHEN updated_ms >= ? THEN updated_ms + 1 ELSE ? END"
                    + " WHERE account_id = ? AND destination = ?", state, d, now, now, accountId, destination);
            return Sql.one(c, "SELECT " + REPLICA_COLUMNS + " FROM replicas WHERE account_id = ? AND destination = ?",
                    JdbcDirectory::replicaRow, accountId, destination);
        });
    }

    private static final String OPERATION_COLUMNS = "id, kind, node, state, total, done, failed, detail, created_ms, updated_ms";

    private static Operation operationRow(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Operation(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                rs.getInt(6), rs.getInt(7), rs.getString(8), Instant.ofEpochMilli(rs.getLong(9)), Instant.ofEpochMilli(rs.getLong(10)));
    }

    @Override
    public Operation startOperation(String kind, String node, int total, String detail) {
        Objects.requireNonNull(kind, "kind");
        if (total < 0) {
            throw new IllegalArgumentException("operation total " + total + " is negative");
        }
        UUID id = UUID.randomUUID();
        long now = clock.millis();
        String state = total == 0 ? Operation.DONE : Operation.RUNNING;
        String d = clip(detail == null ? "" : detail);
        return sql.tx(c -> {
            Sql.update(c, "INSERT INTO operations (" + OPERATION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?, ?)",
                    id, kind, node, state, total, d, now, now);
            return new Operation(id, kind, node, state, total, 0, 0, d, Instant.ofEpochMilli(now), Instant.ofEpochMilli(now));
        });
    }

    @Override
    public Progress progress(UUID operationId, int done, int failed, String line) {
        long now = clock.millis();
        return sql.tx(c -> {
            Operation op = Sql.one(c, "SELECT " + OPERATION_COLUMNS + " FROM operations WHERE id = ? FOR UPDATE",
                    JdbcDirectory::operationRow, operationId)
                    .orElseThrow(() -> new IllegalArgumentException("no such operation " + operationId));
            int nd = op.done() + done;
            int nf = op.failed() + failed;
            String detail = line == null || line.isBlank() ? op.detail() : clip(op.detail().isEmpty() ? line : op.detail() + "\n" + line);
            boolean finishes = !op.finished() && nd + nf >= op.total();
            String state = finishes ? (nf > 0 ? Operation.FAILED : Operation.DONE) : op.state();
            Sql.update(c, "UPDATE operations SET done = ?, failed = ?, detail = ?, state = ?, updated_ms = ? WHERE id = ?",
                    nd, nf, detail, state, now, operationId);
            return new Progress(new Operation(op.id(), op.kind(), op.node(), state, op.total(), nd, nf, detail, op.created(),
                    Instant.ofEpochMilli(now)), finishes);
        });
    }

    private static String clip(String s) {
        return s.length() > 8000 ? s.substring(0, 7990) + "\n..." : s;
    }

    @Override
    public Optional<Operation> operation(UUID id) {
        return sql.list("SELECT " + OPERATION_COLUMNS + " FROM operations WHERE id = ?", JdbcDirectory::operationRow, id)
                .stream().findFirst();
    }

    @Override
    public List<Operation> operations(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + " must be >= 1");
        }
        return sql.list("SELECT " + OPERATION_COLUMNS + " FROM operations ORDER BY created_ms DESC", JdbcDirectory::operationRow)
                .stream().limit(limit).toList();
    }

    @Override
    public List<Notification> notifications(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + " must be >= 1");
        }
        return sql.list("SELECT id, created_ms, severity, subject, body FROM notifications ORDER BY id DESC",
                rs -> new Notification(rs.getLong(1), Instant.ofEpochMilli(rs.getLong(2)),
                        Notification.Severity.valueOf(rs.getString(3)), rs.getString(4), rs.getString(5)))
                .stream().limit(limit).toList();
    }

    @Override
    public Notification notify(Notification.Severity severity, String subject, String body) {
        Objects.requireNonNull(severity, "severity");
        if (subject == null || subject.isBlank() || subject.length() > 255) {
            throw new IllegalArgumentException("notification subject must be 1..255 characters");
        }
        String b = body == null ? "" : body.length() > 8000 ? body.substring(0, 8000) : body;
        long now = clock.millis();
        return sql.tx(c -> {
            long id = Sql.insert(c, "id", "INSERT INTO notifications (created_ms, severity, subject, body) VALUES (?, ?, ?, ?)",
                    now, severity.name(), subject, b);
            return new Notification(id, Instant.ofEpochMilli(now), severity, subject, b);
        });
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

    private static String host(String host) {
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
