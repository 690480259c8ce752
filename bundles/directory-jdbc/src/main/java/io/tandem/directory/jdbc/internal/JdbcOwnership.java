package io.tandem.directory.jdbc.internal;

import io.tandem.jdbc.support.Batches;
import io.tandem.api.cluster.ClusterMessaging;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryAdminService.OwnerChange;
import io.tandem.api.directory.OwnershipConflictException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static io.tandem.directory.jdbc.internal.JdbcDirectory.ACCOUNT_COLUMNS;
import static io.tandem.directory.jdbc.internal.JdbcDirectory.host;
import static io.tandem.directory.jdbc.internal.JdbcDirectory.requireMailstore;

/**
 * Ownership of accounts in the directory: the compare-and-sets that move an account ({@code mail_host},
 * {@code epoch}), the claim of an epoch and the give-back of an unclaimed one (decision 0027), and the owner
 * cache. After a change every node is told through the cluster topic {@value #OWNER_TOPIC}, and the owner
 * cache never answers with an epoch older than the last such notification (plus a TTL as a safety net for
 * notifications lost in a partition). Part of {@link JdbcDirectory}, which delegates to it.
 */
final class JdbcOwnership {

    static final String OWNER_TOPIC = "tandem.directory.owner";
    private static final Logger LOG = LoggerFactory.getLogger(JdbcOwnership.class);

    private final Sql sql;
    private final Supplier<ClusterMessaging> messaging;
    private final Duration cacheTtl;
    private final Clock clock;
    private final Function<UUID, Optional<Account>> accountRows;
    private final Map<UUID, Cached> ownerCache = new ConcurrentHashMap<>();
    /** Highest epoch announced per account: the cache never serves anything older. */
    private final Map<UUID, Long> announced = new ConcurrentHashMap<>();

    private record Cached(Account account, long loadedAtMillis) {
    }

    /** @param accountRows reads an account's row (the owner cache's source) */
    JdbcOwnership(Sql sql, Supplier<ClusterMessaging> messaging, Duration cacheTtl, Clock clock,
                  Function<UUID, Optional<Account>> accountRows) {
        this.sql = sql;
        this.messaging = messaging;
        this.cacheTtl = cacheTtl;
        this.clock = clock;
        this.accountRows = accountRows;
    }

    /** A deleted account leaves the owner cache. */
    void forget(UUID id) {
        ownerCache.remove(id);
    }

    private Optional<Account> account(UUID id) {
        return accountRows.apply(id);
    }

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
}
