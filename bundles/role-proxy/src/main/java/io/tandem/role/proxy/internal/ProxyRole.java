package io.tandem.role.proxy.internal;

import io.tandem.api.cluster.ClusterService;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.node.Endpoint;
import io.tandem.api.node.Health;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import io.tandem.role.proxy.internal.http.ProxyServer;
import io.tandem.role.proxy.internal.http.RoutingProxyHandler;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Map;

/**
 * The proxy role on this node: an HTTP reverse proxy on {@code node.address} that sends every request
 * for {@code /accounts/{account}/...} to the account's current Mailstore ({@link Router}, {@link
 * RoutingProxyHandler}). Present exactly while the {@code tandem-role-proxy} feature is installed and
 * {@value #PID} is configured; healthy while it listens, so {@code /health/proxy} tells the load balancer.
 * Published as the {@value #ENDPOINT} endpoint.
 */
@Component(service = {RoleService.class, Endpoint.class, ProxyStatus.class}, configurationPid = ProxyRole.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
        property = RoleService.ROLE_PROPERTY + "=proxy")
@Designate(ocd = ProxyRole.Config.class)
public class ProxyRole implements RoleService, Endpoint, ProxyStatus {

    public static final String PID = "tandem.proxy";
    public static final String ENDPOINT = "proxy-http";
    private static final Logger LOG = LoggerFactory.getLogger(ProxyRole.class);

    @ObjectClassDefinition(name = "Tandem proxy", description = "Proxy role: routes mailbox API requests to the account's Mailstore")
    public @interface Config {
        @AttributeDefinition(description = "HTTP port, bound on node.address")
        int port() default 8080;

        @AttributeDefinition(description = "Threads serving client connections")
        int threads() default 64;

        @AttributeDefinition(description = "Threads of the client side (proxy to Mailstore)")
        int client_threads() default 32;

        @AttributeDefinition(description = "Milliseconds to connect to a Mailstore before it counts as unreachable")
        int connect_timeout_ms() default 2000;

        @AttributeDefinition(description = "Seconds a connection (client side or Mailstore side) may stay silent")
        int idle_timeout_seconds() default 60;

        @AttributeDefinition(description = "Connections to one Mailstore at most; more requests queue")
        int max_connections_per_mailstore() default 64;

        @AttributeDefinition(description = "Retry-After of the 503 answered while an account has no reachable Mailstore, seconds")
        int retry_after_seconds() default 5;
    }

    private final Router router;
    private final ProxyStats stats = new ProxyStats();
    private final ProxyServer server;
    private final String uri;

    @Activate
    public ProxyRole(@Reference LocalNode node, @Reference DirectoryService directory, @Reference ClusterService cluster,
                     Config config) throws IOException {
        check(config.port() >= 0 && config.port() <= 65535, "port", config.port(), "0..65535");
        check(config.threads() >= 8, "threads", config.threads(), ">= 8");
        check(config.client_threads() >= 4, "client.threads", config.client_threads(), ">= 4");
        check(config.connect_timeout_ms() >= 1, "connect.timeout.ms", config.connect_timeout_ms(), ">= 1");
        check(config.idle_timeout_seconds() >= 1, "idle.timeout.seconds", config.idle_timeout_seconds(), ">= 1");
        check(config.max_connections_per_mailstore() >= 1, "max.connections.per.mailstore",
                config.max_connections_per_mailstore(), ">= 1");
        check(config.retry_after_seconds() >= 1, "retry.after.seconds", config.retry_after_seconds(), ">= 1");
        String address = node.identity().address();
        this.router = new Router(directory, cluster);
        long idle = config.idle_timeout_seconds() * 1000L;
        try {
            this.server = new ProxyServer(router, stats, new ProxyServer.Listen(address, config.port(), config.threads(), idle),
                    new RoutingProxyHandler.Settings(config.connect_timeout_ms(), idle, config.max_connections_per_mailstore(),
                            config.client_threads(), config.retry_after_seconds()),
                    node.identity().name());
        } catch (IOException e) {
            throw new IOException(PID + ": cannot listen for HTTP on " + address + ":" + config.port() + ": " + e.getMessage(), e);
        }
        String host = address.contains(":") ? "[" + address + "]" : address;
        this.uri = "http://" + host + ":" + server.port();
        LOG.info("Started role proxy: listening on {}", uri);
    }

    private static void check(boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(PID + ": " + key + " = " + value + " is invalid: expected " + expected);
        }
    }

    @Deactivate
    void deactivate() {
        server.close();
        LOG.info("Stopped role proxy");
    }

    /** The port actually bound. */
    int port() {
        return server.port();
    }

    @Override
    public Role role() {
        return Role.PROXY;
    }

    @Override
    public Health health() {
        return server.listening() ? Health.up("proxy listening on " + uri) : Health.down("proxy not listening on " + uri);
    }

    @Override
    public String name() {
        return ENDPOINT;
    }

    @Override
    public String uri() {
        return uri + "/accounts";
    }

    @Override
    public String listening() {
        return uri;
    }

    @Override
    public boolean up() {
        return server.listening();
    }

    @Override
    public Map<String, Long> counters() {
        return stats.snapshot();
    }

    @Override
    public Map<String, Integer> routesPerMailstore() {
        return router.routesPerMailstore();
    }
}
