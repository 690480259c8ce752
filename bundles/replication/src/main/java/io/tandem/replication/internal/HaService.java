package io.tandem.replication.internal;

import io.tandem.api.concurrent.Backoff;
import io.tandem.api.concurrent.Threads;
import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeRegistry;
import io.tandem.api.cluster.ClusterMessageListener;
import io.tandem.api.cluster.ClusterMessaging;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.AccountNames;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.Operation;
import io.tandem.api.directory.Replica;
import io.tandem.api.directory.Server;
import io.tandem.api.license.LicenseService;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.Role;
import io.tandem.api.replication.BrokerCheck;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import io.tandem.api.replication.Promotions;
import io.tandem.api.replication.ReplicaHealth;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The {@code ha:*} operations, on any node: every request is validated completely before anything is
 * changed; long ones run in the background as an {@link Operation} ({@code ha:monitor}).
 */
@Component(service = {HaService.class, Promotions.class, ReplicaHealth.class, ClusterMessageListener.class},
        configurationPid = ReplicationConfig.PID,
        property = ClusterMessageListener.TOPIC_PROPERTY + "=" + Topics.STATUS_REPLY)
public class HaService implements ClusterMessageListener, Promotions, ReplicaHealth {

    private static final Logger LOG = LoggerFactory.getLogger(HaService.class);
    static final String LICENSE_FEATURE = "ha_basic";
    static final String LICENSE_MODULE = "ZxHA";

    private final DirectoryAdminService directory;
    private final EventLog log;
    private final ClusterService cluster;
    private final ClusterMessaging messaging;
    private final LicenseService license;
    private final VolumeRegistry volumes;
    private final String node;
    private final ReplicationConfig config;
    private final ExecutorService background = Executors.newCachedThreadPool(Threads.named("tandem-ha-operation"));
    private final Map<UUID, Collector> collecting = new ConcurrentHashMap<>();

    @Activate
    public HaService(@Reference DirectoryAdminService directory, @Reference EventLog log, @Reference ClusterService cluster,
                     @Reference ClusterMessaging messaging, @Reference LicenseService license, @Reference VolumeRegistry volumes,
                     @Reference LocalNode local, ReplicationConfig config) {
        this.directory = directory;
        this.log = log;
        this.cluster = cluster;
        this.messaging = messaging;
        this.license = license;
        this.volumes = volumes;
        this.node = local.identity().name();
        this.config = config;
    }

    /** Promotions running on this node (the watchers of their take-overs), waited for on deactivation. */
    private final Set<ExecutorService> promoting = ConcurrentHashMap.newKeySet();

    /**
     * A promotion in flight finishes before the component goes (bundle update, feature upgrade, shutdown):
     * cut short after its directory compare-and-set, it would leave the account waiting for a marker until
     * an operator ran ha:promoteAccounts again. Bounded by promotion.timeout.seconds (decision 0014).
     */
    @Deactivate
    void deactivate() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(1, config.promotion_timeout_seconds()));
        try {
            for (ExecutorService pool : promoting) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !pool.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                    LOG.warn("A promotion was still running after {} s while Active Replica stopped: run ha:monitor, and "
                            + "ha:promoteAccounts again for the accounts it did not finish", config.promotion_timeout_seconds());
                    pool.shutdownNow();
                }
            }
            background.shutdown();
            background.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        background.shutdownNow();
    }

    // ------------------------------------------------------------------ validation helpers

    private List<Account> accounts(List<String> names) {
        List<Account> out = new ArrayList<>();
        for (String n : names) {
            out.add(directory.account(n).orElseThrow(() -> new IllegalArgumentException("unknown account " + n)));
        }
        return out;
    }

    private Server mailstore(String name, String what) {
        List<Server> servers = directory.servers();
        Server s = servers.stream().filter(x -> x.name().equals(name) || x.fqdn().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown " + what + " " + name + " (servers: "
                        + servers.stream().map(Server::name).collect(Collectors.joining(", ")) + ")"));
        if (!s.roles().contains(Role.MAILSTORE)) {
            throw new IllegalArgumentException(what + " " + name + " is not a Mailstore (roles: "
                    + s.roles().stream().map(Role::id).sorted().collect(Collectors.joining(",")) + ")");
        }
        return s;
    }

    private Set<String> liveMailstores() {
        return cluster.nodes(Role.MAILSTORE).stream().map(ClusterNode::name).collect(Collectors.toSet());
    }

    /** Every replica, one directory read, by account (each list preferred first, as the directory orders it). */
    private Map<UUID, List<Replica>> replicasByAccount() {
        return byAccount(directory.replicas());
    }

    private static Map<UUID, List<Replica>> byAccount(List<Replica> replicas) {
        return replicas.stream().collect(Collectors.groupingBy(Replica::accountId, LinkedHashMap::new, Collectors.toList()));
    }

    private void replicasChanged() {
        messaging.publish(Topics.REPLICAS, "");
    }

    // ------------------------------------------------------------------ setAccountDestination

    /** Adds {@code destination} as a replica of each account and starts their initial sync. */
    public Operation setAccountDestination(String destination, int priority, List<String> names) {
        if (priority < 0 || priority > 1_000_000) {
            throw new IllegalArgumentException("priority " + priority + " is not from 0 to 1000000");
        }
        String dest = mailstore(destination, "destination").name();
        List<Account> accounts = accounts(names);
        if (!log.enabled()) {
            throw new IllegalArgumentException("replication is disabled: set the brokers first (global:set brokers host1:9092,host2:9092,host3:9092)");
        }
        Volume primary = volumes.current(Volume.Kind.PRIMARY).orElseThrow(() ->
                new IllegalArgumentException("there is no current primary volume: replication needs a centralized one"));
        if (!primary.centralized()) {
            throw new IllegalArgumentException("the current primary volume " + primary.name() + " is not centralized: replicas read "
                    + "mail bodies from the source's volume, so it must be a centralized S3 volume (core:doCreateVolume ... centralized true)");
        }
        Map<UUID, List<Replica>> replicated = replicasByAccount();
        int added = 0;
        for (Account a : accounts) {
            if (a.mailHost().equals(dest)) {
                throw new IllegalArgumentException("destination " + dest + " is the source (mailHost) of " + a.name());
            }
            Optional<Replica> existing = replicated.getOrDefault(a.id(), List.of()).stream()
                    .filter(r -> r.destination().equals(dest)).findFirst();
            if (existing.isPresent()) {
                throw new IllegalArgumentException(a.name() + " already replicates to " + dest + " (priority "
                        + existing.get().priority() + ", " + existing.get().state() + ")");
            }
            if (!replicated.containsKey(a.id())) {
                added++;
            }
        }
        licensed(replicated.size(), added);
        Operation op = directory.startOperation("setAccountDestination", node, accounts.size(),
                accounts.size() + " account(s) to " + dest + " with priority " + priority);
        for (Account a : accounts) {
            directory.addReplica(a.id(), dest, priority, op.id());
        }
        replicasChanged();
        LOG.info("Operation {}: {} account(s) replicate to {} (priority {})", op.id(), accounts.size(), dest, priority);
        return op;
    }

    private void licensed(int inUse, int more) {
        LicenseService.LicenseInfo info = license.info();
        Optional<LicenseService.Feature> module = info.feature(LICENSE_MODULE);
        if (info.valid() && (module.isEmpty() || !module.get().enabled())) {
            throw new IllegalArgumentException("the license does not include the HA module (" + LICENSE_MODULE + "): see core:getLicenseInfo");
        }
        Optional<String> refusal = license.refusal(LICENSE_FEATURE, inUse, more);
        if (refusal.isPresent()) {
            throw new IllegalArgumentException("license: " + refusal.get());
        }
    }

    // ------------------------------------------------------------------ remove, pause, restart

    /** Removes {@code destination} from the accounts (all accounts replicated there when empty). */
    public int removeAccountDestination(String destination, List<String> names) {
        String dest = mailstore(destination, "destination").name();
        List<Replica> on = directory.replicasOn(dest);
        List<UUID> ids;
        if (names.isEmpty()) {
            ids = on.stream().map(Replica::accountId).toList();
        } else {
            Set<UUID> there = on.stream().map(Replica::accountId).collect(Collectors.toSet());
            ids = new ArrayList<>();
            for (Account a : accounts(names)) {
                if (!there.contains(a.id())) {
                    throw new IllegalArgumentException(a.name() + " does not replicate to " + dest);
                }
                ids.add(a.id());
            }
        }
        for (UUID id : ids) {
            directory.removeReplica(id, dest);
        }
        replicasChanged();
        return ids.size();
    }

    /** Pauses ({@code pause}) or restarts replication of the accounts; returns the replicas changed. */
    public int pauseOrRestart(List<String> names, boolean pause) {
        List<Account> accounts = accounts(names);
        Map<Account, List<Replica>> replicas = new LinkedHashMap<>();
        for (Account a : accounts) {
            List<Replica> rs = directory.replicas(a.id());
            if (rs.isEmpty()) {
                throw new IllegalArgumentException(a.name() + " has no replica");
            }
            replicas.put(a, rs);
        }
        int n = 0;
        for (List<Replica> rs : replicas.values()) {
            for (Replica r : rs) {
                // a restart re-initialises from a snapshot: what happened while paused (or before a failure) is in it
                directory.setReplicaState(r.accountId(), r.destination(), pause ? Replica.PAUSED : Replica.INITIALISING,
                        pause ? "paused by an operator" : "restarted by an operator");
                n++;
            }
        }
        replicasChanged();
        return n;
    }

    // ------------------------------------------------------------------ promotion

    /**
     * Promotes accounts (those of {@code names}, or every account hosted on {@code sourceHost}) to their
     * preferred available replica, or to {@code destination}.
     */
    public Operation promote(List<String> names, String sourceHost, String destination, int threads) {
        return promote(names, sourceHost, destination, threads, "promoteAccounts", false);
    }

    @Override
    public Operation finishTakeOvers(List<String> names, int threads, String kind) {
        return promote(java.util.Objects.requireNonNull(names, "names"), null, null, threads, kind, true);
    }

    @Override
    public Operation promoteAllOf(String sourceHost, int threads, String kind) {
        return promote(null, java.util.Objects.requireNonNull(sourceHost, "sourceHost"), null, threads, kind, false);
    }

    /** @param finishing prefer the owner's own in-sync copy: finish its take-over rather than move the account again */
    private Operation promote(List<String> names, String sourceHost, String destination, int threads, String kind,
                              boolean finishing) {
        if (threads < 1 || threads > 64) {
            throw new IllegalArgumentException("threads " + threads + " is not from 1 to 64");
        }
        List<Account> accounts;
        if (sourceHost != null) {
            String source = mailstore(sourceHost, "source_mail_host").name();
            accounts = directory.accountsOn(source);
        } else {
            accounts = accounts(names);
        }
        String dest = destination == null ? null : mailstore(destination, "destination").name();
        // one read of these accounts' replicas for the whole operation, not one per account or chunk
        Map<UUID, List<Replica>> replicas = byAccount(directory.replicasOf(accounts.stream().map(Account::id).toList()));
        if (dest != null) {
            for (Account a : accounts) {
                if (replicas.getOrDefault(a.id(), List.of()).stream().noneMatch(r -> r.destination().equals(dest))) {
                    throw new IllegalArgumentException(a.name() + " has no replica on " + dest);
                }
            }
        }
        if (!log.enabled()) {
            throw new IllegalArgumentException("replication is disabled: the global 'brokers' is not set");
        }
        Operation op = directory.startOperation(kind, node, accounts.size(), accounts.size() + " account(s)"
                + (sourceHost != null ? " of " + sourceHost : "") + (dest != null ? " to " + dest : " to their preferred replica"));
        if (accounts.isEmpty()) {
            return op;
        }
        // accounts go in chunks: one directory transaction moves a chunk's owners and its promotion markers are
        // appended together; one watcher then sees the take-overs of the whole operation with one directory read
        // per new owner and poll, so a failover of a thousand accounts costs a few dozen round trips, not
        // a dozen per account
        List<List<Account>> chunks = new ArrayList<>();
        int size = chunkSize(accounts.size(), threads);
        for (int i = 0; i < accounts.size(); i += size) {
            chunks.add(accounts.subList(i, Math.min(accounts.size(), i + size)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, chunks.size()), Threads.named("tandem-promote-" + op.id().toString().substring(0, 8)));
        TakeOvers takeOvers = new TakeOvers(op.id());
        for (List<Account> chunk : chunks) {
            pool.execute(() -> {
                try {
                    takeOvers.add(move(chunk, dest, op.id(), replicas, finishing));
                } catch (RuntimeException e) {
                    Map<Account, String> failures = new LinkedHashMap<>();
                    chunk.forEach(a -> failures.put(a, String.valueOf(e.getMessage())));
                    takeOvers.add(new Moved(failures, List.of()));
                }
            });
        }
        pool.shutdown();
        // the watcher outlives the movers: deactivation waits for it (decision 0014)
        ExecutorService watcher = Executors.newSingleThreadExecutor(Threads.named("tandem-promote-" + op.id().toString().substring(0, 8) + "-watch"));
        promoting.add(watcher);
        watcher.execute(() -> {
            try {
                takeOvers.watch(pool);
            } finally {
                promoting.remove(watcher);
            }
        });
        watcher.shutdown();
        return op;
    }

    /** First and longest pause between attempts to write promotion markers (jittered). */
    static final long MARKER_BACKOFF_MILLIS = 100;
    static final long MARKER_BACKOFF_MAX_MILLIS = 5_000;

    /** Accounts moved together at least: one ownership transaction, one batch of markers. */
    static final int PROMOTION_CHUNK = 50;
    /** At most this many in one chunk: the first accounts of a large failover become writable early. */
    static final int PROMOTION_CHUNK_MAX = 250;

    /**
     * Chunk size for {@code accounts} moved by {@code threads}: one chunk per thread when that keeps chunks between
     * {@link #PROMOTION_CHUNK} and {@link #PROMOTION_CHUNK_MAX}, since every chunk costs a transaction and a batch of
     * markers on the coordinator and a batch of take-overs on the new owner.
     */
    static int chunkSize(int accounts, int threads) {
        int perThread = (accounts + threads - 1) / threads;
        return Math.max(PROMOTION_CHUNK, Math.min(PROMOTION_CHUNK_MAX, perThread));
    }

    /** An account whose ownership moved and whose marker is written: the new owner takes it over next. */
    private record Pending(Account was, Account now, Replica target, long deadlineNanos) {
    }

    /** What {@link #move} did with a chunk: accounts that will not be promoted (with why), and those pending. */
    private record Moved(Map<Account, String> failures, List<Pending> pending) {
    }

    /**
     * Moves accounts, each to its preferred available replica or to {@code explicit}: ownership by compare-and-set,
     * then a promotion marker per account into the log. The new owner takes an account over once it has applied
     * everything before the marker, and then deletes its replica row ({@link TakeOvers} waits for that).
     */
    private Moved move(List<Account> accounts, String explicit, UUID operationId, Map<UUID, List<Replica>> replicas,
                       boolean finishing) {
        Map<Account, String> failures = new LinkedHashMap<>();
        Set<String> live = liveMailstores();
        // a copy on a Mailstore whose applier is stalled would never apply its marker: never a target (it may still
        // be the one to finish a take-over it claimed, decision 0027)
        Set<String> stalled = stalledMailstores();
        Set<String> available = live.stream().filter(n -> !stalled.contains(n)).collect(Collectors.toUnmodifiableSet());
        List<Account> staying = new ArrayList<>();      // already owned by the chosen replica (a promotion run again)
        List<Account> returning = new ArrayList<>();    // given back to their claimant
        List<Account> moving = new ArrayList<>();
        Map<UUID, Replica> targets = new HashMap<>();
        for (Account account : accounts) {
            List<Replica> rs = replicas.getOrDefault(account.id(), List.of());
            Replica target;
            if (explicit != null) {
                target = rs.stream().filter(r -> r.destination().equals(explicit)).findFirst().orElse(null);
                if (target == null) {
                    failures.put(account, "no replica on " + explicit);
                    continue;
                }
                if (!target.inSync() || !available.contains(explicit)) {
                    failures.put(account, "replica on " + explicit + " is not available (" + describe(target, live, stalled) + ")");
                    continue;
                }
            } else {
                Replica own = rs.stream().filter(r -> r.destination().equals(account.mailHost())).findFirst().orElse(null);
                if (finishing && own == null) {
                    // taken over meanwhile: the marker again is harmless (ignored) and the watcher sees it done
                    targets.put(account.id(), new Replica(account.id(), account.mailHost(), 0, Replica.IN_SYNC, "", null, 0));
                    staying.add(account);
                    continue;
                }
                if (finishing && (available.contains(own.destination()) && own.inSync()
                        || live.contains(own.destination()) && account.claimed())) {
                    // finish this take-over rather than move the account once more; an owner that claimed its epoch
                    // may have acknowledged changes under it, so its copy is the one to finish, in sync or not
                    target = own;
                } else {
                    String skip = finishing ? account.mailHost() : null;
                    target = preferred(rs, available, skip);
                    if (target == null) {
                        // only copies whose applier is stalled are left: one of them still beats none (as before
                        // stalls were seen), it takes the account over when its applier moves again (a restart)
                        target = preferred(rs, live, skip);
                        if (target == null && finishing && live.contains(own.destination()) && own.inSync()) {
                            target = own;
                        }
                        if (target != null) {
                            LOG.warn("{}: its only in-sync copies are on Mailstores whose replica applier is stalled ({}): "
                                    + "promoted to {} all the same, which takes it over once its applier moves again",
                                    account.name(), String.join(", ", stalled), target.destination());
                        }
                    }
                }
                if (target == null) {
                    Replica claimant = account.claimantCopy(rs, live).orElse(null);
                    if (claimant != null) {
                        // nothing was acknowledged under an epoch its owner never claimed: the claimant's copy holds
                        // every acknowledged change, in sync or not (decision 0027)
                        targets.put(account.id(), claimant);
                        returning.add(account);
                        continue;
                    }
                    failures.put(account, rs.isEmpty() ? "no replica" : "no available replica ("
                            + rs.stream().map(r -> describe(r, live, stalled)).collect(Collectors.joining("; ")) + ")");
                    continue;
                }
            }
            targets.put(account.id(), target);
            (account.mailHost().equals(target.destination()) ? staying : moving).add(account);
        }
        List<Account> moved = directory.changeOwners(moving.stream().map(a -> new DirectoryAdminService.OwnerChange(
                a.id(), a.mailHost(), a.epoch(), targets.get(a.id()).destination())).toList());
        Map<Account, Account> owned = new LinkedHashMap<>(); // as it was -> as it is now
        for (int i = 0; i < moving.size(); i++) {
            if (moved.get(i) == null) {
                failures.put(moving.get(i), "ownership changed meanwhile (see ha:getAccountStatus accounts " + moving.get(i).name() + ")");
            } else {
                owned.put(moving.get(i), moved.get(i));
            }
        }
        Map<UUID, Long> returnEpochs = new HashMap<>();
        List<Account> given = returning.isEmpty() ? List.of() : directory.giveBack(returning.stream().map(a ->
                new DirectoryAdminService.OwnerChange(a.id(), a.mailHost(), a.epoch(), a.claimedHost())).toList());
        for (int i = 0; i < returning.size(); i++) {
            Account was = returning.get(i);
            if (given.get(i) == null) {
                failures.put(was, "ownership changed meanwhile (see ha:getAccountStatus accounts " + was.name() + ")");
            } else {
                owned.put(was, given.get(i));
                returnEpochs.put(was.id(), was.claimedEpoch());
                restartFailed(was, replicas.getOrDefault(was.id(), List.of()));
                LOG.warn("{}: no in-sync copy on a live Mailstore and {} never took it over under epoch {}: given back to {}, "
                        + "its claimant under epoch {}", was.name(), was.mailHost(), was.epoch(), was.claimedHost(), was.claimedEpoch());
            }
        }
        staying.forEach(a -> owned.put(a, a));
        rejoinBeforeMarkers(moving, moved, targets);
        if (owned.isEmpty()) {
            return new Moved(failures, List.of());
        }
        fenceVanishedOwners(owned, live);
        Map<String, byte[]> markers = new LinkedHashMap<>();
        long now = System.currentTimeMillis();
        owned.forEach((was, is) -> markers.put(is.id().toString(), EventCodec.encode(new Event.Promotion(is.id(), is.epoch(),
                is.mailHost(), was.mailHost(), operationId, now, returnEpochs.getOrDefault(is.id(), 0L)))));
        // the ownership has moved: until the markers are in the log the new owner refuses the accounts' writes, so
        // they are retried with a growing, jittered back-off for as long as a take-over may take
        EventLogException last = null;
        long markersDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.promotion_timeout_seconds());
        Backoff backoff = new Backoff(MARKER_BACKOFF_MILLIS, MARKER_BACKOFF_MAX_MILLIS);
        while (true) {
            try {
                log.appendAll(markers); // a marker written twice is harmless: the second finds the account taken over
                last = null;
                break;
            } catch (EventLogException e) {
                last = e;
            }
            long wait = backoff.next();
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(wait) >= markersDeadline) {
                break;
            }
            LOG.warn("Promotion markers of {} account(s) not written ({}): next try in {} ms", markers.size(), last.getMessage(), wait);
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (last != null) {
            for (Account is : owned.values()) {
                failures.put(is, "ownership moved to " + is.mailHost() + " (epoch " + is.epoch() + ") but the promotion marker was not written ("
                        + last.getMessage() + "): the failover coordinator promotes it again (or run ha:promoteAccounts for it)");
            }
            return new Moved(failures, List.of());
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.promotion_timeout_seconds());
        List<Pending> pending = new ArrayList<>();
        owned.forEach((was, is) -> pending.add(new Pending(was, is, targets.get(is.id()), deadline)));
        return new Moved(failures, pending);
    }

    /** The copy of an owner that could not take over and stopped re-syncs from the claimant the account went back to. */
    private void restartFailed(Account was, List<Replica> replicas) {
        replicas.stream().filter(r -> r.destination().equals(was.mailHost()) && Replica.FAILED.equals(r.state())).findFirst()
                .ifPresent(r -> directory.setReplicaState(r.accountId(), r.destination(), Replica.INITIALISING,
                        "given back to " + was.claimedHost() + " after this copy could not take it over: re-syncing from it"));
    }

    /**
     * The former owners of the accounts just moved become their replicas (initialising, with the priority of the
     * copy promoted) before any promotion marker is written: so a marker written again later (a take-over
     * finished by the coordinator names the owner as its own predecessor) cannot forget them. The new owner's
     * take-over adds them too, for promotions made by an earlier version.
     */
    private void rejoinBeforeMarkers(List<Account> moving, List<Account> moved, Map<UUID, Replica> targets) {
        List<Replica> rows = new ArrayList<>();
        for (int i = 0; i < moving.size(); i++) {
            if (moved.get(i) != null) {
                Account was = moving.get(i);
                rows.add(new Replica(was.id(), was.mailHost(), targets.get(was.id()).priority(), Replica.INITIALISING, "", null, 0));
            }
        }
        if (!rows.isEmpty()) {
            try {
                directory.addReplicas(rows);
            } catch (RuntimeException e) {
                LOG.warn("Former owners of {} account(s) not made replicas yet ({}): the new owners' take-overs add them "
                        + "(add any still missing with ha:setAccountDestination)", rows.size(), e.getMessage());
            }
        }
    }

    /**
     * Waits for the take-overs of one promotion operation and counts them: one directory read per new owner
     * and poll for all the accounts still pending (the former owners are replicas already: {@link
     * #rejoinBeforeMarkers}); one replica announcement at the end (every Mailstore re-reads its replica rows on each announcement).
     */
    private final class TakeOvers {
        private final UUID operationId;
        private final java.util.concurrent.ConcurrentLinkedQueue<Moved> arrived = new java.util.concurrent.ConcurrentLinkedQueue<>();
        private final Map<UUID, Pending> waiting = new LinkedHashMap<>();

        TakeOvers(UUID operationId) {
            this.operationId = operationId;
        }

        void add(Moved moved) {
            arrived.add(moved);
        }

        void watch(ExecutorService movers) {
            try {
                long pause = 1; // a take-over usually takes a few ms: look again soon, then less and less often
                while (true) {
                    boolean moversDone = movers.isTerminated();
                    Map<Account, String> failures = new LinkedHashMap<>();
                    for (Moved m; (m = arrived.poll()) != null; ) {
                        failures.putAll(m.failures());
                        m.pending().forEach(p -> waiting.put(p.now().id(), p));
                        pause = 1;
                    }
                    List<Pending> done = poll(failures);
                    count(done.size(), failures);
                    if (moversDone && arrived.isEmpty() && waiting.isEmpty()) {
                        break;
                    }
                    if (waiting.isEmpty()) {
                        movers.awaitTermination(20, TimeUnit.MILLISECONDS);
                    } else {
                        Thread.sleep(pause); // polling the directory: the take-over is recorded there by the new owner
                        pause = Math.min(50, pause * 2);
                    }
                }
                replicasChanged();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                movers.shutdownNow();
                Map<Account, String> failures = new LinkedHashMap<>();
                waiting.values().forEach(p -> failures.put(p.was(), "interrupted"));
                count(0, failures);
            }
        }

        /** @return the pending accounts taken over since the last poll; failed ones go into {@code failures} */
        private List<Pending> poll(Map<Account, String> failures) {
            List<Pending> done = new ArrayList<>();
            if (waiting.isEmpty()) {
                return done;
            }
            long now = System.nanoTime();
            for (String to : waiting.values().stream().map(p -> p.target().destination()).collect(Collectors.toSet())) {
                Map<UUID, Replica> rows = new HashMap<>();
                directory.replicasOn(to).forEach(r -> rows.put(r.accountId(), r));
                for (var it = waiting.values().iterator(); it.hasNext(); ) {
                    Pending p = it.next();
                    if (!p.target().destination().equals(to)) {
                        continue;
                    }
                    Replica row = rows.get(p.now().id());
                    if (row == null) {
                        LOG.info("Promoted {} from {} to {} (epoch {})", p.was().name(), p.was().mailHost(), to, p.now().epoch());
                        done.add(p);
                        it.remove();
                    } else if (Replica.FAILED.equals(row.state())) {
                        failures.put(p.was(), "new owner " + to + " could not take over: " + row.detail());
                        it.remove();
                    } else if (now >= p.deadlineNanos()) {
                        failures.put(p.was(), "new owner " + to + " did not take over within " + config.promotion_timeout_seconds()
                                + " s (is it applying the log?)");
                        it.remove();
                    }
                }
            }
            return done;
        }

        private void count(int done, Map<Account, String> failures) {
            if (done == 0 && failures.isEmpty()) {
                return;
            }
            String lines = failures.entrySet().stream().map(f -> f.getKey().name() + ": " + f.getValue())
                    .collect(Collectors.joining("\n"));
            Progress.count(directory, operationId, done, failures.size(), lines.isEmpty() ? null : lines);
        }
    }

    /**
     * Fences the log writer of every former owner that is not in the cluster (dead, frozen, cut off), before the
     * markers: a change it wrote and had not committed is discarded now, so the replicas do not wait for its
     * transaction's time-out to read past it to the markers, and it can no longer commit it (decision 0024). Not
     * needed for safety (such a change is either committed before the markers or never), so a failure only
     * delays the take-over. A former owner still in the cluster finishes its own transactions.
     */
    private void fenceVanishedOwners(Map<Account, Account> owned, Set<String> live) {
        Set<String> vanished = new java.util.TreeSet<>();
        owned.forEach((was, is) -> {
            if (!was.mailHost().equals(is.mailHost()) && !live.contains(was.mailHost()) && !was.mailHost().equals(node)) {
                vanished.add(was.mailHost());
            }
        });
        for (String former : vanished) {
            try {
                log.fence(former, java.time.Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                LOG.warn("Could not fence the log writer of {} ({}): its accounts' new owners may wait for its open"
                        + " changes to time out before they take over", former, e.getMessage());
            }
        }
    }

    /** The preferred in-sync copy on one of {@code on}, other than on {@code skip} (may be null); null when none. */
    private static Replica preferred(List<Replica> rs, Set<String> on, String skip) {
        return rs.stream().filter(r -> r.inSync() && on.contains(r.destination()) && !r.destination().equals(skip))
                .min(Comparator.comparingInt(Replica::priority).thenComparing(Replica::destination)).orElse(null);
    }

    private static String describe(Replica r, Set<String> live, Set<String> stalled) {
        return r.destination() + " " + r.state() + (r.detail().isEmpty() ? "" : " (" + r.detail() + ")")
                + (live.contains(r.destination()) ? "" : ", not in the cluster")
                + (stalled.contains(r.destination()) ? ", its replica applier is stalled" : "");
    }

    // ------------------------------------------------------------------ status

    /** Asks every live Mailstore for its replication status; waits for all of them, at most the configured time. */
    public Map<String, NodeStatus> collect() {
        return collect(false, config.status_timeout_ms());
    }

    /** How long a promotion waits at most for the Mailstores to say whether their applier is stalled. */
    static final long TARGET_STATUS_WAIT_MILLIS = 1000;

    /**
     * The live Mailstores whose replica applier is stalled (a call that does not return: their copies, in-sync
     * rows or not, are not kept up). A Mailstore that does not answer in time is not counted: it may be busy.
     */
    private Set<String> stalledMailstores() {
        try {
            return collect(true, Math.min(config.status_timeout_ms(), TARGET_STATUS_WAIT_MILLIS)).values().stream()
                    .filter(NodeStatus::stalled).map(NodeStatus::node).collect(Collectors.toSet());
        } catch (RuntimeException e) {
            // best effort: a promotion never fails for want of this look (none is counted as stalled)
            LOG.warn("Whether a Mailstore's replica applier is stalled is not known ({}): none is excluded", e.toString());
            return Set.of();
        }
    }

    /** Asks every live Mailstore for its status ({@code light}: without its mailboxes), waiting at most {@code waitMillis}. */
    private Map<String, NodeStatus> collect(boolean light, long waitMillis) {
        Set<String> expected = liveMailstores();
        UUID id = UUID.randomUUID();
        Collector c = new Collector(expected);
        collecting.put(id, c);
        try {
            messaging.publish(Topics.STATUS_REQUEST, id + (light ? " " + Topics.LIGHT : ""));
            c.done.await(waitMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            collecting.remove(id);
        }
        return Map.copyOf(c.replies);
    }

    @Override
    public void onMessage(String topic, String message) {
        try {
            NodeStatus s = NodeStatus.decode(message);
            Collector c = collecting.get(s.requestId());
            if (c != null) {
                c.add(s);
            }
        } catch (RuntimeException e) {
            LOG.debug("Ignored a malformed status reply: {}", e.toString());
        }
    }

    private static final class Collector {
        final Set<String> waiting;
        final Map<String, NodeStatus> replies = new ConcurrentHashMap<>();
        final CountDownLatch done = new CountDownLatch(1);

        Collector(Set<String> expected) {
            this.waiting = ConcurrentHashMap.newKeySet();
            this.waiting.addAll(expected);
            if (expected.isEmpty()) {
                done.countDown();
            }
        }

        void add(NodeStatus s) {
            replies.put(s.node(), s);
            waiting.remove(s.node());
            if (waiting.isEmpty()) {
                done.countDown();
            }
        }
    }

    /** Filters of {@code ha:getAccountStatus}; null or empty means any. */
    public record StatusQuery(String mailHost, String replicaServer, List<String> accounts, List<String> domains,
                              String accountStatus, String replicaStatus) {
    }

    /** {@code accountStatus unprotected}: replicated accounts none of whose copies is available. */
    static final String UNPROTECTED = "unprotected";

    @Override
    public List<String> unprotectedAccounts() {
        return unprotected(status(new StatusQuery(null, null, List.of(), List.of(), null, null)));
    }

    /** Both views of every replica copy from one collection of the Mailstores' status ({@code cluster:check}). */
    @Override
    public Summary summary() {
        List<AccountStatus> all = status(new StatusQuery(null, null, List.of(), List.of(), null, null));
        return new Summary(byMailstore(all), unprotected(all));
    }

    /** The accounts of {@code all} none of whose copies is available, by name. */
    private static List<String> unprotected(List<AccountStatus> all) {
        return all.stream().filter(a -> a.replicas().stream().noneMatch(AccountStatus.ReplicaStatus::available))
                .map(AccountStatus::accountName).sorted().toList();
    }

    public List<AccountStatus> status(StatusQuery q) {
        if (q.accountStatus() != null && !Set.of("active", "paused", UNPROTECTED).contains(q.accountStatus())) {
            throw new IllegalArgumentException("accountStatus '" + q.accountStatus() + "' is not active, paused or " + UNPROTECTED);
        }
        if (q.replicaStatus() != null && !Set.of("available", "unavailable").contains(q.replicaStatus())) {
            throw new IllegalArgumentException("replicaStatus '" + q.replicaStatus() + "' is not available or unavailable");
        }
        Map<UUID, List<Replica>> replicated = replicasByAccount();
        List<Account> accounts;
        if (!q.accounts().isEmpty()) {
            accounts = accounts(q.accounts());
        } else {
            accounts = directory.accounts(null).stream().filter(a -> replicated.containsKey(a.id())).toList();
        }
        Set<String> domains = new HashSet<>();
        for (String d : q.domains()) {
            domains.add(AccountNames.domain(d));
        }
        Map<String, NodeStatus> nodes = collect();
        Map<String, Map<UUID, NodeStatus.Box>> boxes = new HashMap<>();
        nodes.forEach((n, s) -> boxes.put(n, s.boxes().stream().collect(Collectors.toMap(NodeStatus.Box::accountId, b -> b, (a, b) -> a))));
        Set<String> live = liveMailstores();
        long now = System.currentTimeMillis();
        List<AccountStatus> out = new ArrayList<>();
        for (Account a : accounts) {
            if (q.mailHost() != null && !a.mailHost().equals(q.mailHost())) {
                continue;
            }
            if (!domains.isEmpty() && !domains.contains(a.domain())) {
                continue;
            }
            List<Replica> rs = replicated.getOrDefault(a.id(), List.of());
            if (q.replicaServer() != null) {
                rs = rs.stream().filter(r -> r.destination().equals(q.replicaServer())).toList();
                if (rs.isEmpty()) {
                    continue;
                }
            }
            boolean paused = !rs.isEmpty() && rs.stream().allMatch(Replica::paused);
            if (q.accountStatus() != null && !q.accountStatus().equals(UNPROTECTED) && paused != q.accountStatus().equals("paused")) {
                continue;
            }
            NodeStatus.Box source = boxes.getOrDefault(a.mailHost(), Map.of()).get(a.id());
            List<AccountStatus.ReplicaStatus> replicaStatus = new ArrayList<>();
            for (Replica r : rs) {
                NodeStatus ns = nodes.get(r.destination());
                NodeStatus.Box copy = ns == null ? null : boxes.get(r.destination()).get(a.id());
                // the owner's own row (a take-over not finished) is no copy to fail over to
                boolean available = r.inSync() && live.contains(r.destination()) && ns != null && !ns.stalled()
                        && !r.destination().equals(a.mailHost());
                long lagEvents = source != null && copy != null ? Math.max(0, source.sequence() - copy.sequence()) : -1;
                long lagMillis = lagEvents == 0 ? 0 : copy != null && copy.lastCommitMillis() > 0 ? now - copy.lastCommitMillis() : -1;
                // an in-sync replica that has not applied the primary's latest changes yet shows as behind
                // and one whose node's applier is stalled, as stalled (its row cannot say it: the applier writes it)
                String state = r.inSync() && ns != null && ns.stalled() ? NodeStatus.STALLED
                        : r.inSync() && lagEvents > 0 ? "behind" : r.state();
                replicaStatus.add(new AccountStatus.ReplicaStatus(a.id(), r.destination(), r.priority(), state, r.detail(),
                        available, ns != null && ns.logConnected(), copy == null ? -1 : copy.mailboxId(),
                        copy == null ? -1 : copy.sequence(), copy == null ? -1 : copy.itemId(), lagEvents, lagMillis,
                        copy == null ? 0 : copy.lastAppliedMillis(), copy == null ? 0 : copy.fenced()));
            }
            if (UNPROTECTED.equals(q.accountStatus()) && replicaStatus.stream().anyMatch(AccountStatus.ReplicaStatus::available)) {
                continue;
            }
            if (q.replicaStatus() != null) {
                boolean want = q.replicaStatus().equals("available");
                replicaStatus = replicaStatus.stream().filter(r -> r.available() == want).toList();
                if (replicaStatus.isEmpty()) {
                    continue;
                }
            }
            out.add(new AccountStatus(a.id(), a.name(), a.mailHost(), a.epoch(), paused, source == null ? -1 : source.mailboxId(),
                    source == null ? -1 : source.sequence(), source == null ? -1 : source.itemId(),
                    nodes.containsKey(a.mailHost()), replicaStatus));
        }
        return out;
    }

    /** Every replica copy of {@link #status} (no filter), counted per destination Mailstore. */
    @Override
    public List<MailstoreReplicas> replicasByMailstore() {
        return byMailstore(status(new StatusQuery(null, null, List.of(), List.of(), null, null)));
    }

    private List<MailstoreReplicas> byMailstore(List<AccountStatus> all) {
        java.util.TreeMap<String, List<AccountStatus.ReplicaStatus>> byDestination = new java.util.TreeMap<>();
        Map<UUID, String> names = new HashMap<>();
        for (AccountStatus a : all) {
            names.put(a.accountId(), a.accountName());
            for (AccountStatus.ReplicaStatus r : a.replicas()) {
                byDestination.computeIfAbsent(r.destination(), d -> new ArrayList<>()).add(r);
            }
        }
        Set<String> live = liveMailstores();
        List<MailstoreReplicas> out = new ArrayList<>();
        byDestination.forEach((destination, copies) -> {
            int inSync = 0, behind = 0, failed = 0, initialising = 0, paused = 0;
            long maxLagEvents = 0, maxLagMillis = 0;
            List<String> problems = new ArrayList<>();
            for (AccountStatus.ReplicaStatus r : copies) {
                switch (r.state()) {
                    case Replica.IN_SYNC -> inSync++;
                    case "behind" -> {
                        behind++;
                        maxLagEvents = r.lagEvents() < 0 || maxLagEvents < 0 ? -1 : Math.max(maxLagEvents, r.lagEvents());
                        maxLagMillis = r.lagMillis() < 0 || maxLagMillis < 0 ? -1 : Math.max(maxLagMillis, r.lagMillis());
                    }
                    case Replica.FAILED -> {
                        failed++;
                        if (problems.size() < 5) {
                            problems.add(names.get(r.accountId()) + ": " + (r.detail().isEmpty() ? "failed" : r.detail()));
                        }
                    }
                    case Replica.PAUSED -> paused++;
                    default -> initialising++;
                }
            }
            out.add(new MailstoreReplicas(destination, live.contains(destination), inSync, behind, failed,
                    initialising, paused, maxLagEvents, maxLagMillis, problems));
        });
        return out;
    }

    /** One line per live Mailstore: its replication services. */
    public List<NodeStatus> services() {
        Map<String, NodeStatus> nodes = collect();
        List<NodeStatus> out = new ArrayList<>(nodes.values());
        out.sort(Comparator.comparing(NodeStatus::node));
        return out;
    }

    public Set<String> mailstoresWithoutAnswer(Map<String, NodeStatus> answered) {
        Set<String> missing = new HashSet<>(liveMailstores());
        missing.removeAll(answered.keySet());
        return missing;
    }

    public Optional<Operation> operation(UUID id) {
        return directory.operation(id);
    }

    public List<Operation> operations(int limit) {
        return directory.operations(limit);
    }

    public List<BrokerCheck> test(List<String> brokers) {
        return log.test(brokers, Duration.ofSeconds(5));
    }

    public EventLog log() {
        return log;
    }
}
