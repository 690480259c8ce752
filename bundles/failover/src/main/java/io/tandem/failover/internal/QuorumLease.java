package io.tandem.failover.internal;

import io.tandem.api.concurrent.Threads;
import io.tandem.api.cluster.ClusterEvent;
import io.tandem.api.cluster.ClusterListener;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.cluster.OwnershipLease;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The ownership lease of this node (docs/decisions/0010): held while the node sees a majority of the
 * configured core nodes, and for {@code lease.ms} after the last moment it saw one. Re-evaluated on
 * every membership event and every {@code check.interval.ms}; {@link #valid()} only reads two fields.
 */
@Component(service = {OwnershipLease.class, ClusterListener.class}, configurationPid = FailoverConfig.PID, immediate = true)
public class QuorumLease implements OwnershipLease, ClusterListener {

    private static final Logger LOG = LoggerFactory.getLogger(QuorumLease.class);

    private final Supplier<ClusterStatus> status;
    private final LongSupplier nanos;
    private final Duration duration;
    private final ScheduledExecutorService timer;
    private volatile boolean quorum;
    /** When the quorum was last seen (nanoTime); meaningful only once {@link #everSeen}. */
    private volatile long lastSeen;
    private volatile boolean everSeen;
    private volatile ClusterStatus last;
    /** The state last logged: held, grace or expired. */
    private String reported = "";

    @Activate
    public QuorumLease(@Reference ClusterService cluster, FailoverConfig config) {
        this(cluster::status, System::nanoTime, Timing.of(config).lease(), true);
        timer.scheduleWithFixedDelay(this::check, 0, config.check_interval_ms(), TimeUnit.MILLISECONDS);
    }

    QuorumLease(Supplier<ClusterStatus> status, LongSupplier nanos, Duration duration, boolean scheduled) {
        this.status = status;
        this.nanos = nanos;
        this.duration = duration;
        this.timer = scheduled ? Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-ownership-lease")) : null;
    }

    @Deactivate
    void deactivate() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    @Override
    public void clusterChanged(ClusterEvent event) {
        check();
    }

    /** Looks at the cluster now. */
    synchronized void check() {
        ClusterStatus s;
        try {
            s = status.get();
        } catch (RuntimeException e) {
            LOG.warn("Ownership lease: cluster status unavailable ({})", e.toString());
            return;
        }
        last = s;
        if (s.quorum()) {
            lastSeen = nanos.getAsLong();
            everSeen = true;
        }
        quorum = s.quorum();
        String now = quorum ? "held" : valid() ? "grace" : "expired";
        if (!now.equals(reported)) {
            reported = now;
            switch (now) {
                case "held" -> LOG.info("Ownership lease held: {} of {} core nodes visible", s.coreLive(), s.coreExpected());
                case "grace" -> LOG.warn("Core quorum lost ({} of {} core nodes visible): the ownership lease ends in {} ms unless it returns",
                        s.coreLive(), s.coreExpected(), remainingMillis());
                default -> LOG.warn("Ownership lease expired ({} of {} core nodes visible): changes of replicated accounts are refused "
                        + "until a core quorum is visible again", s.coreLive(), s.coreExpected());
            }
        }
    }

    private long remainingMillis() {
        return everSeen ? TimeUnit.NANOSECONDS.toMillis(lastSeen + duration.toNanos() - nanos.getAsLong()) : 0;
    }

    @Override
    public boolean valid() {
        return quorum || (everSeen && nanos.getAsLong() - lastSeen < duration.toNanos());
    }

    @Override
    public Duration duration() {
        return duration;
    }

    @Override
    public String describe() {
        ClusterStatus s = last;
        String seen = s == null ? "cluster not seen yet" : s.coreLive() + " of " + s.coreExpected() + " core nodes visible";
        if (quorum) {
            return "held (" + seen + ")";
        }
        if (!everSeen) {
            return "not held: no core quorum seen since this node started (" + seen + ")";
        }
        long remaining = remainingMillis();
        return remaining > 0 ? "held for " + remaining + " ms more: core quorum lost (" + seen + ")"
                : "expired " + (-remaining) + " ms ago: core quorum lost (" + seen + ")";
    }
}
