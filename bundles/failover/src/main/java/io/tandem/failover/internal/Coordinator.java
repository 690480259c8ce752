package io.tandem.failover.internal;

import io.tandem.api.cluster.ClusterEvent;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.Notification;
import io.tandem.api.directory.Operation;
import io.tandem.api.directory.Replica;
import io.tandem.api.node.Role;
import io.tandem.api.replication.Promotions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * Automatic failover (docs/decisions/0010), on every core node: each one records when a Mailstore
 * leaves the cluster; only the coordinator (the live core node with the lowest name, and only while a
 * majority of the configured core nodes is visible) acts. A Mailstore gone for {@code grace.ms} has
 * all its accounts promoted through the lossless path of {@code ha:promoteAccounts}; the global admin
 * gets a summary. If the coordinator dies, the next one finds the accounts still on the departed
 * Mailstore and promotes them; a second promotion of the same account is refused by the directory's
 * compare-and-set, so a brief double coordinator is harmless.
 */
final class Coordinator {

    private static final Logger LOG = LoggerFactory.getLogger(Coordinator.class);
    static final String KIND = "autoFailover";
    /** The kind of the operations that promote again accounts whose take-over did not finish. */
    static final String HEAL_KIND = "healTakeOver";
    /** How often the coordinator looks for take-overs that did not finish. */
    static final Duration HEAL_LOOK = Duration.ofSeconds(5);
    private static final int HISTORY = 20;

    private final String localName;
    private final ClusterService cluster;
    private final DirectoryAdminService directory;
    private final Promotions promotions;
    private final Timing timing;
    private final LongSupplier nanos;
    private final Clock clock;

    private final Map<String, Departure> departed = new TreeMap<>();
    private final List<Run> running = new ArrayList<>();
    private final Deque<Run> history = new ArrayDeque<>();
    private volatile String coordinator = "";
    /** Take-overs seen unfinished, by account: since when (monotonic), or since they were last promoted again. */
    private final Map<UUID, Long> stuckSince = new java.util.HashMap<>();
    private boolean healLooked;
    private long healLookedNanos;

    /** A Mailstore that left the cluster, as this node saw it. */
    static final class Departure {
        final String mailstore;
        final Instant leftAt;
        final long leftNanos;
        /** What happened once its grace ran out: empty while pending. */
        String outcome = "";
        Run run;

        Departure(String mailstore, Instant leftAt, long leftNanos) {
            this.mailstore = mailstore;
            this.leftAt = leftAt;
            this.leftNanos = leftNanos;
        }
    }

    /** One automatic promotion of a departed Mailstore's accounts. */
    static final class Run {
        final String mailstore;
        final Instant leftAt;
        final UUID operation;
        final Instant started;
        final long startedNanos;
        final List<UUID> accounts;
        String summary = "";
        Instant finished;

        Run(String mailstore, Instant leftAt, UUID operation, Instant started, long startedNanos, List<UUID> accounts) {
            this.mailstore = mailstore;
            this.leftAt = leftAt;
            this.operation = operation;
            this.started = started;
            this.startedNanos = startedNanos;
            this.accounts = accounts;
        }
    }

    Coordinator(String localName, ClusterService cluster, DirectoryAdminService directory, Promotions promotions,
                Timing timing, LongSupplier nanos, Clock clock) {
        this.localName = localName;
        this.cluster = cluster;
        this.directory = directory;
        this.promotions = promotions;
        this.timing = timing;
        this.nanos = nanos;
        this.clock = clock;
    }

    synchronized void clusterChanged(ClusterEvent event) {
        ClusterNode node = event.node();
        if (node.local()) {
            return;
        }
        if (event.type() == ClusterEvent.Type.NODE_LEFT && node.plays(Role.MAILSTORE)) {
            departed.put(node.name(), new Departure(node.name(), clock.instant(), nanos.getAsLong()));
            LOG.warn("Mailstore {} left the cluster: its accounts are promoted in {} ms unless it returns", node.name(),
                    timing.grace().toMillis());
        } else if (event.type() == ClusterEvent.Type.NODE_JOINED && departed.containsKey(node.name())) {
            Departure d = departed.remove(node.name());
            LOG.info("Mailstore {} is back after {} ms{}", node.name(), Duration.between(d.leftAt, clock.instant()).toMillis(),
                    d.outcome.isEmpty() ? " (this node promoted nothing meanwhile)" : ": " + d.outcome);
        }
    }

    /** One look at the cluster: elect, then act on what is due. Called every check interval. */
    synchronized void tick() {
        ClusterStatus s = cluster.status();
        List<ClusterNode> nodes = cluster.nodes();
        Set<String> live = nodes.stream().map(ClusterNode::name).collect(Collectors.toSet());
        departed.values().removeIf(d -> live.contains(d.mailstore));
        String lowestCore = nodes.stream().filter(n -> n.plays(Role.CORE)).map(ClusterNode::name).sorted().findFirst().orElse("");
        String elected = s.quorum() ? lowestCore : "";
        if (!elected.equals(coordinator)) {
            if (elected.equals(localName)) {
                LOG.info("This node is the failover coordinator ({} of {} core nodes visible)", s.coreLive(), s.coreExpected());
            } else if (coordinator.equals(localName)) {
                LOG.info("This node is no longer the failover coordinator ({})", elected.isEmpty() ? "no core quorum" : elected + " is");
            }
            coordinator = elected;
        }
        for (Run r : List.copyOf(running)) {
            follow(r);
            if (r.finished != null) {
                running.remove(r);
            }
        }
        if (!localName.equals(elected)) {
            return;
        }
        Policy policy = null;
        for (Departure d : departed.values()) {
            if (!d.outcome.isEmpty() || nanos.getAsLong() - d.leftNanos < timing.grace().toNanos()) {
                continue;
            }
            if (policy == null) {
                policy = Policy.read(directory);
            }
            act(d, policy, live);
        }
        heal();
    }

    /**
     * Promotes again the accounts whose take-over has not finished for {@code takeover.heal.ms}: their
     * owner still keeps a replica row (marker never written, its copy failed, a take-over cut short), so it
     * refuses their writes. The promotion path picks the preferred in-sync copy on a live Mailstore: the same
     * owner gets its marker again, or another copy takes over. Each try is told to the administrator.
     */
    private void heal() {
        long now = nanos.getAsLong();
        if (healLooked && now - healLookedNanos < HEAL_LOOK.toNanos()) {
            return;
        }
        healLooked = true;
        healLookedNanos = now;
        List<Replica> rows;
        try {
            rows = directory.unfinishedTakeOvers();
        } catch (RuntimeException e) {
            LOG.warn("Unfinished take-overs not looked for (next look in {} s): {}", HEAL_LOOK.toSeconds(), e.getMessage());
            return;
        }
        stuckSince.keySet().retainAll(rows.stream().map(Replica::accountId).collect(Collectors.toSet()));
        List<Replica> due = new ArrayList<>();
        for (Replica r : rows) {
            long since = stuckSince.computeIfAbsent(r.accountId(), k -> now);
            if (now - since >= timing.healAfter().toNanos()) {
                due.add(r);
            }
        }
        if (due.isEmpty()) {
            return;
        }
        Map<String, Replica> byName = new TreeMap<>();
        for (Replica r : due) {
            directory.account(r.accountId()).ifPresent(a -> byName.put(a.name(), r));
        }
        Operation op;
        try {
            op = promotions.finishTakeOvers(List.copyOf(byName.keySet()), timing.threads(), HEAL_KIND);
        } catch (RuntimeException e) {
            LOG.warn("{} account(s) whose take-over did not finish not promoted again yet ({}): {}", byName.size(), e.getMessage(),
                    String.join(", ", byName.keySet()));
            return;
        }
        due.forEach(r -> stuckSince.put(r.accountId(), now)); // looked at again after another takeover.heal.ms
        String lines = byName.entrySet().stream().limit(50).map(e -> e.getKey() + ": owner " + e.getValue().destination()
                + " still keeps its copy as a replica (" + e.getValue().state()
                + (e.getValue().detail().isEmpty() ? "" : ", " + e.getValue().detail()) + ")").collect(Collectors.joining("\n"));
        String subject = "Take-over of " + byName.size() + " account(s) not finished after " + timing.healAfter().toSeconds()
                + " s: promoted again";
        LOG.warn("{} (operation {}):\n{}", subject, op.id(), lines);
        try {
            directory.notify(Notification.Severity.WARNING, subject, lines + "\nOperation " + op.id() + " (ha:monitor " + op.id()
                    + "). An account with no in-sync copy on a live Mailstore stays unwritable: restart a copy "
                    + "(ha:restartReplicas) or bring its Mailstore back.");
        } catch (RuntimeException e) {
            LOG.warn("Take-over notification not recorded: {}", e.getMessage());
        }
    }

    private void act(Departure d, Policy policy, Set<String> live) {
        if (!policy.enabled()) {
            d.outcome = "not promoted: automatic failover is disabled (ha:setAutoFailover enable)";
            notify(Notification.Severity.WARNING, d, d.outcome);
            return;
        }
        if (!policy.promotes(d.mailstore)) {
            d.outcome = "not promoted: " + d.mailstore + " is excluded from automatic failover";
            notify(Notification.Severity.WARNING, d, d.outcome);
            return;
        }
        List<Account> hosted = directory.accountsOn(d.mailstore);
        Map<UUID, List<Replica>> replicas = directory.replicasOf(hosted.stream().map(Account::id).toList()).stream()
                .collect(Collectors.groupingBy(Replica::accountId));
        // an account whose owner never claimed its epoch can also be given back to its live claimant (decision 0027)
        List<Account> promotable = hosted.stream().filter(a -> {
            List<Replica> rs = replicas.getOrDefault(a.id(), List.of());
            return rs.stream().anyMatch(r -> r.inSync() && live.contains(r.destination())) || a.claimantCopy(rs, live).isPresent();
        }).toList();
        if (promotable.isEmpty()) {
            d.outcome = hosted.isEmpty() ? "nothing to promote: no account is hosted there"
                    : "nothing promoted: none of its " + hosted.size() + " account(s) has an in-sync replica on a live Mailstore";
            if (!hosted.isEmpty()) {
                notify(Notification.Severity.WARNING, d, d.outcome + ": " + names(hosted, 20));
            } else {
                LOG.info("Mailstore {} left: {}", d.mailstore, d.outcome);
            }
            return;
        }
        Operation op;
        try {
            op = promotions.promoteAllOf(d.mailstore, timing.threads(), KIND);
        } catch (RuntimeException e) {
            // not started (replication disabled, directory unreachable): tried again at the next tick
            LOG.warn("Automatic failover of {} could not start: {}", d.mailstore, e.getMessage());
            return;
        }
        d.run = new Run(d.mailstore, d.leftAt, op.id(), clock.instant(), nanos.getAsLong(),
                hosted.stream().map(Account::id).toList());
        running.add(d.run);
        d.outcome = "promoting " + hosted.size() + " account(s), operation " + op.id();
        LOG.warn("Automatic failover of {}: {} ms after it left, promoting its {} account(s) (operation {})", d.mailstore,
                Duration.between(d.leftAt, d.run.started).toMillis(), hosted.size(), op.id());
    }

    /** Once the operation finished: the summary, in the log, the history and the admin's notifications. */
    private void follow(Run run) {
        Optional<Operation> found;
        try {
            found = directory.operation(run.operation);
        } catch (RuntimeException e) {
            return;
        }
        if (found.isEmpty() || !found.get().finished()) {
            return;
        }
        Operation op = found.get();
        run.finished = clock.instant();
        long promotionMillis = Duration.ofNanos(nanos.getAsLong() - run.startedNanos).toMillis();
        Map<String, Integer> to = new TreeMap<>();
        Set<UUID> ids = Set.copyOf(run.accounts);
        for (Account a : directory.accounts(null)) {
            if (ids.contains(a.id()) && !a.mailHost().equals(run.mailstore)) {
                to.merge(a.mailHost(), 1, Integer::sum);
            }
        }
        int promoted = to.values().stream().mapToInt(Integer::intValue).sum();
        StringBuilder body = new StringBuilder();
        body.append(promoted).append(" of ").append(run.accounts.size()).append(" account(s) promoted");
        if (!to.isEmpty()) {
            body.append(" (").append(to.entrySet().stream().map(e -> "to " + e.getKey() + ": " + e.getValue())
                    .collect(Collectors.joining(", "))).append(")");
        }
        body.append(" in ").append(promotionMillis).append(" ms; writable ")
                .append(Duration.between(run.leftAt, run.finished).toMillis()).append(" ms after ")
                .append(run.mailstore).append(" left the cluster (").append(run.leftAt).append(")");
        int notPromoted = run.accounts.size() - promoted;
        if (notPromoted > 0) {
            body.append(". Not promoted: ").append(notPromoted).append(" (operation ").append(op.id())
                    .append(", ha:monitor ").append(op.id()).append(")");
            String failures = op.detail().lines().skip(1).limit(20).collect(Collectors.joining("\n"));
            if (!failures.isEmpty()) {
                body.append(":\n").append(failures);
            }
        }
        run.summary = body.toString();
        synchronized (history) {
            history.addFirst(run);
            while (history.size() > HISTORY) {
                history.removeLast();
            }
        }
        Departure d = departed.get(run.mailstore);
        if (d != null && d.run == run) {
            d.outcome = run.summary.lines().findFirst().orElse("");
        }
        LOG.warn("Automatic failover of {}: {}", run.mailstore, run.summary);
        try {
            directory.notify(notPromoted == 0 ? Notification.Severity.INFO : Notification.Severity.WARNING,
                    "Automatic failover of " + run.mailstore + ": " + promoted + " of " + run.accounts.size() + " account(s) promoted",
                    run.summary);
        } catch (RuntimeException e) {
            LOG.warn("Failover summary not recorded as a notification: {}", e.getMessage());
        }
    }

    private void notify(Notification.Severity severity, Departure d, String what) {
        LOG.warn("Mailstore {} left the cluster at {}: {}", d.mailstore, d.leftAt, what);
        try {
            directory.notify(severity, "Automatic failover of " + d.mailstore + ": " + what.split(":")[0],
                    d.mailstore + " left the cluster at " + d.leftAt + ": " + what);
        } catch (RuntimeException e) {
            LOG.warn("Failover notification not recorded: {}", e.getMessage());
        }
    }

    private static String names(List<Account> accounts, int max) {
        String shown = accounts.stream().limit(max).map(Account::name).collect(Collectors.joining(", "));
        return accounts.size() > max ? shown + " and " + (accounts.size() - max) + " more" : shown;
    }

    // ---- what ha:getFailoverStatus shows ----

    String coordinator() {
        return coordinator;
    }

    Timing timing() {
        return timing;
    }

    /** Departed Mailstores this node knows of: name, left at, state. */
    synchronized List<Map<String, Object>> departures() {
        List<Map<String, Object>> out = new ArrayList<>();
        long now = nanos.getAsLong();
        for (Departure d : departed.values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mailstore", d.mailstore);
            m.put("leftAt", d.leftAt.toString());
            long due = Duration.ofNanos(d.leftNanos + timing.grace().toNanos() - now).toMillis();
            m.put("state", !d.outcome.isEmpty() ? d.outcome
                    : due > 0 ? "pending: promotion in " + due + " ms" : "due: waiting for the coordinator");
            out.add(m);
        }
        return out;
    }

    /** Automatic promotions this node ran, newest first. */
    List<Map<String, Object>> runs() {
        List<Map<String, Object>> out = new ArrayList<>();
        synchronized (history) {
            for (Run r : history) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("mailstore", r.mailstore);
                m.put("operation", r.operation.toString());
                m.put("leftAt", r.leftAt.toString());
                m.put("started", r.started.toString());
                m.put("finished", r.finished == null ? "" : r.finished.toString());
                m.put("summary", r.summary);
                out.add(m);
            }
        }
        return out;
    }
}
