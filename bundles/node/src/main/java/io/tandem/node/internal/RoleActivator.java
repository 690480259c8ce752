package io.tandem.node.internal;

import io.tandem.api.concurrent.Threads;
import io.tandem.api.node.Role;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Converges the installed role features to the configured roles: installs the missing
 * {@code tandem-role-*} features, uninstalls the others. Runs on its own thread (feature
 * changes are slow and must not block configuration delivery); the latest request wins;
 * a failed attempt is retried with a delay and its reason is kept for operators.
 */
final class RoleActivator {

    private static final Logger LOG = LoggerFactory.getLogger(RoleActivator.class);
    static final long RETRY_SECONDS = 15;

    private final FeatureInstaller installer;
    private final ScheduledExecutorService executor;
    private final Object lock = new Object();
    private EnumSet<Role> desired = EnumSet.noneOf(Role.class);
    private long requested;
    private long applied;
    private String error;
    private ScheduledFuture<?> retry;

    RoleActivator(FeatureInstaller installer) {
        this.installer = installer;
        this.executor = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-node-roles"));
    }

    /** Asks for the installed role features to match {@code roles}; returns at once. */
    void converge(Set<Role> roles) {
        synchronized (lock) {
            desired = roles.isEmpty() ? EnumSet.noneOf(Role.class) : EnumSet.copyOf(roles);
            requested++;
            if (retry != null) {
                retry.cancel(false);
                retry = null;
            }
        }
        executor.execute(this::apply);
    }

    private void apply() {
        EnumSet<Role> want;
        long generation;
        synchronized (lock) {
            want = EnumSet.copyOf(desired);
            generation = requested;
            if (generation == applied && error == null) {
                return; // a newer request already handled this one
            }
        }
        String failure = null;
        try {
            Set<String> installed = installer.installed(Role.FEATURE_PREFIX);
            Set<String> wanted = want.stream().map(Role::feature).collect(Collectors.toCollection(TreeSet::new));
            Set<String> remove = new TreeSet<>(installed);
            remove.removeAll(wanted);
            Set<String> add = new TreeSet<>(wanted);
            add.removeAll(installed);
            if (!remove.isEmpty()) {
                LOG.info("Deactivating roles: uninstalling {}", remove);
                installer.uninstall(remove);
            }
            if (!add.isEmpty()) {
                LOG.info("Activating roles: installing {}", add);
                installer.install(add);
            }
            if (!add.isEmpty() || !remove.isEmpty()) {
                LOG.info("Roles now installed: {}", Role.ids(want));
            }
        } catch (Exception e) {
            failure = "role features for [" + Role.ids(want) + "] could not be applied: " + e.getMessage();
            LOG.error("{} (retrying in {} s)", failure, RETRY_SECONDS, e);
        }
        synchronized (lock) {
            error = failure;
            if (failure == null) {
                applied = Math.max(applied, generation);
            } else if (generation == requested && !executor.isShutdown()) {
                retry = executor.schedule(this::apply, RETRY_SECONDS, TimeUnit.SECONDS);
            }
        }
    }

    /** True while a requested change has not been applied yet. */
    boolean pending() {
        synchronized (lock) {
            return applied < requested;
        }
    }

    Optional<String> error() {
        synchronized (lock) {
            return Optional.ofNullable(error);
        }
    }

    /** Waits (bounded) until the last request was handled, successfully or not. For tests and shutdown. */
    boolean awaitIdle(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true) {
            var marker = executor.submit(() -> { });
            try {
                marker.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                return false;
            }
            synchronized (lock) {
                if (!pending() || error != null) {
                    return true;
                }
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
        }
    }

    void close() {
        executor.shutdownNow();
    }
}
