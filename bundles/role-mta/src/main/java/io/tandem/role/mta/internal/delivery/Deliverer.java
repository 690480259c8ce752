package io.tandem.role.mta.internal.delivery;

import io.tandem.api.concurrent.Backoff;
import io.tandem.api.concurrent.Threads;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.node.Role;
import io.tandem.role.mta.internal.spool.Envelope;
import io.tandem.role.mta.internal.spool.Recipient;
import io.tandem.role.mta.internal.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Delivers the spooled messages over LMTP to the Mailstore that owns each recipient's account now: the
 * owner from the directory ({@link DirectoryService#owner}, never older than the last ownership change this
 * node heard of), its {@code lmtp} endpoint from the cluster. Per recipient: 2xx delivered, 5xx failed for
 * good, 4xx or a failed connection retried after {@link Settings#initialRetry} doubling up to
 * {@link Settings#maxRetry}. Every {@link Settings#routeCheck} the route of each waiting recipient is looked
 * up again: when its owner or its Mailstore's membership changed (a promotion, a Mailstore back) it is
 * attempted at once, whatever its backoff. A message not delivered within {@link Settings#expiry} fails.
 * An LMTP session with a Mailstore that has left the cluster (a hung one keeps accepting connections and
 * answers nothing) is abandoned at that check, so the worker is free and the mail is retried on the
 * account's new owner instead of waiting for the LMTP timeout.
 *
 * <p>Each message is handled by one worker at a time; its envelope is written to the spool after every
 * attempt. A crash between a Mailstore's 250 and that write delivers again after the restart: the Mailstore
 * recognises the message (same bytes) and does not store it twice.
 */
public final class Deliverer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Deliverer.class);

    /** Delivery timing and parallelism. */
    public record Settings(int threads, Duration initialRetry, Duration maxRetry, Duration routeCheck, Duration expiry) {
    }

    /** Where a recipient's mail goes now: the Mailstore and its LMTP endpoint, or why it cannot go. */
    record Route(String mailHost, String nodeId, String endpoint, String problem, boolean permanent) {
        String key() {
            return mailHost + " " + nodeId + " " + endpoint;
        }
    }

    private final Spool spool;
    private final DirectoryService directory;
    private final ClusterService cluster;
    private final LmtpClient lmtp;
    private final Settings settings;
    private final Clock clock;
    private final Map<String, Envelope> queue = new ConcurrentHashMap<>();
    private final Set<String> running = ConcurrentHashMap.newKeySet();
    /** LMTP sessions under way. */
    private final Set<Session> sessions = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private final ExecutorService workers;

    public Deliverer(Spool spool, List<Envelope> queued, DirectoryService directory, ClusterService cluster, LmtpClient lmtp,
                     Settings settings, Clock clock) {
        this.spool = spool;
        this.directory = directory;
        this.cluster = cluster;
        this.lmtp = lmtp;
        this.settings = settings;
        this.clock = clock;
        long now = clock.millis();
        for (Envelope e : queued) {
            synchronized (e) {
                e.recipients().forEach(r -> r.dueAt(now)); // after a restart: try at once
            }
            queue.put(e.id(), e);
        }
        this.timer = Executors.newSingleThreadScheduledExecutor(Threads.numbered("tandem-mta-scheduler"));
        this.workers = Executors.newFixedThreadPool(settings.threads(), Threads.numbered("tandem-mta-delivery"));
        long period = Math.max(1, settings.routeCheck().toMillis());
        timer.scheduleWithFixedDelay(this::tick, 0, period, TimeUnit.MILLISECONDS);
    }

    /** A message the SMTP server just committed: attempted at once. */
    public void enqueue(Envelope envelope) {
        queue.put(envelope.id(), envelope);
        submit(envelope);
    }

    /** Snapshots of the queued messages, oldest first. */
    public List<Envelope> queued() {
        return queue.values().stream().map(Envelope::snapshot)
                .sorted(Comparator.comparingLong(Envelope::received).thenComparing(Envelope::id)).toList();
    }

    /** The failed area. */
    public List<Envelope> failed() throws IOException {
        return spool.failed();
    }

    /**
     * Makes every pending recipient of the message ({@code null}: of every message) due now.
     *
     * @return the number of messages flushed
     * @throws IllegalArgumentException when no queued message has that id
     */
    public int flush(String id) {
        List<Envelope> targets;
        if (id == null) {
            targets = List.copyOf(queue.values());
        } else {
            Envelope e = queue.get(id);
            if (e == null) {
                throw new IllegalArgumentException("no queued message '" + id + "' (mta:queue lists them)");
            }
            targets = List.of(e);
        }
        long now = clock.millis();
        for (Envelope e : targets) {
            synchronized (e) {
                e.recipients().forEach(r -> r.dueAt(now));
            }
            submit(e);
        }
        return targets.size();
    }

    /** The next attempt delay after {@code attempts} failed attempts (jittered: see {@link Backoff}). */
    long backoff(int attempts) {
        return backoff(attempts, java.util.concurrent.ThreadLocalRandom.current().nextDouble());
    }

    long backoff(int attempts, double random) {
        long initial = Math.max(1, settings.initialRetry().toMillis());
        return Backoff.after(Math.max(1, attempts), initial, Math.max(initial, settings.maxRetry().toMillis()), random);
    }

    /** An LMTP session under way with a Mailstore member: abandoned by closing its connection. */
    private static final class Session {
        final String mailHost;
        final String member;
        volatile java.io.Closeable connection;
        volatile boolean abandoned;

        Session(Route route) {
            this.mailHost = route.mailHost();
            this.member = route.nodeId();
        }

        void attach(java.io.Closeable c) {
            connection = c;
            if (abandoned) {
                close();
            }
        }

        void abandon() {
            abandoned = true;
            close();
        }

        private void close() {
            java.io.Closeable c = connection;
            try {
                if (c != null) {
                    c.close();
                }
            } catch (IOException e) {
                // closing is all we want
            }
        }
    }

    private void tick() {
        try {
            long now = clock.millis();
            Map<String, ClusterNode> mailstores = mailstores();
            abandonSessionsWithDeparted(mailstores);
            for (Envelope e : queue.values()) {
                if (running.contains(e.id())) {
                    continue;
                }
                if (!e.pending()) {
                    persist(e); // done, but its removal from the spool failed: try again
                    continue;
                }
                boolean due = e.nextAttempt() <= now;
                if (!due) {
                    synchronized (e) {
                        for (Recipient r : e.recipients()) {
                            if (r.pending() && !r.route().isEmpty() && !r.route().equals(route(r, mailstores).key())) {
                                LOG.debug("Route of {} for {} changed: attempting now", r.address(), e.id());
                                r.dueAt(now);
                                due = true;
                            }
                        }
                    }
                }
                if (due) {
                    submit(e);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("MTA queue check failed: {}", e.toString());
        }
    }

    private void abandonSessionsWithDeparted(Map<String, ClusterNode> mailstores) {
        Set<String> members = new java.util.HashSet<>();
        mailstores.values().forEach(n -> members.add(n.id()));
        sessions.forEach(session -> {
            if (!members.contains(session.member) && !session.abandoned) {
                LOG.warn("Mailstore {} left the cluster during an LMTP session: abandoning it, the mail is retried on the "
                        + "account's current owner", session.mailHost);
                session.abandon();
            }
        });
    }

    private void submit(Envelope e) {
        if (!running.add(e.id())) {
            return;
        }
        try {
            workers.execute(() -> {
                try {
                    attempt(e);
                } catch (RuntimeException ex) {
                    LOG.error("Delivery of {} failed unexpectedly", e.id(), ex);
                } finally {
                    running.remove(e.id());
                }
            });
        } catch (RejectedExecutionException closed) {
            running.remove(e.id());
        }
    }

    private Map<String, ClusterNode> mailstores() {
        Map<String, ClusterNode> out = new LinkedHashMap<>();
        for (ClusterNode n : cluster.nodes(Role.MAILSTORE)) {
            out.putIfAbsent(n.name(), n);
        }
        return out;
    }

    Route route(Recipient r, Map<String, ClusterNode> mailstores) {
        Optional<Account> owner;
        try {
            owner = directory.owner(r.accountId());
            if (owner.isEmpty()) {
                owner = directory.account(r.accountId());
            }
        } catch (RuntimeException e) {
            return new Route("", "", "", "the directory failed: " + e.getMessage(), false);
        }
        if (owner.isEmpty()) {
            return new Route("", "", "", "5.1.1 account " + r.address() + " no longer exists", true);
        }
        String host = owner.get().mailHost();
        ClusterNode node = mailstores.get(host);
        if (node == null) {
            return new Route(host, "", "", "Mailstore " + host + " is not in the cluster", false);
        }
        String endpoint = node.endpoints().get("lmtp");
        if (endpoint == null) {
            return new Route(host, node.id(), "", "Mailstore " + host + " publishes no lmtp endpoint", false);
        }
        return new Route(host, node.id(), endpoint, null, false);
    }

    /** One attempt at every due recipient of the message, then its state written to the spool. */
    void attempt(Envelope e) {
        long now = clock.millis();
        List<Recipient> due;
        synchronized (e) {
            due = e.recipients().stream().filter(r -> r.pending() && r.nextAttempt() <= now).toList();
        }
        if (due.isEmpty()) {
            return;
        }
        if (now - e.received() >= settings.expiry().toMillis()) {
            synchronized (e) {
                for (Recipient r : due) {
                    r.attempted(Recipient.State.FAILED, "expired: not delivered within " + settings.expiry()
                            + (r.lastReply().isEmpty() ? "" : "; last reply: " + r.lastReply()), r.destination(), 0);
                }
            }
        } else {
            Map<String, ClusterNode> mailstores = mailstores();
            Map<Route, List<Recipient>> byRoute = due.stream().collect(Collectors.groupingBy(r -> route(r, mailstores),
                    LinkedHashMap::new, Collectors.toList()));
            byRoute.forEach((route, recipients) -> deliver(e, route, recipients));
        }
        persist(e);
    }

    private void deliver(Envelope e, Route route, List<Recipient> recipients) {
        List<String> outcome;
        if (route.problem() != null) {
            outcome = recipients.stream().map(r -> route.problem()).toList();
            record(e, route, recipients, r -> route.permanent() ? Recipient.State.FAILED : Recipient.State.PENDING, outcome);
            return;
        }
        Session session = new Session(route);
        sessions.add(session);
        try {
            List<LmtpClient.Reply> replies = lmtp.deliver(route.endpoint(), e.sender(),
                    recipients.stream().map(Recipient::address).toList(), spool.messageFile(e.id()),
                    session::attach);
            List<Recipient.State> states = new ArrayList<>();
            for (LmtpClient.Reply reply : replies) {
                states.add(reply.positive() ? Recipient.State.DELIVERED
                        : reply.permanent() ? Recipient.State.FAILED : Recipient.State.PENDING);
            }
            record(e, route, recipients, r -> states.get(recipients.indexOf(r)), replies.stream().map(LmtpClient.Reply::toString).toList());
        } catch (IOException | RuntimeException ex) {
            String failure = "LMTP to " + route.mailHost() + " (" + route.endpoint() + ") "
                    + (session.abandoned ? "abandoned: " + route.mailHost() + " left the cluster" : "failed: " + ex.getMessage());
            record(e, route, recipients, r -> Recipient.State.PENDING, recipients.stream().map(r -> failure).toList());
        } finally {
            sessions.remove(session);
        }
    }

    private void record(Envelope e, Route route, List<Recipient> recipients, Function<Recipient, Recipient.State> state,
                        List<String> replies) {
        long now = clock.millis();
        synchronized (e) {
            for (int i = 0; i < recipients.size(); i++) {
                Recipient r = recipients.get(i);
                Recipient.State s = state.apply(r);
                long next = s == Recipient.State.PENDING ? now + backoff(r.attempts() + 1) : 0;
                r.attempted(s, replies.get(i), route.mailHost(), next);
                r.route(route.key());
                switch (s) {
                    case DELIVERED -> LOG.info("Delivered {} to {} on {}: {}", e.id(), r.address(), route.mailHost(), replies.get(i));
                    case FAILED -> LOG.warn("Delivery of {} to {} failed for good: {}", e.id(), r.address(), replies.get(i));
                    case PENDING -> LOG.info("Delivery of {} to {} deferred (attempt {}, next in {} ms): {}", e.id(), r.address(),
                            r.attempts(), next - now, replies.get(i));
                }
            }
        }
    }

    private void persist(Envelope e) {
        try {
            if (e.pending()) {
                spool.update(e);
                return;
            }
            List<String> failed;
            synchronized (e) {
                failed = e.recipients().stream().filter(r -> r.state() == Recipient.State.FAILED)
                        .map(r -> r.address() + ": " + r.lastReply()).toList();
            }
            if (failed.isEmpty()) {
                spool.remove(e.id());
            } else {
                e.failure(String.join("; ", failed));
                spool.moveToFailed(e);
            }
            queue.remove(e.id());
        } catch (IOException ex) {
            // kept in memory and retried; after a restart the last written state is delivered again (at most
            // a repeat, which the Mailstore recognises)
            LOG.error("Spool: cannot record the delivery state of {}: {}", e.id(), ex.toString());
        }
    }

    /**
     * Stops: attempts under way finish and record their outcome (within 10 s; an interrupted one is
     * delivered again after the restart, which the Mailstore recognises).
     */
    @Override
    public void close() {
        timer.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                workers.shutdownNow();
            }
        } catch (InterruptedException ex) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
