package io.tandem.itests.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * The scenario operators care about, end to end with real parts: an SMTP client sends through a real
 * HAProxy (Debian's package) to two MTA nodes, which deliver to Mailstore e1, replicated to e2; the
 * mailboxes are read through HAProxy and the two Proxy nodes. Under continuous SMTP load: kill -9 of e1,
 * then (e1 back as a replica) SIGSTOP of e2, then kill -9 of one MTA. After each, every message that got
 * 250 is readable through the Proxy exactly once, with no command typed. The steps build on each other.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class EndToEndIT {

    private static final int ACCOUNTS = 8;
    private static final Duration SETTLE = Duration.ofSeconds(120);
    /** How long the owner stays frozen in step b. */
    private static final Duration FREEZE = Duration.ofSeconds(45);
    private static final String LB = "127.0.11.100";
    private static final int LB_SMTP = 10025;
    private static final int LB_HTTP = 18080;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HaCluster cluster;
    private static Harness harness;
    private static Path haproxyDir;
    /** Subjects accepted (250) by the MTA layer, per account. */
    private static final Map<String, Set<String>> accepted = new ConcurrentHashMap<>();
    private static final AtomicInteger sent = new AtomicInteger();

    @BeforeClass
    public static void up() throws Exception {
        cluster = HaCluster.start("e2e", "127.0.11.", "e1 core,mailstore", "e2 core,mailstore", "e3 core,mta,proxy", "e4 mta,proxy");
        harness = cluster.harness;
        harness.exec("e1", "global", "set", "brokers", cluster.kafka.brokers());
        List<String> accounts = accounts();
        for (String a : accounts) {
            harness.exec("e1", "prov", "createAccount", a, "e1");
        }
        cluster.awaitDone("e1", HaCluster.uuid(harness.exec("e1", "ha", "setAccountDestination", "e2", "10", "accounts",
                String.join(",", accounts))));
        Path it = Path.of(System.getProperty("tandem.it.dir"));
        haproxyDir = it.resolve("e2e-haproxy");
        Files.createDirectories(haproxyDir);
        Path config = haproxyDir.resolve("haproxy.cfg");
        Files.writeString(config, String.join("\n",
                "global",
                "    maxconn 2000",
                "defaults",
                "    mode tcp",
                "    timeout connect 2s",
                "    timeout client 60s",
                "    timeout server 60s",
                "    retries 2",
                "    option redispatch",
                "    default-server inter 500ms fall 2 rise 2 check port 8405",
                "frontend smtp",
                "    bind " + LB + ":" + LB_SMTP,
                "    default_backend mta",
                "backend mta",
                "    balance roundrobin",
                "    option httpchk",
                "    http-check send meth GET uri /health/mta",
                "    http-check expect status 200",
                "    server e3 " + cluster.address("e3") + ":2525",
                "    server e4 " + cluster.address("e4") + ":2525",
                "frontend mailbox_api",
                "    bind " + LB + ":" + LB_HTTP,
                "    default_backend proxy",
                "backend proxy",
                "    balance roundrobin",
                "    option httpchk",
                "    http-check send meth GET uri /health/proxy",
                "    http-check expect status 200",
                "    server e3 " + cluster.address("e3") + ":8080",
                "    server e4 " + cluster.address("e4") + ":8080",
                ""));
        Path repo = Path.of(System.getProperty("tandem.repo"));
        Process p = new ProcessBuilder(repo.resolve("scripts/infra/haproxy.sh").toString(), "start", haproxyDir.toString(),
                config.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals("haproxy: " + out, 0, p.waitFor());
        Harness.await("both MTAs and both Proxies in HAProxy's rotation", SETTLE, () -> {
            try {
                return Smtp.sendOne(LB, LB_SMTP, account(1), "warm-up").startsWith("250")
                        && get("/accounts/" + account(1) + "/folders").statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        });
    }

    @AfterClass
    public static void down() throws Exception {
        if (haproxyDir != null) {
            new ProcessBuilder(Path.of(System.getProperty("tandem.repo")).resolve("scripts/infra/haproxy.sh").toString(),
                    "stop", haproxyDir.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String account(int i) {
        return "e2e" + i + "@example.com";
    }

    private static List<String> accounts() {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= ACCOUNTS; i++) {
            out.add(account(i));
        }
        return out;
    }

    private static HttpResponse<String> get(String path) throws IOException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + LB + ":" + LB_HTTP + path))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /**
     * Continuous SMTP load through HAProxy until stopped, paced (each thread at most one message per 100 ms)
     * so that it is a steady stream a 2-core machine can deliver, not a flood; every 250 is recorded.
     */
    private static final class Load implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> threads = new ArrayList<>();
        final AtomicInteger refused = new AtomicInteger();

        Load(int parallel) {
            for (int t = 0; t < parallel; t++) {
                Thread th = new Thread(() -> {
                    while (!stop.get()) {
                        int n = sent.incrementAndGet();
                        String account = account(1 + n % ACCOUNTS);
                        String subject = "e2e " + n;
                        try {
                            String reply = Smtp.sendOne(LB, LB_SMTP, account, subject);
                            if (reply.startsWith("250")) {
                                accepted.computeIfAbsent(account, a -> ConcurrentHashMap.newKeySet()).add(subject);
                            } else {
                                refused.incrementAndGet();
                            }
                        } catch (IOException e) {
                            refused.incrementAndGet(); // not accepted: the client would retry, nothing was promised
                        }
                        try {
                            TimeUnit.MILLISECONDS.sleep(100); // the pace of the load, not a wait for anything
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "smtp-load-" + t);
                th.start();
                threads.add(th);
            }
        }

        int accepted() {
            return accepted.values().stream().mapToInt(Set::size).sum();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread t : threads) {
                t.join(60_000);
                assertFalse(t.isAlive());
            }
        }
    }

    /** Both MTA queues drained, then every accepted message readable through the Proxy exactly once. */
    private static void assertEveryAcceptedMessageOnceThroughTheProxy(String... mtas) throws Exception {
        for (String mta : mtas) {
            Harness.await(mta + "'s queue is empty", SETTLE, () -> {
                try {
                    return cluster.json(mta, "mta", "queue").path("count").asInt() == 0;
                } catch (Exception | AssertionError e) { // a node still starting has no mta:queue yet
                    return false;
                }
            });
        }
        for (String a : accounts()) {
            Map<String, Integer> seen = new HashMap<>();
            Harness.await("every accepted message of " + a + " readable through the Proxy", SETTLE, () -> {
                try {
                    HttpResponse<String> r = get("/accounts/" + a + "/folders/2/messages?limit=1000");
                    if (r.statusCode() != 200) {
                        return false;
                    }
                    JsonNode page = HaCluster.JSON.readTree(r.body());
                    JsonNode list = page.isArray() ? page : page.get("messages");
                    seen.clear();
                    list.forEach(m -> seen.merge(m.get("subject").asText(), 1, Integer::sum));
                    return seen.keySet().containsAll(accepted.getOrDefault(a, Set.of()));
                } catch (Exception | AssertionError e) {
                    return false;
                }
            });
            for (String subject : accepted.getOrDefault(a, Set.of())) {
                assertEquals(a + ": '" + subject + "' exactly once", Integer.valueOf(1), seen.get(subject));
            }
            seen.forEach((subject, n) -> assertEquals(a + ": '" + subject + "' at most once", Integer.valueOf(1), n));
        }
    }

    /**
     * Writes through the Proxy (flags of the account's first message) until one succeeds, as a client that gives
     * up on a request after 3 s and tries again; how long after {@code start}. (A frozen Mailstore still accepts
     * TCP connections: a request sent to it just waits.)
     */
    private static Duration firstWriteThroughTheProxy(String account, long start) throws Exception {
        return firstWriteThroughTheProxy(account, start, SETTLE);
    }

    private static Duration firstWriteThroughTheProxy(String account, long start, Duration bound) throws Exception {
        long deadline = start + bound.toNanos();
        String last = "";
        long item = -1;
        while (System.nanoTime() < deadline) {
            try {
                if (item < 0) {
                    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + LB + ":" + LB_HTTP + "/accounts/"
                            + account + "/folders/2/messages?limit=1")).timeout(Duration.ofSeconds(3)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        JsonNode page = HaCluster.JSON.readTree(r.body());
                        JsonNode l = page.isArray() ? page : page.get("messages");
                        item = l.get(0).get("itemId").asLong();
                    }
                    last = r.statusCode() + " " + r.body();
                }
                if (item >= 0) {
                    HttpResponse<String> w = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + LB + ":" + LB_HTTP + "/accounts/"
                            + account + "/messages/" + item + "/flags")).timeout(Duration.ofSeconds(3))
                            .PUT(HttpRequest.BodyPublishers.ofString("[\"\\\\Seen\"]")).build(), HttpResponse.BodyHandlers.ofString());
                    if (w.statusCode() / 100 == 2) {
                        return Duration.ofNanos(System.nanoTime() - start);
                    }
                    last = w.statusCode() + " " + w.body();
                }
            } catch (IOException e) {
                last = e.toString();
            }
            TimeUnit.MILLISECONDS.sleep(50); // polling interval of a bounded wait
        }
        throw new AssertionError("no write on " + account + " through the Proxy within " + bound.toSeconds() + " s; last: " + last);
    }

    @Test
    public void a_killMinusNineOfTheMailstoreUnderSmtpLoad() throws Exception {
        long killed;
        try (Load load = new Load(2)) {
            Harness.await("mail flows", SETTLE, () -> load.accepted() >= 20);
            killed = System.nanoTime();
            harness.run(60, "kill", "e1");
            Duration write = firstWriteThroughTheProxy(account(2), killed);
            System.out.println("[e2e] kill -9 of e1 -> first write on e2 through HAProxy and the Proxy after " + write.toMillis() + " ms");
            int at = load.accepted();
            Harness.await("mail keeps being accepted after the failover", SETTLE, () -> load.accepted() >= at + 20);
        }
        for (String a : accounts()) {
            assertEquals(a, "e2", cluster.mailHost("e2", a));
        }
        assertEveryAcceptedMessageOnceThroughTheProxy("e3", "e4");
    }

    /**
     * SIGSTOP of the owner for {@link #FREEZE}: its accounts are expected to be writable on e1 a few seconds
     * into the freeze. Before decision 0019, Hazelcast split the remaining nodes in about half the runs soon
     * after the frozen one was removed, and could not merge them while it accepted connections: then no side
     * has the core quorum, nothing is promoted or acknowledged, and the accounts are writable again once the
     * node resumes. The test accepts that outcome too and prints which one happened. Either way: nothing
     * accepted is lost or stored twice, all accounts end on one live owner, and no command is typed.
     */
    @Test
    public void b_sigstopOfTheNewOwnerUnderSmtpLoad() throws Exception {
        harness.run(300, "start", "e1");
        harness.run(200, "wait", "e2", "4", "180");
        for (String a : accounts()) {
            cluster.awaitSameCopyOf(a, "e2", "e1");
        }
        try (Load load = new Load(2)) {
            int before = load.accepted();
            Harness.await("mail flows", SETTLE, () -> load.accepted() >= before + 20);
            long paused = System.nanoTime();
            harness.run(60, "pause", "e2");
            Duration write = null;
            try {
                write = firstWriteThroughTheProxy(account(3), paused, FREEZE);
                System.out.println("[e2e] SIGSTOP of e2 -> first write on e1 through HAProxy and the Proxy after " + write.toMillis() + " ms");
            } catch (AssertionError notDuringTheFreeze) {
                System.out.println("[e2e] SIGSTOP of e2 -> not writable during the " + FREEZE.toSeconds() + " s freeze: "
                        + notDuringTheFreeze.getMessage());
            } finally {
                harness.run(60, "resume", "e2");
            }
            if (write == null) {
                write = firstWriteThroughTheProxy(account(3), paused);
                System.out.println("[e2e] SIGSTOP of e2 -> first write after it resumed, " + write.toMillis() + " ms after the SIGSTOP");
            }
            int at = load.accepted();
            Harness.await("mail keeps being accepted", SETTLE, () -> load.accepted() >= at + 20);
        }
        String owner = cluster.mailHost("e1", account(1));
        assertTrue("owner " + owner, owner.equals("e1") || owner.equals("e2"));
        for (String a : accounts()) {
            assertEquals(a, owner, cluster.mailHost("e1", a));
        }
        assertEveryAcceptedMessageOnceThroughTheProxy("e3", "e4");
    }

    @Test
    public void c_killMinusNineOfAnMtaUnderSmtpLoad() throws Exception {
        try (Load load = new Load(2)) {
            int before = load.accepted();
            Harness.await("mail flows", SETTLE, () -> load.accepted() >= before + 20);
            harness.run(60, "kill", "e4");
            int at = load.accepted();
            Harness.await("HAProxy sends the mail to the other MTA", SETTLE, () -> load.accepted() >= at + 20);
        }
        // what e4 accepted before it died is in its spool: delivered once it runs again
        harness.run(300, "start", "e4");
        assertEveryAcceptedMessageOnceThroughTheProxy("e3", "e4");
    }
}
