package io.tandem.health.internal;

import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.node.Health;
import io.tandem.api.node.Role;
import io.tandem.api.test.ClusterServiceAdapter;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.LocalNodeAdapter;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class HealthServerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final LocalNodeAdapter node = new LocalNodeAdapter("mbox1", "127.0.0.1");
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private HealthServer server;

    @Before
    public void start() throws Exception {
        server = new HealthServer(node, ConfigProxy.of(HealthServer.Config.class, Map.of("port", 0)));
    }

    @After
    public void stop() {
        if (server != null) {
            server.deactivate();
        }
    }

    private HttpResponse<String> request(String method, String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        return client.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return request("GET", path);
    }

    private static void assertStatus(int expected, HttpResponse<String> response) {
        assertEquals(response.uri() + " answered " + response.body(), expected, response.statusCode());
    }

    private static void assertBodyHas(HttpResponse<String> response, String... fragments) {
        for (String fragment : fragments) {
            assertTrue("'" + fragment + "' in " + response.body(), response.body().contains(fragment));
        }
    }

    @Test
    public void bindsAnEphemeralPortAndPublishesItsUri() {
        assertTrue(server.port() > 0);
        assertEquals("health", server.name());
        assertEquals("http://127.0.0.1:" + server.port() + "/health", server.uri());
    }

    @Test
    public void nodeIsUpWhenEveryConfiguredRoleIsUp() throws Exception {
        node.setRoles(Role.CORE, Role.MAILSTORE);
        HttpResponse<String> r = get("/health");
        assertStatus(200, r);
        assertEquals(String.join("\n",
                "{",
                "  \"node\": \"mbox1\",",
                "  \"status\": \"UP\",",
                "  \"detail\": \"all roles up\",",
                "  \"roles\": {",
                "    \"core\": \"UP\",",
                "    \"mailstore\": \"UP\"",
                "  }",
                "}",
                ""), r.body());
        assertEquals("application/json; charset=utf-8", r.headers().firstValue("Content-Type").orElse(null));
        assertEquals("no-store", r.headers().firstValue("Cache-Control").orElse(null));
        assertStatus(200, get("/health/"));
    }

    @Test
    public void nodeWithoutRolesIsUp() throws Exception {
        HttpResponse<String> r = get("/health");
        assertStatus(200, r);
        assertBodyHas(r, "\"detail\": \"no role configured\"", "\"roles\": {}");
    }

    @Test
    public void nodeIsDownWhenAConfiguredRoleIsDown() throws Exception {
        node.setRoles(Role.CORE).setRoleActive(Role.CORE, Health.down("quorum lost"));
        HttpResponse<String> r = get("/health");
        assertStatus(503, r);
        assertBodyHas(r, "\"status\": \"DOWN\"", "\"detail\": \"core: quorum lost\"", "\"core\": \"DOWN\"");
    }

    @Test
    public void nodeIsDownWhenAConfiguredRoleIsNotActive() throws Exception {
        node.setRoles(Role.CORE).setConfiguredRoles(Role.CORE, Role.MTA);
        HttpResponse<String> r = get("/health");
        assertStatus(503, r);
        assertBodyHas(r, "\"detail\": \"mta: not active\"", "\"core\": \"UP\"", "\"mta\": \"DOWN\"");
    }

    @Test
    public void clusterSummaryIsIncludedWhenTheClusterServiceIsThere() throws Exception {
        server.setCluster(new ClusterServiceAdapter().setStatus(new ClusterStatus("prod", true, 3, 2, 3)));
        HttpResponse<String> r = get("/health");
        assertStatus(200, r);
        assertBodyHas(r, "\"cluster\": {", "\"connected\": true", "\"members\": 3");
    }

    @Test
    public void roleUpWhenConfiguredActiveAndHealthy() throws Exception {
        node.setRoles(Role.MAILSTORE);
        HttpResponse<String> r = get("/health/mailstore");
        assertStatus(200, r);
        assertEquals(String.join("\n",
                "{",
                "  \"node\": \"mbox1\",",
                "  \"role\": \"mailstore\",",
                "  \"status\": \"UP\",",
                "  \"detail\": \"mailstore up\"",
                "}",
                ""), r.body());
    }

    @Test
    public void roleDownWhenUnhealthy() throws Exception {
        node.setRoles(Role.MTA).setRoleActive(Role.MTA, Health.down("queue stuck"));
        HttpResponse<String> r = get("/health/mta");
        assertStatus(503, r);
        assertBodyHas(r, "\"role\": \"mta\"", "\"status\": \"DOWN\"", "\"detail\": \"queue stuck\"");
    }

    @Test
    public void roleDownWhenConfiguredButNotActive() throws Exception {
        node.setConfiguredRoles(Role.PROXY);
        HttpResponse<String> r = get("/health/proxy");
        assertStatus(503, r);
        assertBodyHas(r, "\"status\": \"DOWN\"", "\"detail\": \"not active\"");
    }

    @Test
    public void roleDownWhenActiveButNotConfigured() throws Exception {
        node.setRoleActive(Role.VIDEO, Health.up("video up"));
        HttpResponse<String> r = get("/health/video");
        assertStatus(503, r);
        assertBodyHas(r, "\"status\": \"DOWN\"");
    }

    @Test
    public void roleDownWhenNotOnThisNode() throws Exception {
        node.setRoles(Role.CORE);
        HttpResponse<String> r = get("/health/chats");
        assertStatus(503, r);
        assertBodyHas(r, "\"role\": \"chats\"", "\"detail\": \"role not configured on this node\"");
    }

    @Test
    public void unknownRoleIsNotFound() throws Exception {
        HttpResponse<String> r = get("/health/webmail");
        assertStatus(404, r);
        assertBodyHas(r, "\"error\": \"unknown role 'webmail'\"", "core,mailstore,mta,proxy,files,video,chats");
        assertStatus(404, get("/health/core/extra"));
    }

    @Test
    public void pathsThatOnlyStartLikeHealthAreNotFound() throws Exception {
        node.setRoles(Role.CORE);
        assertStatus(404, get("/health-core")); // "/health" + one character + a role id
        assertStatus(404, get("/healthxcore"));
        assertStatus(404, get("/healthcore"));
        assertStatus(404, get("/healthx/core"));
        assertStatus(404, get("/healthz"));
    }

    @Test
    public void onlyGetAndHeadAreAllowed() throws Exception {
        for (String method : new String[] {"POST", "PUT", "DELETE"}) {
            HttpResponse<String> r = request(method, "/health");
            assertStatus(405, r);
            assertEquals("GET, HEAD", r.headers().firstValue("Allow").orElse(null));
            assertBodyHas(r, "method " + method + " not allowed");
        }
        assertStatus(405, request("POST", "/health/core"));
    }

    @Test
    public void headAnswersTheStatusWithoutBody() throws Exception {
        node.setConfiguredRoles(Role.CORE);
        HttpResponse<String> down = request("HEAD", "/health");
        assertStatus(503, down);
        assertEquals("", down.body());
        node.setRoles(Role.CORE);
        assertStatus(200, request("HEAD", "/health/core"));
    }

    @Test
    public void answersFollowTheNodeLive() throws Exception {
        node.setConfiguredRoles(Role.CORE);
        assertStatus(503, get("/health/core"));
        node.setRoleActive(Role.CORE, Health.up("core up"));
        assertStatus(200, get("/health/core"));
        assertStatus(200, get("/health"));
    }

    @Test
    public void invalidConfigurationIsRefused() {
        IllegalArgumentException port = assertThrows(IllegalArgumentException.class,
                () -> new HealthServer(node, ConfigProxy.of(HealthServer.Config.class, Map.of("port", 70000))));
        assertTrue(port.getMessage(), port.getMessage().contains("tandem.health: port = 70000"));
        IllegalArgumentException threads = assertThrows(IllegalArgumentException.class,
                () -> new HealthServer(node, ConfigProxy.of(HealthServer.Config.class, Map.of("port", 0, "threads", 0))));
        assertTrue(threads.getMessage(), threads.getMessage().contains("tandem.health: threads = 0"));
    }
}
