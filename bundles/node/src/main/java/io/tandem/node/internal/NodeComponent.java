package io.tandem.node.internal;

import io.tandem.api.node.Health;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.NodeIdentity;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import io.tandem.api.node.RoleStatus;
import org.apache.karaf.features.BootFinished;
import org.apache.karaf.features.FeaturesService;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The local node: reads {@code etc/tandem.node.cfg}, installs exactly the features of the configured
 * roles, and reports identity and role state. A change of the file switches roles live; an invalid
 * change is refused (the reason is kept for {@code node:info}) and the last valid one stays in force.
 */
@Component(service = LocalNode.class, configurationPid = NodeComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = NodeComponent.Config.class)
public class NodeComponent implements LocalNode {

    public static final String PID = "tandem.node";
    private static final Logger LOG = LoggerFactory.getLogger(NodeComponent.class);

    @ObjectClassDefinition(name = "Tandem node", description = "Identity of this node and the roles it plays")
    public @interface Config {
        @AttributeDefinition(description = "Name of the node as operators call it (unique in the cluster)")
        String node_name();

        @AttributeDefinition(description = "Fully qualified domain name of the node; defaults to node.name")
        String node_fqdn() default "";

        @AttributeDefinition(description = "IP address every Tandem service of this node binds to")
        String node_address();

        @AttributeDefinition(description = "Comma separated roles: core, mailstore, mta, proxy, files, video, chats")
        String roles() default "";
    }

    private final String version;
    private final RoleActivator activator;
    // whiteboard of role services; a list per role so that a second registration is seen as such
    private final Map<Role, List<RoleService>> roleServices = new ConcurrentHashMap<>();
    private volatile NodeConfig config;
    private volatile String configurationError;

    /**
     * Waits for {@link BootFinished}: role features installed while Karaf is still provisioning the
     * boot features are not recorded as installed, and would never be uninstalled.
     */
    @Activate
    public NodeComponent(@Reference FeaturesService features, @Reference BootFinished bootFinished,
                         BundleContext context, Config config) {
        this(new KarafFeatureInstaller(features), versionOf(context), config);
    }

    NodeComponent(FeatureInstaller installer, String version, Config config) {
        this.version = version;
        this.config = NodeConfig.of(config.node_name(), config.node_fqdn(), config.node_address(), config.roles());
        this.activator = new RoleActivator(installer);
        activator.converge(this.config.roles());
        LOG.info("Started node {} ({}, {}) with roles [{}]", this.config.name(), this.config.fqdn(),
                this.config.address(), Role.ids(this.config.roles()));
    }

    private static String versionOf(BundleContext context) {
        String v = context.getBundle().getHeaders().get("Tandem-Version");
        return v != null ? v : context.getBundle().getVersion().toString();
    }

    @Modified
    void modified(Config changed) {
        NodeConfig next;
        try {
            next = NodeConfig.of(changed.node_name(), changed.node_fqdn(), changed.node_address(), changed.roles());
        } catch (IllegalArgumentException e) {
            configurationError = e.getMessage();
            LOG.error("Configuration refused, keeping roles [{}]: {}", Role.ids(config.roles()), e.getMessage());
            return;
        }
        configurationError = null;
        NodeConfig previous = config;
        config = next;
        if (!previous.roles().equals(next.roles())) {
            LOG.info("Roles changed from [{}] to [{}]", Role.ids(previous.roles()), Role.ids(next.roles()));
        }
        activator.converge(next.roles());
    }

    @Deactivate
    void deactivate() {
        activator.close();
        LOG.info("Stopped node {}", config.name());
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addRoleService(RoleService service) {
        roleServices.computeIfAbsent(service.role(), r -> new CopyOnWriteArrayList<>()).add(service);
    }

    void removeRoleService(RoleService service) {
        roleServices.computeIfPresent(service.role(), (r, list) -> {
            list.remove(service);
            return list.isEmpty() ? null : list;
        });
    }

    @Override
    public NodeIdentity identity() {
        NodeConfig c = config;
        return new NodeIdentity(c.name(), c.fqdn(), c.address(), version);
    }

    @Override
    public Set<Role> configuredRoles() {
        return config.roles();
    }

    @Override
    public Set<Role> activeRoles() {
        Set<Role> active = EnumSet.noneOf(Role.class);
        active.addAll(roleServices.keySet());
        return active;
    }

    @Override
    public List<RoleStatus> roleStatus() {
        Set<Role> configured = config.roles();
        List<RoleStatus> out = new ArrayList<>();
        for (Role role : Role.values()) {
            List<RoleService> services = roleServices.get(role);
            boolean isConfigured = configured.contains(role);
            if (!isConfigured && services == null) {
                continue;
            }
            Health health;
            if (services == null || services.isEmpty()) {
                // a failed activation stays pending (it is retried): its reason goes first
                health = Health.down(activator.error().orElseGet(() -> activator.pending() ? "activating" : "not active"));
            } else if (!isConfigured) {
                health = Health.down(activator.pending() ? "deactivating" : "active but not configured on this node");
            } else {
                health = healthOf(services.get(0));
            }
            out.add(new RoleStatus(role, isConfigured, services != null, health));
        }
        return out;
    }

    private static Health healthOf(RoleService service) {
        try {
            return service.health();
        } catch (RuntimeException e) {
            return Health.down("health check failed: " + e);
        }
    }

    @Override
    public Optional<String> configurationError() {
        return Optional.ofNullable(configurationError);
    }

    @Override
    public Optional<String> activationError() {
        return activator.error();
    }

    @Override
    public Health health() {
        List<String> problems = new ArrayList<>();
        for (RoleStatus s : roleStatus()) {
            if (s.configured() && !s.health().up()) {
                problems.add(s.role().id() + ": " + s.health().detail());
            }
        }
        if (problems.isEmpty()) {
            return Health.up(config.roles().isEmpty() ? "no role configured" : "all roles up");
        }
        return Health.down(String.join("; ", problems));
    }

    /** For tests: waits until role activation went idle. */
    boolean awaitRoles(long seconds) throws InterruptedException {
        return activator.awaitIdle(seconds, java.util.concurrent.TimeUnit.SECONDS);
    }
}
