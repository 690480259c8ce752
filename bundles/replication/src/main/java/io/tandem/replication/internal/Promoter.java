package io.tandem.replication.internal;

import io.tandem.api.concurrent.Backoff;
import io.tandem.api.concurrent.Threads;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.Operation;
import io.tandem.api.directory.Replica;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Promotion, manual ({@code ha:promoteAccounts}) and automatic (the failover coordinator through
 * {@link io.tandem.api.replication.Promotions}): moves accounts to a copy by compare-and-set of their ownership in
 * the directory, writes a promotion marker per account into the log, and watches the new owners take them over
 * (decisions 0009, 0010, 0023, 0024, 0027). {@link HaService} validates the request and hands it over; this class
 * holds everything that changes ownership, so that the riskiest code of Active Replica is read in one place.
 */
final class Promoter {

    private static final Logger LOG = LoggerFactory.getLogger(Promoter.class);

    private final DirectoryAdminService directory;
    private final EventLog log;
    private final String node;
    private final ReplicationConfig config;
    private final Supplier<Set<String>> mailstoresLive;
    private final Supplier<Set<String>> mailstoresStalled;
    private final Runnable announce;

    /** Promotions running on this node (the watchers of their take-overs), waited for on deactivation. */
    private final Set<ExecutorService> promoting = ConcurrentHashMap.newKeySet();

    /**
     * @param live      the Mailstores in the cluster
     * @param stalled   the live Mailstores whose replica applier is stalled (best effort, never throws)
     * @param announce  tells every Mailstore that replica rows changed
     */
    Promoter(DirectoryAdminService directory, EventLog log, String node, ReplicationConfig config,
             Supplier<Set<String>> live, Supplier<Set<String>> stalled, Runnable announce) {
        this.directory = directory;
        this.log = log;
        this.node = node;
        this.config = config;
        this.mailstoresLive = live;
        this.mailstoresStalled = stalled;
        this.announce = announce;
    }

    private Set<String> liveMailstores() {
        return mailstoresLive.get();
    }

    private Set<String> stalledMailstores() {
        return mailstoresStalled.get();
    }

    private void replicasChanged() {
        announce.run();
    }

    /**
     * A promotion in flight finishes before the component goes (bundle update, feature upgrade, shutdown):
     * cut short after its directory compare-and-set, it would leave the account waiting for a marker until
     * an operator ran ha:promoteAccounts again. Bounded by promotion.timeout.seconds (decision 0014).
     */
    void awaitRunning() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Math.max(1, config.promotion_timeout_seconds()));
        for (ExecutorService pool : promoting) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || !pool.awaitTermination(left, TimeUnit.NANOSECONDS)) {
                LOG.warn("A promotion was still running after {} s while Active Replica stopped: run ha:monitor, and "
                        + "ha:promoteAccounts again for the accounts it did not finish", config.promotion_timeout_seconds());
                pool.shutdownNow();
            }
        }
    }

    /**
     * Promotes validated {@code accounts} (of {@code sourceHost} when given, for the operation's description) to
     * {@code dest}, or each to its preferred available copy, in the background; returns the operation.
     *
     * @param replicas  the accounts' replica rows, read once for the whole operation
     * @param finishing prefer the owner's own in-sync copy: finish its take-over rather than move the account again
     */
    Operation promote(List<Account> accounts, String dest, String sourceHost, int threads, String kind, boolean finishing,
                      Map<UUID, List<Replica>> replicas) {
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
}
