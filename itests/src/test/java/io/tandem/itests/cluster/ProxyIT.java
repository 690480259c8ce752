package io.tandem.itests.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The proxy role (p3) in front of two real Mailstores (p1, p2), the directory on a real PostgreSQL, the
 * replication log on a real Kafka broker (KRaft), blobs on S3Proxy: reads and writes of an account through
 * the proxy, replication to p2, kill -9 of p1 (the proxy answers 503 with Retry-After), promotion on p2
 * (the proxy follows it; the time from the ownership change to the first answer from p2 is logged).
 * The steps build on each other, hence the fixed order.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ProxyIT {

    private static final ObjectMapper JSON = HaCluster.JSON;
    private static final String ALICE = "alice@example.com";
    private static final String PROXY = "http://127.0.7.3:8080";
    private static final Duration SYNC = HaCluster.SYNC;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HaCluster cluster;
    private static Harness harness;
    private static long appendedItem;

    @BeforeClass
    public static void up() throws Exception {
        cluster = HaCluster.start("proxy", "127.0.7.", "p1 core,mailstore", "p2 core,mailstore", "p3 core,proxy");
        harness = cluster.harness;
        harness.exec("p1", "prov", "createAccount", ALICE, "p1");
        harness.exec("p1", "global", "set", "brokers", cluster.kafka.brokers());
        // the 503 while the owner is dead and not yet promoted is what test c looks at
        harness.exec("p1", "ha", "setAutoFailover", "disable");
    }

    @AfterClass
    public static void down() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String uuid(String text) {
        return HaCluster.uuid(text);
    }

    private static HttpResponse<String> http(String method, String url, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> proxy(String method, String path, byte[] body) throws Exception {
        return http(method, PROXY + path, body);
    }

    private static JsonNode json(String text) throws Exception {
        int start = Math.min(text.indexOf('[') < 0 ? Integer.MAX_VALUE : text.indexOf('['),
                text.indexOf('{') < 0 ? Integer.MAX_VALUE : text.indexOf('{'));
        return JSON.readTree(text.substring(start));
    }

    private static String checksum(String node) {
        return cluster.checksum(node, ALICE);
    }

    private static void awaitDone(String node, String id) throws Exception {
        cluster.awaitOperation(node, id);
    }

    private static List<String> subjects(HttpResponse<String> page) throws Exception {
        List<String> out = new ArrayList<>();
        json(page.body()).get("messages").forEach(m -> out.add(m.get("subject").asText()));
        return out;
    }

    @Test
    public void a_readsAndWritesGoThroughTheProxyToTheOwner() throws Exception {
        HttpResponse<String> health = http("GET", "http://127.0.7.3:8405/health/proxy", null);
        assertEquals(health.body(), 200, health.statusCode());
        HttpResponse<String> folders = proxy("GET", "/accounts/" + ALICE + "/folders", null);
        assertEquals(folders.body(), 200, folders.statusCode());
        assertEquals(ALICE, json(folders.body()).get("account").asText()); // no mailbox yet: its first write creates it
        byte[] message = ("From: Carol <carol@remote.test>\r\nTo: " + ALICE + "\r\nSubject: Through the proxy\r\n\r\nHello\r\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HttpResponse<String> appended = proxy("POST", "/accounts/" + ALICE + "/folders/2/messages", message);
        assertEquals(appended.body(), 201, appended.statusCode());
        appendedItem = json(appended.body()).get("itemId").asLong();
        HttpResponse<String> raw = proxy("GET", "/accounts/" + ALICE + "/messages/" + appendedItem + "/raw", null);
        assertEquals(raw.body(), 200, raw.statusCode());
        assertEquals(new String(message, java.nio.charset.StandardCharsets.UTF_8), raw.body());
        HttpResponse<String> flags = proxy("PUT", "/accounts/" + ALICE + "/messages/" + appendedItem + "/flags",
                "[\"\\\\Seen\"]".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(flags.body(), 200, flags.statusCode());
        assertEquals(List.of("Through the proxy"), subjects(proxy("GET", "/accounts/" + ALICE + "/folders/2/messages", null)));
        assertTrue(proxy("GET", "/accounts/" + ALICE + "/folders", null).body().contains("Inbox"));
        // the proxy answers for what it cannot route
        HttpResponse<String> unknown = proxy("GET", "/accounts/nobody@example.com/folders", null);
        assertEquals(unknown.body(), 404, unknown.statusCode());
        assertTrue(unknown.body(), unknown.body().contains("nobody@example.com"));
        assertEquals(404, proxy("GET", "/elsewhere", null).statusCode());
        // the Mailstore that does not own alice refuses her directly
        HttpResponse<String> direct = http("GET", "http://127.0.7.2:7080/accounts/" + ALICE + "/folders", null);
        assertEquals(direct.body(), 421, direct.statusCode());
    }

    @Test
    public void b_replicateToP2() throws Exception {
        String op = uuid(harness.exec("p1", "ha", "setAccountDestination", "p2", "10", "accounts", ALICE));
        awaitDone("p1", op);
        Harness.await("p2 holds the same mailbox of alice as p1", SYNC, () -> {
            String want = checksum("p1");
            return want != null && want.equals(checksum("p2"));
        });
    }

    @Test
    public void c_withTheOwnerDeadTheProxyAnswers503WithRetryAfter() throws Exception {
        harness.run(60, "kill", "p1");
        HttpResponse<String> r = proxy("GET", "/accounts/" + ALICE + "/folders", null);
        assertEquals(r.body(), 503, r.statusCode());
        assertEquals("5", r.headers().firstValue("Retry-After").orElse(""));
        JsonNode body = json(r.body());
        assertEquals(ALICE, body.get("account").asText());
        assertEquals("p1", body.get("owner").asText());
        // once the cluster saw p1 leave, the answer says so without trying to connect
        harness.run(60, "wait", "p2", "2", "30");
        Harness.await("the proxy sees p1 gone", Duration.ofSeconds(30), () -> {
            try {
                HttpResponse<String> again = proxy("GET", "/accounts/" + ALICE + "/folders", null);
                if (again.statusCode() == 503 && again.body().contains("p1 is not live")) {
                    System.out.println("ProxyIT: the proxy's answer for alice with p1 gone: " + again.statusCode() + " "
                            + again.headers().map() + "\n" + again.body());
                    return true;
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        });
        HttpResponse<String> post = proxy("POST", "/accounts/" + ALICE + "/folders/2/messages",
                "Subject: lost\r\n\r\nx\r\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(post.body(), 503, post.statusCode());
        assertTrue(post.headers().firstValue("Retry-After").isPresent());
    }

    @Test
    public void d_afterThePromotionTheProxyServesTheAccountFromP2() throws Exception {
        Instant started = Instant.now();
        AtomicReference<Instant> firstServed = new AtomicReference<>();
        AtomicReference<String> lastAnswer = new AtomicReference<>("");
        Thread poll = new Thread(() -> {
            long deadline = System.nanoTime() + SYNC.toNanos();
            while (System.nanoTime() < deadline) {
                try {
                    HttpResponse<String> r = proxy("GET", "/accounts/" + ALICE + "/folders/2/messages", null);
                    lastAnswer.set(r.statusCode() + " " + r.body());
                    if (r.statusCode() == 200) {
                        firstServed.set(Instant.now());
                        return;
                    }
                } catch (Exception e) {
                    lastAnswer.set(e.toString());
                }
                try {
                    Thread.sleep(20); // polling interval of a bounded wait
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "proxy-poll");
        poll.start();
        String op = uuid(harness.exec("p2", "ha", "promoteAccounts", "source_mail_host", "p1"));
        poll.join(SYNC.toMillis() + 5_000);
        assertTrue("the proxy served alice after the promotion; last answer: " + lastAnswer.get(), firstServed.get() != null);
        awaitDone("p2", op);
        Optional<Instant> changed = Optional.empty();
        for (String node : List.of("p2", "p3")) {
            Optional<Instant> t = harness.logTime(node, "Owner of " + Pattern.quote(ALICE) + " changed from p1", started);
            if (t.isPresent() && (changed.isEmpty() || t.get().isBefore(changed.get()))) {
                changed = t;
            }
        }
        assertTrue("the ownership change is in the log of p2", changed.isPresent());
        long millis = Duration.between(changed.get(), firstServed.get()).toMillis();
        System.out.println("ProxyIT: the proxy served " + ALICE + " from p2 " + millis + " ms after the ownership change");
        HttpResponse<String> page = proxy("GET", "/accounts/" + ALICE + "/folders/2/messages", null);
        assertEquals(page.body(), 200, page.statusCode());
        assertEquals(List.of("Through the proxy"), subjects(page));
        // writes go to p2 now
        HttpResponse<String> appended = proxy("POST", "/accounts/" + ALICE + "/folders/2/messages",
                ("Subject: After the promotion\r\n\r\nHello again\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(appended.body(), 201, appended.statusCode());
        String status = harness.exec("p3", "proxy", "status");
        System.out.println("ProxyIT: proxy:status on p3:\n" + status);
        JsonNode s = json(harness.exec("p3", "proxy", "status", "--json"));
        assertEquals("UP", s.get("state").asText());
        assertEquals("http://127.0.7.3:8080", s.get("listening").asText());
        assertTrue(s.toString(), s.get("unavailable").asLong() >= 3);
        assertEquals(s.toString(), 1, s.get("routes").get("p2").asInt());
        assertTrue(s.toString(), s.get("routes").get("p1") == null);
    }
}
