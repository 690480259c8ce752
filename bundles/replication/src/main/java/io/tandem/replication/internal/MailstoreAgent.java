package io.tandem.replication.internal;

import io.tandem.api.concurrent.Threads;
import io.tandem.api.cluster.ClusterMessageListener;
import io.tandem.api.cluster.ClusterMessaging;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.mailbox.MailboxStore;
import io.tandem.api.node.LocalNode;
import io.tandem.api.replication.EventLog;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Active Replica on a Mailstore (active wherever a {@link MailboxStore} is): writes snapshots of the
 * accounts it owns when asked ({@link SnapshotWriter}), applies the event log to the replica
 * copies it keeps ({@link Applier}) and answers status requests. It keeps no state of its own outside the
 * mailbox database, the directory and the log's committed positions, so it can be updated under load.
 */
@Component(service = {ClusterMessageListener.class, SourceHeads.class}, configurationPid = ReplicationConfig.PID,
        immediate = true, property = {
                ClusterMessageListener.TOPIC_PROPERTY + "=" + Topics.SNAPSHOT,
                ClusterMessageListener.TOPIC_PROPERTY + "=" + Topics.REPLICAS,
                ClusterMessageListener.TOPIC_PROPERTY + "=" + Topics.STATUS_REQUEST})
@Designate(ocd = ReplicationConfig.class)
public class MailstoreAgent implements ClusterMessageListener, SourceHeads {

    private static final Logger LOG = LoggerFactory.getLogger(MailstoreAgent.class);

    private final String node;
    private final EventLog log;
    private final ClusterMessaging messaging;
    private final SnapshotWriter snapshots;
    private final Applier applier;
    private final HeadCheck heads;
    private final ExecutorService work = Executors.newSingleThreadExecutor(Threads.named("tandem-replication-work"));
    private final ScheduledExecutorService headChecker = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-replication-head-check"));
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-replication-refresh"));
    /** Status answers on their own thread: one that waits for a busy applier never holds up a snapshot. */
    private final ExecutorService statusWork = Executors.newSingleThreadExecutor(Threads.named("tandem-replication-status"));
    /** Light status answers (what a promotion asks) on theirs: they read no database and never queue behind a full one. */
    private final ExecutorService lightStatusWork = Executors.newSingleThreadExecutor(Threads.named("tandem-replication-status-light"));
    private final ScheduledExecutorService watching = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-replication-watchdog"));
    private final ApplierWatchdog watchdog;
    private final EventLog.Subscription subscription;

    /** How long a status answer waits for the applier's lock before it answers without the copies' positions. */
    static final Duration STATUS_LOCK_WAIT = Duration.ofSeconds(1);

    @Activate
    public MailstoreAgent(@Reference LocalNode local, @Reference MailboxStore store, @Reference DirectoryAdminService directory,
                          @Reference EventLog log, @Reference ClusterMessaging messaging, ReplicationConfig config) {
        this.node = local.identity().name();
        this.log = log;
        this.messaging = messaging;
        this.snapshots = new SnapshotWriter(node, directory, store, log);
        this.applier = new Applier(node, store, directory,
                (account, destination) -> messaging.publish(Topics.SNAPSHOT, account + " " + destination), this::readyForSnapshot,
                Clock.systemUTC());
        this.heads = new HeadCheck(node, store, directory, log, Duration.ofMillis(Math.max(10_000, config.head_check_timeout_ms())));
        applier.headChecked(heads::checked);
        this.watchdog = new ApplierWatchdog(node, applier::activity, config.applier_stall_ms(), System::nanoTime, directory::notify);
        this.subscription = log.subscribe("tandem-applier-" + node, applier);
        // nothing is fetched until the first refresh said which copies this node keeps (the applier refuses
        // batches until then anyway: they would come again)
        subscription.idle(true);
        long every = Math.max(100, config.refresh_interval_ms());
        // on its own thread: a read-back waiting for the log must not hold up the replica copies' refresh
        headChecker.scheduleWithFixedDelay(this::checkHead, 0, HEAD_CHECK_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        ticker.scheduleWithFixedDelay(this::refresh, 0, every, TimeUnit.MILLISECONDS);
        watching.scheduleWithFixedDelay(watchdog::check, 1000, 1000, TimeUnit.MILLISECONDS);
        LOG.info("Active Replica agent started on {} (log {} at {})", node, log.topic(), log.brokers());
    }

    private void refresh() {
        try {
            applier.refresh();
            // a Mailstore that keeps no replica copy has no use for the log: its consumer fetches nothing (decision 0020)
            subscription.idle(applier.idle());
        } catch (Throwable e) {
            if (e instanceof VirtualMachineError fatal) {
                throw fatal;
            }
            // a LinkageError (a bundle wired to an older API during an update) must not end the periodic refresh;
            // without a current view nothing is consumed (the applier refuses batches until a refresh succeeds)
            subscription.idle(true);
            LOG.warn("Replica refresh failed, the log is not read until it succeeds (retried in a moment): {}", e.toString());
        }
    }

    /** How often the read-back of this node's own changes is tried until it worked once. */
    static final long HEAD_CHECK_PERIOD_MILLIS = 200;

    /** Until it worked once: replicated changes here are refused until then (decision 0026). */
    private void checkHead() {
        if (heads.checked()) {
            headChecker.shutdown(); // done for the life of this agent
            return;
        }
        try {
            heads.check();
        } catch (Throwable e) {
            if (e instanceof VirtualMachineError fatal) {
                throw fatal;
            }
            // never thrown on: a periodic task that throws is not run again, and writes would stay refused
            if (System.nanoTime() - lastHeadWarning > TimeUnit.SECONDS.toNanos(30)) {
                lastHeadWarning = System.nanoTime();
                LOG.warn("{} cannot read back yet what it wrote to the event log before it started, its replicated accounts "
                        + "take no change until it can (tried again in a moment): {}", node, e.toString());
            }
        }
    }

    private long lastHeadWarning = System.nanoTime() - TimeUnit.MINUTES.toNanos(1);

    @Override
    public boolean headChecked() {
        return heads.checked();
    }

    /** At most this many records behind the end of the log, a snapshot asked for now is read within moments. */
    static final long SNAPSHOT_LAG_RECORDS = 10_000;

    /**
     * Whether the log is read close to its end: lag known (it is not while idle) and at most
     * {@link #SNAPSHOT_LAG_RECORDS}. A subscription that leaves idle after a long time first reads what was
     * appended meanwhile (decision 0020).
     */
    private boolean readyForSnapshot() {
        long lag = subscription.lag();
        return lag >= 0 && lag <= SNAPSHOT_LAG_RECORDS;
    }

    /** Whether the applier's subscription fetches nothing (no replica copy here; decision 0020). */
    boolean idle() {
        return subscription.idle();
    }

    @Override
    public void onMessage(String topic, String message) {
        try {
            switch (topic) {
                case Topics.SNAPSHOT -> work.execute(() -> snapshot(message));
                case Topics.REPLICAS -> ticker.execute(this::refresh);
                case Topics.STATUS_REQUEST -> (message.trim().endsWith(" " + Topics.LIGHT) ? lightStatusWork : statusWork)
                        .execute(() -> status(message));
                default -> LOG.debug("Ignored message on {}", topic);
            }
        } catch (RejectedExecutionException e) {
            // delivered while stopping: a replica asks for its snapshot again, a status request times out for this node
            LOG.debug("Message on {} ignored: the agent is stopping", topic);
        }
    }

    private void snapshot(String message) {
        String[] parts = message.split(" ");
        if (!heads.checked()) {
            // the database may still lack a change its copies hold: a snapshot now would be older than the log (decision 0026)
            LOG.info("Snapshot of {} for {} not written yet: this node is still reading back its own changes (the replica asks again)",
                    parts[0], parts.length > 1 ? parts[1] : "?");
            return;
        }
        try {
            snapshots.snapshot(UUID.fromString(parts[0]), parts[1]);
        } catch (RuntimeException e) {
            LOG.warn("Snapshot of {} for {} not written (the replica asks again): {}", parts[0],
                    parts.length > 1 ? parts[1] : "?", e.getMessage());
        }
    }

    private void status(String request) {
        try {
            String[] parts = request.trim().split(" ");
            NodeStatus status = status(UUID.fromString(parts[0]), parts.length > 1 && Topics.LIGHT.equals(parts[1]));
            messaging.publish(Topics.STATUS_REPLY, status.encode());
        } catch (RuntimeException e) {
            LOG.warn("Replication status not answered: {}", e.getMessage());
        }
    }

    /**
     * This node's answer: never waits for a stalled applier, and at most {@link #STATUS_LOCK_WAIT} for a busy one;
     * {@code light}: whether the applier is stalled, without the mailboxes, at once.
     */
    NodeStatus status(UUID requestId, boolean light) {
        Optional<String> stalled = watchdog.stalled();
        if (stalled.isPresent()) {
            return new NodeStatus(requestId, node, log.connected(), subscription.lag(), log.brokers(), NodeStatus.STALLED,
                    stalled.get(), List.of());
        }
        if (light) {
            return new NodeStatus(requestId, node, log.connected(), subscription.lag(), log.brokers(),
                    subscription.idle() ? NodeStatus.IDLE : NodeStatus.RUNNING, "", List.of());
        }
        Optional<List<NodeStatus.Box>> boxes = applier.boxes(STATUS_LOCK_WAIT);
        if (boxes.isEmpty()) {
            return new NodeStatus(requestId, node, log.connected(), subscription.lag(), log.brokers(), NodeStatus.BUSY,
                    applier.activity().map(Applier.Activity::what).orElse(""), List.of());
        }
        return new NodeStatus(requestId, node, log.connected(), subscription.lag(), log.brokers(),
                subscription.idle() ? NodeStatus.IDLE : NodeStatus.RUNNING, "", boxes.get());
    }

    /**
     * Stops in an order that loses nothing when the bundle is updated or stopped under load (decision 0014):
     * DS has already withdrawn the message listener, so no new snapshot or status request arrives; a snapshot
     * being written finishes (it holds the mailbox lock and appends its chunks: cut short, the destination
     * would wait {@link Applier#SNAPSHOT_RETRY_MILLIS} for a new one), bounded by {@link #DRAIN_MILLIS}; then
     * the subscription closes, which lets the batch being applied finish and commits the handled positions
     * before the consumer leaves its group. The next activation resumes from those positions; anything
     * replayed is skipped by sequence.
     */
    @Deactivate
    void deactivate() {
        headChecker.shutdownNow();
        watching.shutdownNow();
        ticker.shutdown();
        work.shutdown();
        statusWork.shutdownNow(); // a status answer is asked for again; one waiting for the applier is interrupted
        lightStatusWork.shutdownNow();
        drain(work, "snapshot work");
        drain(ticker, "replica refresh");
        subscription.close();
        LOG.info("Active Replica agent stopped on {}", node);
    }

    /** How long deactivation waits for running work before interrupting it. */
    static final long DRAIN_MILLIS = 20_000;

    private void drain(ExecutorService executor, String what) {
        try {
            if (!executor.awaitTermination(DRAIN_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.warn("Active Replica agent on {}: {} still running after {} ms: interrupting it", node, what, DRAIN_MILLIS);
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
