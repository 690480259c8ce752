package io.tandem.health.internal;

import io.tandem.api.concurrent.Threads;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.node.Endpoint;
import io.tandem.api.node.Health;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleStatus;
import io.tandem.api.text.Json;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Health endpoints for load balancers: {@code GET /health} (the node) and {@code GET /health/<role>}
 * (200 when the role is configured, active and healthy on this node, 503 otherwise), each with a
 * short JSON body. Served by the JDK's HTTP server on {@code node.address}: see
 * docs/decisions/0002-health-endpoints-on-the-jdk-http-server.md.
 */
@Component(service = Endpoint.class, configurationPid = HealthServer.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = HealthServer.Config.class)
public class HealthServer implements Endpoint {

    public static final String PID = "tandem.health";
    private static final Logger LOG = LoggerFactory.getLogger(HealthServer.class);

    @ObjectClassDefinition(name = "Tandem health endpoints", description = "HTTP health checks for load balancers")
    public @interface Config {
        @AttributeDefinition(description = "TCP port of the health endpoints, bound on node.address")
        int port() default 8405;

        @AttributeDefinition(description = "Threads serving health requests")
        int threads() default 2;
    }

    private final LocalNode node;
    private final HttpServer server;
    private final ExecutorService executor;
    private final String uri;
    private volatile ClusterService cluster;

    @Activate
    public HealthServer(@Reference LocalNode node, Config config) throws IOException {
        if (config.port() < 0 || config.port() > 65535) {
            throw new IllegalArgumentException(PID + ": port = " + config.port() + " is out of range 0..65535");
        }
        if (config.threads() < 1) {
            throw new IllegalArgumentException(PID + ": threads = " + config.threads() + " must be >= 1");
        }
        this.node = node;
        String address = node.identity().address();
        this.executor = Executors.newFixedThreadPool(config.threads(), Threads.numbered("tandem-health"));
        try {
            this.server = HttpServer.create(new InetSocketAddress(address, config.port()), 50);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new IOException(PID + ": cannot listen on " + address + ":" + config.port() + ": " + e.getMessage(), e);
        }
        server.setExecutor(executor);
        server.createContext("/health", this::handle);
        server.start();
        String host = address.contains(":") ? "[" + address + "]" : address;
        this.uri = "http://" + host + ":" + server.getAddress().getPort() + "/health";
        LOG.info("Started health endpoints on {}", uri);
    }

    @Deactivate
    void deactivate() {
        server.stop(0);
        executor.shutdownNow();
        LOG.info("Stopped health endpoints on {}", uri);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setCluster(ClusterService cluster) {
        this.cluster = cluster;
    }

    void unsetCluster(ClusterService cluster) {
        if (this.cluster == cluster) {
            this.cluster = null;
        }
    }

    @Override
    public String name() {
        return "health";
    }

    @Override
    public String uri() {
        return uri;
    }

    /** The port actually bound (differs from the configured one when that is 0). */
    int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().add("Allow", "GET, HEAD");
                send(exchange, 405, Map.of("error", "method " + method + " not allowed"));
                return;
            }
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/health") || path.equals("/health/")) {
                nodeHealth(exchange);
                return;
            }
            if (!path.startsWith("/health/")) {
                // the context matches every path that starts with "/health", "/healthz" too
                send(exchange, 404, Map.of("error", "no such path '" + path + "'"));
                return;
            }
            String roleId = path.substring("/health/".length());
            Optional<Role> role = Role.find(roleId);
            if (role.isEmpty() || roleId.contains("/")) {
                send(exchange, 404, Map.of("error", "unknown role '" + roleId + "'",
                        "roles", Role.ids(java.util.EnumSet.allOf(Role.class))));
                return;
            }
            roleHealth(exchange, role.get());
        }
    }

    private void nodeHealth(HttpExchange exchange) throws IOException {
        Health health = node.health();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("node", node.identity().name());
        body.put("status", health.status());
        body.put("detail", health.detail());
        Map<String, Object> roles = new LinkedHashMap<>();
        for (RoleStatus s : node.roleStatus()) {
            roles.put(s.role().id(), s.health().status());
        }
        body.put("roles", roles);
        ClusterService c = cluster;
        if (c != null) {
            ClusterStatus cs = c.status();
            body.put("cluster", Map.of("connected", cs.connected(), "members", cs.members()));
        }
        send(exchange, health.up() ? 200 : 503, body);
    }

    private void roleHealth(HttpExchange exchange, Role role) throws IOException {
        RoleStatus status = node.roleStatus().stream().filter(s -> s.role() == role).findFirst()
                .orElse(new RoleStatus(role, false, false, Health.down("role not configured on this node")));
        boolean up = status.configured() && status.active() && status.health().up();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("node", node.identity().name());
        body.put("role", role.id());
        body.put("status", up ? "UP" : "DOWN");
        body.put("detail", status.health().detail());
        send(exchange, up ? 200 : 503, body);
    }

    private static void send(HttpExchange exchange, int code, Map<String, ?> body) throws IOException {
        byte[] bytes = (Json.write(body) + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(code, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
