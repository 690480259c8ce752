package io.tandem.supervisor.internal;

import io.tandem.api.cluster.ClusterEvent;
import io.tandem.api.cluster.ClusterListener;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.RoleService;
import io.tandem.supervisor.ServiceStatus;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One supervised service per factory configuration {@code tandem.service}
 * ({@code etc/tandem.service-<name>.cfg}). The configuration is validated at activation (a bad value
 * fails it, naming the key and the value); the process runs only while the service's role is played
 * on this node, i.e. while that role's {@link RoleService} ({@code tandem.role=<role>}) is registered.
 */
@Component(service = {ServiceHandle.class, ClusterListener.class}, configurationPid = ServiceComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = ServiceComponent.Config.class, factory = true)
public class ServiceComponent implements ServiceHandle, ClusterListener {

    public static final String PID = ServiceConfig.PID;

    /** Documentation of the keys; values are read and checked by {@link ServiceConfig}. */
    @ObjectClassDefinition(name = "Tandem supervised service", description = "A program run and watched by the files, video or chats role")
    public @interface Config {
        @AttributeDefinition(description = "Name of the service, unique on the node (letters, digits, . _ -)")
        String name();

        @AttributeDefinition(description = "Role that runs it: files, video or chats")
        String role();

        @AttributeDefinition(description = "active-active (every node of the role) or active-standby (one node); default: files active-active, video and chats active-standby")
        String mode() default "";

        @AttributeDefinition(description = "false: configured but never started")
        boolean enabled() default true;

        @AttributeDefinition(description = "Program and arguments, split like a shell would but run without one; write sh -c '...' for a shell")
        String start_command();

        @AttributeDefinition(description = "Command that stops the service; default: SIGTERM to its process group")
        String stop_command() default "";

        @AttributeDefinition(description = "Seconds to wait for the service to end before SIGKILL of its process group")
        double stop_timeout_seconds() default 10;

        @AttributeDefinition(description = "Working directory of the service; default: the Tandem directory")
        String working_directory() default "";

        @AttributeDefinition(description = "File the service's output is appended to; default: data/log/service-<name>.log")
        String output_file() default "";

        @AttributeDefinition(description = "Health probe: tcp:host:port or http://host:port/path; empty: the process is alive")
        String probe() default "";

        @AttributeDefinition(description = "Seconds between probes")
        double probe_interval_seconds() default 2;

        @AttributeDefinition(description = "Seconds a probe may take")
        double probe_timeout_seconds() default 1;

        @AttributeDefinition(description = "Consecutive failed probes before the service is unhealthy")
        int probe_failures() default 3;

        @AttributeDefinition(description = "Seconds a started service has to pass its probe")
        double start_timeout_seconds() default 30;

        @AttributeDefinition(description = "Restart an unhealthy service")
        boolean restart_on_unhealthy() default true;

        @AttributeDefinition(description = "First restart delay in seconds; doubled after each fast failure")
        double restart_initial_seconds() default 1;

        @AttributeDefinition(description = "Largest restart delay in seconds")
        double restart_max_seconds() default 30;

        @AttributeDefinition(description = "A run this long is stable: the next failure starts the backoff afresh")
        double restart_reset_seconds() default 60;

        @AttributeDefinition(description = "Fast failures in a row after which the service is failed (not restarted)")
        int restart_max_fast_failures() default 5;

        @AttributeDefinition(description = "Active-standby: seconds after joining the cluster before this node may take the service over")
        double takeover_grace_seconds() default 10;
    }

    private final Supervisor supervisor;
    private final Set<RoleService> roles = ConcurrentHashMap.newKeySet();
    private volatile ClusterService cluster;

    @Activate
    public ServiceComponent(@Reference LocalNode node, BundleContext context, Map<String, Object> properties) {
        ServiceConfig config = ServiceConfig.parse(properties, ChildProcess.dataDirectory().resolve("log"));
        Path watchdog = ChildProcess.installWatchdog(PID + " '" + config.name() + "'");
        this.supervisor = new Supervisor(config, () -> node.identity().name(), watchdog, new EndpointAnnouncer(context),
                this::clusterView);
        supervisor.setRolePlayed(rolePlayed());
        supervisor.start();
    }

    @Deactivate
    void deactivate() {
        supervisor.close();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addRole(RoleService role) {
        roles.add(role);
        roleChanged();
    }

    void removeRole(RoleService role) {
        roles.remove(role);
        roleChanged();
    }

    private void roleChanged() {
        Supervisor s = supervisor;
        if (s != null) {
            s.setRolePlayed(rolePlayed());
        }
    }

    private boolean rolePlayed() {
        Supervisor s = supervisor;
        return s != null && roles.stream().anyMatch(r -> r.role() == s.config().role());
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setCluster(ClusterService cluster) {
        this.cluster = cluster;
        roleChanged();
    }

    void unsetCluster(ClusterService cluster) {
        if (this.cluster == cluster) {
            this.cluster = null;
        }
    }

    private Supervisor.ClusterView clusterView() {
        ClusterService c = cluster;
        return c == null ? null : new Supervisor.ClusterView(c.status().connected(), c.nodes());
    }

    @Override
    public void clusterChanged(ClusterEvent event) {
        Supervisor s = supervisor;
        if (s != null) {
            s.poke();
        }
    }

    @Override
    public ServiceStatus status() {
        return supervisor.status();
    }

    @Override
    public ServiceStatus restart() {
        return supervisor.restart();
    }
}
