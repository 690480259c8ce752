package io.tandem.replication.internal;

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
    private final Promoter promoter;

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
        this.promoter = new Promoter(directory, log, node, config, this::liveMailstores, this::stalledMailstores, this::replicasChanged);
    }

    /**
     * A promotion in flight finishes before the component goes (bundle update, feature upgrade, shutdown):
     * cut short after its directory compare-and-set, it would leave the account waiting for a marker until
     * an operator ran ha:promoteAccounts again. Bounded by promotion.timeout.seconds (decision 0014).
     */
    @Deactivate
    void deactivate() {
        try {
            promoter.awaitRunning();
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

    Set<String> liveMailstores() {
        return cluster.nodes(Role.MAILSTORE).stream().map(ClusterNode::name).collect(Collectors.toSet());
    }

    /** Every replica, one directory read, by account (each list preferred first, as the directory orders it). */
    private Map<UUID, List<Replica>> replicasByAccount() {
        return byAccount(directory.replicas());
    }

    private static Map<UUID, List<Replica>> byAccount(List<Replica> replicas) {
        return replicas.stream().collect(Collectors.groupingBy(Replica::accountId, LinkedHashMap::new, Collectors.toList()));
    }

    void replicasChanged() {
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
        return promoter.promote(accounts, dest, sourceHost, threads, kind, finishing, replicas);
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
    Set<String> stalledMailstores() {
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
