package io.tandem.supervisor.internal;

import io.tandem.api.concurrent.Backoff;
import io.tandem.api.concurrent.Threads;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.node.Health;
import io.tandem.supervisor.ServiceMode;
import io.tandem.supervisor.ServiceState;
import io.tandem.supervisor.ServiceStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Runs one supervised service on this node: starts its process while the node should run it (role
 * played; active-standby: the {@link StandbyRule} says so), probes it, restarts it with exponential
 * backoff, gives up after too many fast failures, and announces it. Every change of state happens on
 * the service's own thread ({@code tandem-service-<name>}); readers see a published {@link ServiceStatus}.
 */
final class Supervisor {

    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);

    /** What the supervisor announces in the cluster (an endpoint of this node), or nothing. */
    interface Announcer {
        /** @param name endpoint name, null to withdraw the announcement */
        void announce(String name, String uri);
    }

    /** The membership as this node sees it. */
    record ClusterView(boolean connected, List<ClusterNode> nodes) {
    }

    private final ServiceConfig config;
    private final Supplier<String> nodeName;
    private final Path watchdog;
    private final Announcer announcer;
    private final Supplier<ClusterView> cluster;
    private final ScheduledExecutorService executor;
    private volatile boolean rolePlayed;
    private volatile ServiceStatus status;

    // ---- owned by the executor thread ----
    private ServiceState state;
    private String detail = "";
    private Instant since = Instant.now();
    private ChildProcess process;
    private long startedAt;
    private long holdSince = -1;
    private long backoffUntil;
    private int fastFailures;
    private int probeFailures;
    private int restarts;
    private int launches;
    private String lastProbe = "-";
    private long lastProbeAt;
    private long connectedSince = -1;
    private boolean closed;

    Supervisor(ServiceConfig config, Supplier<String> nodeName, Path watchdog, Announcer announcer,
               Supplier<ClusterView> cluster) {
        this.config = config;
        this.nodeName = nodeName;
        this.watchdog = watchdog;
        this.announcer = announcer;
        this.cluster = cluster;
        this.state = config.enabled() ? ServiceState.INACTIVE : ServiceState.DISABLED;
        this.detail = config.enabled() ? "role " + config.role().id() + " not active on this node" : "enabled = false";
        this.executor = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-service-" + config.name()));
        publish();
    }

    ServiceConfig config() {
        return config;
    }

    void start() {
        long interval = config.probeInterval().toMillis();
        executor.scheduleWithFixedDelay(this::tick, 0, interval, TimeUnit.MILLISECONDS);
        LOG.info("Started supervision of service {} (role {}, {}{})", config.name(), config.role().id(), config.mode().id(),
                config.enabled() ? "" : ", disabled");
    }

    /** Stops the process (if any) and the supervision; returns once the process has ended. */
    void close() {
        try {
            executor.submit(() -> {
                closed = true;
                if (process != null) {
                    stopProcess("supervision stopped");
                }
                announcer.announce(null, null);
                holdSince = -1;
            }).get(config.stopTimeout().toMillis() + 15_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException | RejectedExecutionException e) {
            LOG.warn("Service {} did not stop cleanly: {}", config.name(), e.toString());
        }
        executor.shutdownNow();
        LOG.info("Stopped supervision of service {}", config.name());
    }

    void setRolePlayed(boolean played) {
        if (rolePlayed != played) {
            rolePlayed = played;
            poke();
        }
    }

    /** Re-evaluates now (cluster change, process exit, role change). */
    void poke() {
        try {
            executor.execute(this::tick);
        } catch (RejectedExecutionException e) {
            // closed
        }
    }

    ServiceStatus status() {
        return status;
    }

    /** See {@link io.tandem.supervisor.SupervisedServices#restart(String)}. */
    ServiceStatus restart() {
        try {
            return executor.submit(() -> {
                switch (state) {
                    case DISABLED, INACTIVE, STANDBY -> throw new IllegalStateException("service '" + config.name()
                            + "' is " + state.id() + " on " + nodeName.get() + " (" + detail + ")"
                            + (state == ServiceState.STANDBY ? ": restart it on the active node" : ": nothing to restart"));
                    default -> {
                    }
                }
                LOG.info("Service {}: restart requested (was {})", config.name(), state.id());
                fastFailures = 0;
                if (process != null) {
                    stopProcess("restart requested");
                }
                setState(ServiceState.BACKOFF, "restart requested");
                backoffUntil = 0;
                step();
                publish();
                return status;
            }).get(config.stopTimeout().toMillis() + config.probeTimeout().toMillis() + 15_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("service '" + config.name() + "' did not restart in time", e);
        }
    }

    // ---- executor thread ----

    private void tick() {
        if (closed) {
            return;
        }
        try {
            step();
        } catch (RuntimeException e) {
            LOG.error("Service {}: supervision step failed: {}", config.name(), e.toString(), e);
        } finally {
            publish();
        }
    }

    private record Want(boolean run, ServiceState otherwise, String reason) {
    }

    private void step() {
        long now = System.currentTimeMillis();
        if (process != null && !process.alive()) {
            int code = process.exitCode();
            process.reapGroup();
            long pid = process.pid();
            process = null;
            LOG.warn("Service {}: process {} exited with code {}", config.name(), pid, code);
            failure("exited with code " + code + (code == 127 ? " (command not found?)" : ""), now);
        }
        Want want = want(now);
        if (!want.run()) {
            if (process != null) {
                stopProcess(want.reason());
            }
            if (holdSince >= 0 && want.otherwise() == ServiceState.STANDBY) {
                LOG.warn("Service {}: {}: stopped, now standby", config.name(), want.reason());
            }
            holdSince = -1;
            setState(want.otherwise(), want.reason());
            announce();
            return;
        }
        if (holdSince < 0) {
            holdSince = now;
            if (config.mode() == ServiceMode.ACTIVE_STANDBY) {
                LOG.info("Service {}: {}", config.name(), want.reason());
            }
        }
        if (process == null) {
            if (state == ServiceState.BACKOFF && now < backoffUntil) {
                announce();
                return;
            }
            launch(now);
        }
        if (process != null && process.alive()) {
            probe(now);
        }
        announce();
    }

    private Want want(long now) {
        if (!config.enabled()) {
            return new Want(false, ServiceState.DISABLED, "enabled = false");
        }
        if (!rolePlayed) {
            fastFailures = 0;
            return new Want(false, ServiceState.INACTIVE, "role " + config.role().id() + " not active on this node");
        }
        if (state == ServiceState.FAILED) {
            return new Want(false, ServiceState.FAILED, detail);
        }
        if (config.mode() == ServiceMode.ACTIVE_ACTIVE) {
            return new Want(true, null, "active-active");
        }
        ClusterView view = cluster.get();
        if (view == null || !view.connected()) {
            connectedSince = -1;
            return new Want(false, ServiceState.STANDBY, "not connected to the cluster: cannot tell whether another node runs it");
        }
        if (connectedSince < 0) {
            connectedSince = now;
        }
        StandbyRule.Decision d = StandbyRule.decide(nodeName.get(), holdSince, StandbyRule.peers(view.nodes(), config.name()),
                Duration.ofMillis(now - connectedSince), config.takeoverGrace());
        if (!d.run() && connectedSince >= 0 && now - connectedSince < config.takeoverGrace().toMillis()) {
            // re-evaluate as soon as the grace ends rather than at the next probe tick
            executor.schedule(this::tick, config.takeoverGrace().toMillis() - (now - connectedSince) + 1, TimeUnit.MILLISECONDS);
        }
        return new Want(d.run(), ServiceState.STANDBY, d.reason());
    }

    private void launch(long now) {
        if (launches > 0) {
            restarts++;
        }
        launches++;
        try {
            ChildProcess p = ChildProcess.start(watchdog, config.startCommand(), config.workingDirectory(),
                    config.environment(), config.outputFile(), config.stopTimeout());
            process = p;
            startedAt = now;
            probeFailures = 0;
            lastProbeAt = 0;
            setState(ServiceState.STARTING, "pid " + p.pid() + " started");
            LOG.info("Service {}: started pid {}: {}", config.name(), p.pid(), config.startCommand());
            p.onExit().thenRun(this::poke);
        } catch (IOException | RuntimeException e) {
            LOG.error("Service {}: could not start {}: {}", config.name(), config.startCommand(), e.getMessage());
            startedAt = now;
            failure("could not start: " + e.getMessage(), now);
        }
    }

    private void probe(long now) {
        boolean due = state == ServiceState.STARTING || now - lastProbeAt >= config.probeInterval().toMillis() / 2;
        if (!due) {
            return;
        }
        Probe.Result r = config.probe().check(config.probeTimeout());
        lastProbeAt = System.currentTimeMillis();
        lastProbe = r.ok() ? "ok" : r.detail();
        if (state == ServiceState.STARTING) {
            if (r.ok()) {
                setState(ServiceState.ACTIVE, "pid " + process.pid() + ", probe ok");
                LOG.info("Service {}: active (pid {}, started {} ms ago)", config.name(), process.pid(), lastProbeAt - startedAt);
            } else if (lastProbeAt - startedAt > config.startTimeout().toMillis()) {
                stopProcess("no passing probe within start.timeout.seconds");
                failure("probe did not pass within " + config.startTimeout().toMillis() + " ms: " + r.detail(), lastProbeAt);
            }
            return;
        }
        if (r.ok()) {
            probeFailures = 0;
            if (state == ServiceState.UNHEALTHY) {
                LOG.info("Service {}: probe passes again", config.name());
            }
            setState(ServiceState.ACTIVE, "pid " + process.pid() + ", probe ok");
            if (lastProbeAt - startedAt >= config.restartReset().toMillis()) {
                fastFailures = 0;
            }
            return;
        }
        probeFailures++;
        if (probeFailures < config.probeFailures()) {
            return;
        }
        String why = "probe failed " + probeFailures + " times: " + r.detail();
        if (config.restartOnUnhealthy()) {
            LOG.warn("Service {}: {}: restarting it", config.name(), why);
            stopProcess(why);
            failure(why, lastProbeAt);
        } else {
            if (state != ServiceState.UNHEALTHY) {
                LOG.warn("Service {}: {}", config.name(), why);
            }
            setState(ServiceState.UNHEALTHY, why);
        }
    }

    private void failure(String reason, long now) {
        long ranFor = now - startedAt;
        fastFailures = ranFor < config.restartReset().toMillis() ? fastFailures + 1 : 1;
        if (fastFailures >= config.restartMaxFastFailures()) {
            String why = "gave up after " + fastFailures + " failures, each within " + config.restartReset().toMillis()
                    + " ms of its start; last: " + reason;
            LOG.error("Service {}: {} (supervisor:restart {} to try again)", config.name(), why, config.name());
            setState(ServiceState.FAILED, why);
            return;
        }
        long initial = Math.max(1, config.restartInitial().toMillis());
        long delay = Backoff.after(fastFailures, initial, Math.max(initial, config.restartMax().toMillis()),
                java.util.concurrent.ThreadLocalRandom.current().nextDouble());
        backoffUntil = now + delay;
        setState(ServiceState.BACKOFF, reason + "; restart in " + delay + " ms");
        executor.schedule(this::tick, delay, TimeUnit.MILLISECONDS);
    }

    private void stopProcess(String why) {
        ChildProcess p = process;
        process = null;
        LOG.info("Service {}: stopping pid {} ({})", config.name(), p.pid(), why);
        p.stop(config.stopCommand(), config.workingDirectory(), config.environment(), config.stopTimeout());
    }

    private void setState(ServiceState next, String why) {
        if (next != state) {
            since = Instant.now();
        }
        state = next;
        detail = why;
    }

    private void announce() {
        String target = config.probe().target();
        if (state.holding()) {
            announcer.announce(StandbyRule.HOLDER + config.name(), target + StandbyRule.SINCE + holdSince);
        } else if (state == ServiceState.STANDBY && config.mode() == ServiceMode.ACTIVE_STANDBY) {
            announcer.announce(StandbyRule.CANDIDATE + config.name(), target);
        } else {
            announcer.announce(null, null);
        }
    }

    private void publish() {
        ChildProcess p = process;
        long pid = p != null && p.alive() ? p.pid() : -1;
        Health health;
        if (state == ServiceState.ACTIVE) {
            health = Health.up(config.name() + " active on " + nodeName.get() + " (pid " + pid + ", probe " + lastProbe + ")");
        } else if (state == ServiceState.STANDBY) {
            health = Health.down(config.name() + ": standby (" + detail + ")");
        } else {
            health = Health.down(config.name() + ": " + state.id() + " (" + detail + ")");
        }
        status = new ServiceStatus(config.name(), config.role(), config.mode(), state, pid, restarts, lastProbe, since, detail, health);
    }
}
