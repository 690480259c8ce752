package io.tandem.role.proxy.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.Server;
import io.tandem.api.node.Role;
import io.tandem.api.test.ClusterServiceAdapter;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.LocalNodeAdapter;
import io.tandem.directory.jdbc.internal.DirectoryComponent;
import io.tandem.role.proxy.internal.command.ProxyStatusCommand;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * The proxy in one JVM against real HTTP servers: the directory on H2 (the real one, with its owner
 * cache), two {@link Upstream} Mailstores on the JDK's HTTP server, the cluster view from the api's test
 * adapter, and the JDK's HttpClient as the client.
 */
public class ProxyRoleTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "alice@example.com";
    private static final String BOB = "bob@example.com";

    private DirectoryComponent directory;
    private ClusterServiceAdapter cluster;
    private Upstream ms1;
    private Upstream ms2;
    private ProxyRole proxy;
    private HttpClient client;

    @Before
    public void start() throws Exception {
        directory = new DirectoryComponent(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(DirectoryComponent.Config.class, Map.of("jdbc_url", "jdbc:h2:mem:dir-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1")));
        for (String ms : List.of("ms1", "ms2")) {
            directory.registerServer(new Server(ms, ms + ".example.com", Set.of(Role.MAILSTORE), Instant.now()));
        }
        directory.createDomain("example.com");
        directory.createAccount(ALICE, "ms1");
        directory.createAccount(BOB, "ms2");
        ms1 = new Upstream("ms1", directory);
        ms2 = new Upstream("ms2", directory);
        cluster = new ClusterServiceAdapter().setNodes(ms1.node(), ms2.node());
        proxy = new ProxyRole(new LocalNodeAdapter("px1", "127.0.0.1"), directory, cluster,
                ConfigProxy.of(ProxyRole.Config.class, Map.of("port", 0, "retry_after_seconds", 7)));
        client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
    }

    @After
    public void stop() {
        if (proxy != null) {
            proxy.deactivate();
        }
        for (Upstream u : new Upstream[] {ms1, ms2}) {
            if (u != null) {
                u.close();
            }
        }
        if (directory != null) {
            directory.deactivateForTest();
        }
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + path)).timeout(Duration.ofSeconds(60));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    private long counter(String name) {
        return proxy.counters().get(name);
    }

    @Test
    public void routesEachAccountToItsOwnerWithForwardingHeaders() throws Exception {
        HttpResponse<String> a = call("GET", "/accounts/" + ALICE + "/folders", null);
        assertEquals(a.body(), 200, a.statusCode());
        assertEquals("ms1", json(a).get("servedBy").asText());
        assertEquals("/accounts/" + ALICE + "/folders", json(a).get("path").asText());
        assertEquals("127.0.0.1", json(a).get("xForwardedFor").asText());
        assertTrue(a.body(), json(a).get("via").asText().contains("px1"));
        HttpResponse<String> b = call("GET", "/accounts/" + BOB + "/search?q=x", null);
        assertEquals("ms2", json(b).get("servedBy").asText());
        assertEquals(List.of("GET /accounts/" + ALICE + "/folders"), ms1.received);
        assertEquals(List.of("GET /accounts/" + BOB + "/search"), ms2.received);
        assertEquals(Map.of("ms1", 1, "ms2", 1), proxy.routesPerMailstore());
        assertEquals(2, counter("requests"));
        assertEquals(0, counter("retries"));
    }

    @Test
    public void followsAnOwnershipChangeAtOnce() throws Exception {
        assertEquals("ms1", json(call("GET", "/accounts/" + ALICE + "/folders", null)).get("servedBy").asText());
        Account a = directory.account(ALICE).orElseThrow();
        directory.changeOwner(a.id(), "ms1", a.epoch(), "ms2");
        assertEquals("ms2", json(call("GET", "/accounts/" + ALICE + "/folders", null)).get("servedBy").asText());
        assertEquals(1, ms1.received.size());
        assertEquals(0, counter("retries"));
        assertEquals(Map.of("ms2", 1), proxy.routesPerMailstore());
    }

    @Test
    public void aGetRefusedWith421IsSentOnceToTheOwnerTheMailstoreNames() throws Exception {
        // ms1 and ms2 already know alice moved to ms2; the proxy's directory does not
        ms1.ownerSeen.put(ALICE, "ms2");
        ms2.ownerSeen.put(ALICE, "ms2");
        HttpResponse<String> r = call("GET", "/accounts/" + ALICE + "/folders", null);
        assertEquals(r.body(), 200, r.statusCode());
        assertEquals("ms2", json(r).get("servedBy").asText());
        assertEquals(1, ms1.count("GET"));
        assertEquals(1, ms2.count("GET"));
        assertEquals(1, counter("retries"));
        assertEquals(1, counter("upstreamErrors"));
    }

    @Test
    public void aPutIsRetriedWithTheSameBody() throws Exception {
        ms1.ownerSeen.put(ALICE, "ms2");
        ms2.ownerSeen.put(ALICE, "ms2");
        String flags = "[\"\\\\Seen\", \"\\\\Flagged\"]";
        HttpResponse<String> r = call("PUT", "/accounts/" + ALICE + "/messages/7/flags", flags);
        assertEquals(r.body(), 200, r.statusCode());
        JsonNode echo = json(r);
        assertEquals("ms2", echo.get("servedBy").asText());
        assertEquals(flags.length(), echo.get("bytes").asInt());
        MessageDigest sha = Upstream.sha256();
        assertEquals(HexFormat.of().formatHex(sha.digest(flags.getBytes())), echo.get("sha256").asText());
        assertEquals(1, ms1.count("PUT"));
    }

    @Test
    public void onlyOneRetry() throws Exception {
        ms1.ownerSeen.put(ALICE, "ms2");
        ms2.ownerSeen.put(ALICE, "ms1");
        HttpResponse<String> r = call("DELETE", "/accounts/" + ALICE + "/messages/7", null);
        assertEquals(r.body(), 421, r.statusCode());
        assertEquals("ms1", r.headers().firstValue("X-Tandem-Owner").orElse(""));
        assertEquals(1, ms1.count("DELETE"));
        assertEquals(1, ms2.count("DELETE"));
        assertEquals(1, counter("retries"));
    }

    @Test
    public void aPostRefusedWith421IsNeverSentTwice() throws Exception {
        ms1.ownerSeen.put(ALICE, "ms2");
        HttpResponse<String> r = call("POST", "/accounts/" + ALICE + "/messages/7/move", "{\"folderId\": 3}");
        assertEquals(r.body(), 421, r.statusCode());
        assertEquals("ms2", r.headers().firstValue("X-Tandem-Owner").orElse(""));
        assertEquals("ms2", json(r).get("owner").asText());
        assertEquals(1, ms1.count("POST"));
        assertEquals(0, ms2.received.size());
        assertEquals(0, counter("retries"));
    }

    @Test
    public void aPutTooLargeToKeepIsStreamedAndNotRetried() throws Exception {
        ms1.ownerSeen.put(ALICE, "ms2");
        ms2.ownerSeen.put(ALICE, "ms2");
        String big = "x".repeat(io.tandem.role.proxy.internal.http.RoutingProxyHandler.MAX_REPLAY_BYTES + 1);
        HttpResponse<String> r = call("PUT", "/accounts/" + ALICE + "/messages/7/tags", big);
        assertEquals(r.body(), 421, r.statusCode());
        assertEquals("ms2", r.headers().firstValue("X-Tandem-Owner").orElse(""));
        assertEquals(0, ms2.received.size());
        assertEquals(0, counter("retries"));
    }

    @Test
    public void headIsRoutedAndRetriedLikeGet() throws Exception {
        ms1.ownerSeen.put(ALICE, "ms2");
        ms2.ownerSeen.put(ALICE, "ms2");
        HttpResponse<String> r = call("HEAD", "/accounts/" + ALICE + "/folders", null);
        assertEquals(200, r.statusCode());
        assertEquals("", r.body());
        assertEquals(1, ms1.count("HEAD"));
        assertEquals(1, ms2.count("HEAD"));
    }

    @Test
    public void aDirectoryThatCannotAnswerGives503() throws Exception {
        directory.deactivateForTest(); // its pool is closed: every query fails
        HttpResponse<String> r = call("GET", "/accounts/" + ALICE + "/folders", null);
        assertEquals(r.body(), 503, r.statusCode());
        assertEquals("7", r.headers().firstValue("Retry-After").orElse(""));
        assertTrue(r.body(), json(r).get("error").asText().contains("the directory is unavailable"));
        assertEquals(ALICE, json(r).get("account").asText());
        directory = null;
    }

    @Test
    public void anOwnerThatIsNotLiveGives503WithRetryAfter() throws Exception {
        cluster.setNodes(ms2.node()); // ms1 left the cluster
        HttpResponse<String> r = call("GET", "/accounts/" + ALICE + "/folders", null);
        assertEquals(r.body(), 503, r.statusCode());
        assertEquals("7", r.headers().firstValue("Retry-After").orElse(""));
        JsonNode body = json(r);
        assertEquals(ALICE, body.get("account").asText());
        assertEquals("ms1", body.get("owner").asText());
        assertTrue(body.get("error").asText(), body.get("error").asText().contains("ms1 is not live"));
        assertEquals(0, ms1.received.size());
        assertEquals(1, counter("unavailable"));
        // bob, on ms2, is served meanwhile
        assertEquals(200, call("GET", "/accounts/" + BOB + "/folders", null).statusCode());
    }

    @Test
    public void aRefusedConnectionIsRetriedOnceForGetNeverForPostThen503() throws Exception {
        ms1.close(); // still listed as live, but nothing listens any more: connection refused
        HttpResponse<String> get = call("GET", "/accounts/" + ALICE + "/folders", null);
        assertEquals(get.body(), 503, get.statusCode());
        assertEquals("7", get.headers().firstValue("Retry-After").orElse(""));
        assertEquals("ms1", json(get).get("owner").asText());
        assertTrue(get.body(), json(get).get("error").asText().contains("cannot be reached"));
        assertEquals(1, counter("retries"));
        assertEquals(2, counter("upstreamErrors"));
        HttpResponse<String> post = call("POST", "/accounts/" + ALICE + "/folders", "{\"name\": \"x\"}");
        assertEquals(post.body(), 503, post.statusCode());
        assertEquals(ALICE, json(post).get("account").asText());
        assertEquals("a POST is not retried", 1, counter("retries"));
        assertEquals(3, counter("upstreamErrors"));
        assertEquals(2, counter("unavailable"));
    }

    @Test
    public void unknownAccountsAndOtherPathsGive404BadNames400() throws Exception {
        HttpResponse<String> unknown = call("GET", "/accounts/nobody@example.com/folders", null);
        assertEquals(404, unknown.statusCode());
        assertEquals("no such account 'nobody@example.com'", json(unknown).get("error").asText());
        HttpResponse<String> other = call("GET", "/admin/secret", null);
        assertEquals(404, other.statusCode());
        assertTrue(other.body(), json(other).get("error").asText().contains("'/admin/secret'"));
        assertEquals(404, call("GET", "/accounts/" + ALICE, null).statusCode());
        HttpResponse<String> bad = call("GET", "/accounts/not-an-address/folders", null);
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body(), json(bad).get("error").asText().contains("not-an-address"));
        assertEquals(0, ms1.received.size() + ms2.received.size());
        assertEquals(3, counter("notFound"));
    }

    @Test
    public void aLargeUploadIsStreamedThrough() throws Exception {
        int mib = 50;
        byte[] block = Upstream.pattern();
        MessageDigest sent = Upstream.sha256();
        String response;
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(120_000);
            java.io.OutputStream out = s.getOutputStream();
            out.write(("POST /accounts/" + ALICE + "/folders/2/messages HTTP/1.1\r\nHost: mail.example.com\r\n"
                    + "Content-Type: message/rfc822\r\nContent-Length: " + (long) mib * Upstream.MIB + "\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            for (int i = 0; i < mib; i++) {
                out.write(block);
                sent.update(block);
                if (i == 0) {
                    out.flush();
                    // a proxy holding the whole body before sending it on would stall here
                    assertTrue("the Mailstore received the first MiB before the client sent the rest",
                            ms1.firstMibReceived.await(30, TimeUnit.SECONDS));
                }
            }
            out.flush();
            response = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        assertTrue(response, response.startsWith("HTTP/1.1 201"));
        JsonNode echo = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4));
        assertEquals((long) mib * Upstream.MIB, echo.get("bytes").asLong());
        assertEquals(HexFormat.of().formatHex(sent.digest()), echo.get("sha256").asText());
    }

    @Test
    public void aLargeDownloadIsStreamedThrough() throws Exception {
        int mib = 50;
        ms1.sendRest = new CountDownLatch(1); // the Mailstore sends 1 MiB, then waits until the client has it
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + "/accounts/" + ALICE + "/big?mib=" + mib))
                .timeout(Duration.ofSeconds(120)).GET().build();
        HttpResponse<InputStream> r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        assertEquals("message/rfc822", r.headers().firstValue("Content-Type").orElse(""));
        MessageDigest got = Upstream.sha256();
        long total = 0;
        try (InputStream in = r.body()) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) {
                got.update(buf, 0, n);
                total += n;
                if (total >= Upstream.MIB) {
                    ms1.sendRest.countDown();
                }
            }
        }
        assertEquals((long) mib * Upstream.MIB, total);
        MessageDigest want = Upstream.sha256();
        byte[] block = Upstream.pattern();
        for (int i = 0; i < mib; i++) {
            want.update(block);
        }
        assertEquals(HexFormat.of().formatHex(want.digest()), HexFormat.of().formatHex(got.digest()));
    }

    @Test
    public void healthFollowsTheListener() {
        assertTrue(proxy.health().detail(), proxy.health().up());
        assertTrue(proxy.health().detail(), proxy.health().detail().contains("listening on http://127.0.0.1:" + proxy.port()));
        assertEquals("http://127.0.0.1:" + proxy.port() + "/accounts", proxy.uri());
        proxy.deactivate();
        assertFalse(proxy.health().detail(), proxy.health().up());
        proxy = null;
    }

    @Test
    public void invalidConfigurationFailsNamingTheKey() {
        try {
            new ProxyRole(new LocalNodeAdapter("px1", "127.0.0.1"), directory, cluster,
                    ConfigProxy.of(ProxyRole.Config.class, Map.of("port", 0, "connect_timeout_ms", 0)));
            throw new AssertionError("accepted connect.timeout.ms = 0");
        } catch (IllegalArgumentException | IOException e) {
            assertEquals("tandem.proxy: connect.timeout.ms = 0 is invalid: expected >= 1", e.getMessage());
        }
    }

    @Test
    public void statusCommandShowsCountersAndRoutes() throws Exception {
        call("GET", "/accounts/" + ALICE + "/folders", null);
        call("GET", "/accounts/" + BOB + "/folders", null);
        call("GET", "/nowhere", null);
        ProxyStatusCommand cmd = new ProxyStatusCommand();
        setProxy(cmd);
        String text = cmd.render();
        assertTrue(text, text.contains("listening") && text.contains("http://127.0.0.1:" + proxy.port()));
        assertTrue(text, text.matches("(?s).*requests\\s+: 3.*"));
        assertTrue(text, text.matches("(?s).*notFound\\s+: 1.*"));
        assertTrue(text, text.matches("(?s).*ms1\\s*\\S?\\s*1.*ms2\\s*\\S?\\s*1.*"));
        cmd.setJson(true);
        JsonNode json = JSON.readTree(cmd.render());
        assertEquals("UP", json.get("state").asText());
        assertEquals(3, json.get("requests").asLong());
        assertEquals(0, json.get("retries").asLong());
        assertEquals(1, json.get("routes").get("ms1").asInt());
        assertEquals(1, json.get("routes").get("ms2").asInt());
    }

    private void setProxy(ProxyStatusCommand cmd) throws Exception {
        java.lang.reflect.Field f = ProxyStatusCommand.class.getDeclaredField("proxy");
        f.setAccessible(true);
        f.set(cmd, proxy);
    }
}
