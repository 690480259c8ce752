package io.tandem.failover.internal;

import io.tandem.api.concurrent.Threads;
import io.tandem.api.cluster.ClusterEvent;
import io.tandem.api.cluster.ClusterListener;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.RoleService;
import io.tandem.api.replication.Promotions;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The {@link Coordinator} on a core node: present only while this node plays the core role (it needs the
 * core role's {@link RoleService}), driven by cluster events and a timer.
 */
@Component(service = {FailoverComponent.class, ClusterListener.class}, configurationPid = FailoverConfig.PID, immediate = true)
public class FailoverComponent implements ClusterListener {

    private static final Logger LOG = LoggerFactory.getLogger(FailoverComponent.class);

    private final Coordinator coordinator;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-failover"));

    @Activate
    public FailoverComponent(@Reference(target = "(" + RoleService.ROLE_PROPERTY + "=core)") RoleService core,
                             @Reference LocalNode local, @Reference ClusterService cluster,
                             @Reference DirectoryAdminService directory, @Reference Promotions promotions,
                             FailoverConfig config) {
        Timing timing = Timing.of(config);
        this.coordinator = new Coordinator(local.identity().name(), cluster, directory, promotions, timing,
                System::nanoTime, Clock.systemUTC());
        timer.scheduleWithFixedDelay(this::tick, 0, timing.checkInterval().toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("Automatic failover ready: grace {} ms, lease {} ms, {} threads", timing.grace().toMillis(),
                timing.lease().toMillis(), timing.threads());
    }

    @Deactivate
    void deactivate() {
        timer.shutdownNow();
    }

    private void tick() {
        try {
            coordinator.tick();
        } catch (RuntimeException e) {
            LOG.warn("Failover check failed: {}", e.toString());
        }
    }

    @Override
    public void clusterChanged(ClusterEvent event) {
        coordinator.clusterChanged(event);
        timer.execute(this::tick);
        if (event.type() == ClusterEvent.Type.NODE_LEFT && !event.node().local()) {
            // the look that acts on this departure comes when its grace ends, not up to a check interval later
            timer.schedule(this::tick, coordinator.timing().grace().toMillis() + 1, TimeUnit.MILLISECONDS);
        }
    }

    Coordinator coordinator() {
        return coordinator;
    }
}
