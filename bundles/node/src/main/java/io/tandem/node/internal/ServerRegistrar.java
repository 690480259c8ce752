package io.tandem.node.internal;

import io.tandem.api.concurrent.Threads;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.Server;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.NodeIdentity;
import io.tandem.api.node.Role;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps this node's entry in the directory's server table (name, fqdn, active roles) up to date, so
 * that accounts can be placed on registered Mailstores. Checks every few seconds and writes only
 * when something changed (or after a database error).
 */
@Component(immediate = true)
public class ServerRegistrar {

    private static final Logger LOG = LoggerFactory.getLogger(ServerRegistrar.class);
    static final long PERIOD_SECONDS = 3;

    private final LocalNode node;
    private final DirectoryAdminService directory;
    private final ScheduledExecutorService executor;
    private volatile String lastWritten;

    @Activate
    public ServerRegistrar(@Reference LocalNode node, @Reference DirectoryAdminService directory) {
        this.node = node;
        this.directory = directory;
        this.executor = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-directory-register"));
        executor.scheduleWithFixedDelay(this::registerIfChanged, 0, PERIOD_SECONDS, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        executor.shutdownNow();
    }

    void registerIfChanged() {
        NodeIdentity id = node.identity();
        Set<Role> roles = node.activeRoles();
        String key = id.name() + "|" + id.fqdn() + "|" + Role.ids(roles);
        if (Objects.equals(key, lastWritten)) {
            return;
        }
        try {
            directory.registerServer(new Server(id.name(), id.fqdn(), roles, Instant.now()));
            lastWritten = key;
            LOG.info("Registered server {} ({}) with roles [{}] in the directory", id.name(), id.fqdn(), Role.ids(roles));
        } catch (RuntimeException e) {
            LOG.warn("Could not register server {} in the directory (retrying): {}", id.name(), e.getMessage());
        }
    }
}
