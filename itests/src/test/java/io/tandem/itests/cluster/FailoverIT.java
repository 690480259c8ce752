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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * Automatic failover on three real core Mailstores (f1..f3) with Kafka, PostgreSQL and S3Proxy: kill -9 of
 * the source under load promotes its accounts with no command; the old source comes back as a replica and
 * does not take its accounts back; a hung (SIGSTOPped) owner is replaced too and, resumed, refuses writes;
 * a node that cannot see the core quorum stops acknowledging writes of replicated accounts and nobody
 * promotes. The steps build on each other, hence the fixed order.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class FailoverIT {

    private static final int ACCOUNTS = 20;
    private static final String SOLO = "solo@example.com";
    private static final Duration FAILOVER = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HaCluster cluster;
    private static Harness harness;
    /** Subjects acknowledged (LMTP 250), per account. */
    private static final Map<String, Set<String>> acked = new ConcurrentHashMap<>();
    private static int sent;

    @BeforeClass
    public static void up() throws Exception {
        cluster = HaCluster.start("failover", "127.0.8.", "f1 core,mailstore", "f2 core,mailstore", "f3 core,mailstore");
        harness = cluster.harness;
        harness.exec("f1", "global", "set", "brokers", cluster.kafka.brokers());
        for (int i = 1; i <= ACCOUNTS; i++) {
            harness.exec("f1", "prov", "createAccount", account(i), "f1");
        }
        harness.exec("f1", "prov", "createAccount", SOLO, "f1");
    }

    @AfterClass
    public static void down() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String account(int i) {
        return String.format("user%02d@example.com", i);
    }

    private static List<String> accounts() {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= ACCOUNTS; i++) {
            out.add(account(i));
        }
        return out;
    }

    /** One LMTP delivery; the subject is recorded when acknowledged. */
    private static String deliver(String node, String account) throws IOException {
        String subject;
        synchronized (FailoverIT.class) {
            subject = "failover " + (++sent);
        }
        String reply = Lmtp.deliver(cluster.address(node), 7025, account, subject);
        if (reply.startsWith("250")) {
            acked.computeIfAbsent(account, a -> ConcurrentHashMap.newKeySet()).add(subject);
        }
        return reply;
    }

    /** Delivers to {@code account} on {@code node} until it is acknowledged; returns how long that took. */
    private static Duration firstWrite(String node, String account, long startNanos) {
        long deadline = startNanos + FAILOVER.toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                last = deliver(node, account);
                if (last.startsWith("250")) {
                    return Duration.ofNanos(System.nanoTime() - startNanos);
                }
            } catch (IOException e) {
                last = e.toString();
            }
            try {
                TimeUnit.MILLISECONDS.sleep(50); // polling interval of a bounded wait
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError(account + " not writable on " + node + " within " + FAILOVER.toSeconds() + " s; last reply: " + last);
    }

    /** Every acknowledged subject of every replicated account is on {@code node} exactly once. */
    private static void assertEveryAcknowledgedMessageOnceOn(String node) throws Exception {
        for (String account : accounts()) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + cluster.address(node)
                    + ":7080/accounts/" + account + "/folders/2/messages?limit=1000")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(r.body(), 200, r.statusCode());
            JsonNode page = HaCluster.JSON.readTree(r.body());
            JsonNode list = page.isArray() ? page : page.get("messages");
            Map<String, Integer> seen = new HashMap<>();
            list.forEach(m -> seen.merge(m.get("subject").asText(), 1, Integer::sum));
            for (String subject : acked.getOrDefault(account, Set.of())) {
                assertEquals(account + ": '" + subject + "' exactly once on " + node, Integer.valueOf(1), seen.get(subject));
            }
        }
    }

    private static void awaitOwner(String owner) {
        Harness.await("every replicated account is hosted on " + owner, FAILOVER, () -> accounts().stream().allMatch(a -> {
            try {
                return owner.equals(cluster.mailHost(owner, a));
            } catch (Exception e) {
                return false;
            }
        }));
    }

    @Test
    public void a_replicateEveryAccountToTwoMailstores() throws Exception {
        String list = String.join(",", accounts());
        String op2 = HaCluster.uuid(harness.exec("f1", "ha", "setAccountDestination", "f2", "10", "accounts", list));
        String op3 = HaCluster.uuid(harness.exec("f1", "ha", "setAccountDestination", "f3", "20", "accounts", list));
        cluster.awaitDone("f1", op2);
        cluster.awaitDone("f1", op3);
        JsonNode status = cluster.json("f2", "ha", "getFailoverStatus");
        assertEquals(status.toString(), "f1", status.get("coordinator").asText());
        assertTrue(status.toString(), status.get("quorum").asText().startsWith("yes (3 of 3"));
        assertEquals("enabled", status.get("automaticFailover").asText());
        assertTrue(status.get("lease").asText(), status.get("lease").asText().startsWith("held"));
    }

    @Test
    public void b_killMinusNineOfTheSourcePromotesEveryAccountWithoutACommand() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread load = new Thread(() -> {
            for (int i = 0; !stop.get(); i++) {
                try {
                    if (!deliver("f1", account(1 + i % ACCOUNTS)).startsWith("250")) {
                        return;
                    }
                } catch (IOException e) {
                    return; // the source is dead: this delivery is in doubt (not acknowledged)
                }
            }
        }, "load-f1");
        load.start();
        Harness.await("mail flows to f1", FAILOVER, () -> acked.values().stream().mapToInt(Set::size).sum() >= 60);
        long killed = System.nanoTime();
        harness.run(60, "kill", "f1");
        stop.set(true);
        load.join(30_000);
        assertFalse(load.isAlive());

        Duration writable = firstWrite("f2", account(ACCOUNTS), killed);
        System.out.println("[failover] kill -9 of f1 -> first acknowledged write on f2 after " + writable.toMillis() + " ms");
        awaitOwner("f2");
        for (String a : accounts()) {
            String reply = deliver("f2", a);
            assertTrue(a + ": " + reply, reply.startsWith("250"));
        }
        assertEveryAcknowledgedMessageOnceOn("f2");

        Harness.await("the failover summary reached the admin", FAILOVER,
                () -> harness.tryRun(60, "exec", "f3", "notification", "list").output().contains("Automatic failover of f1"));
        JsonNode status = cluster.json("f2", "ha", "getFailoverStatus");
        assertEquals(status.toString(), "f2 (this node)", status.get("coordinator").asText());
        JsonNode run = status.get("automaticPromotions").get(0);
        assertEquals(run.toString(), ACCOUNTS + 1, run.get("total").asInt());
        assertEquals(run.toString(), ACCOUNTS, run.get("done").asInt());
        assertEquals("the account without a replica is reported: " + run, 1, run.get("failed").asInt());
        JsonNode op = cluster.json("f3", "ha", "monitor", run.get("operation").asText());
        assertTrue(op.toString(), op.get("detail").asText().contains(SOLO + ": no replica"));
        assertEquals("f1", cluster.mailHost("f3", SOLO));
    }

    @Test
    public void c_theOldSourceComesBackAsAReplicaAndDoesNotTakeItsAccountsBack() throws Exception {
        harness.run(300, "start", "f1");
        harness.run(200, "wait", "f2", "3", "180");
        cluster.awaitSameCopyOf(account(1), "f2", "f1");
        cluster.awaitSameCopyOf(account(ACCOUNTS), "f2", "f1");
        for (String a : accounts()) {
            assertEquals(a, "f2", cluster.mailHost("f1", a));
        }
        String reply = Lmtp.deliver(cluster.address("f1"), 7025, account(1), "to the old source");
        assertTrue(reply, reply.startsWith("451") && reply.contains("hosted on f2"));
        JsonNode replicas = cluster.json("f1", "ha", "getAccountStatus", "accounts", account(1)).get(0).get("replicas");
        assertEquals(replicas.toString(), "f1", replicas.get(0).get("destination").asText());
        assertEquals(replicas.toString(), 10, replicas.get(0).get("priority").asInt());
        Harness.await("f1 in sync for " + account(ACCOUNTS), FAILOVER, () -> {
            try {
                JsonNode r = cluster.json("f3", "ha", "getAccountStatus", "accounts", account(ACCOUNTS)).get(0).get("replicas");
                for (JsonNode x : r) {
                    if (x.get("destination").asText().equals("f1")) {
                        return x.get("state").asText().equals("in-sync");
                    }
                }
                return false;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    public void d_aHungOwnerIsReplacedAndResumedItRefusesWrites() throws Exception {
        Harness.await("every replica of f2's accounts on f1 is in sync", FAILOVER, () -> {
            try {
                return cluster.json("f3", "ha", "getAccountStatus", "replicaServer", "f1").size() == ACCOUNTS
                        && cluster.json("f3", "ha", "getAccountStatus", "replicaServer", "f1", "replicaStatus", "available").size() == ACCOUNTS;
            } catch (Exception e) {
                return false;
            }
        });
        deliver("f2", account(2));
        long paused = System.nanoTime();
        harness.run(60, "pause", "f2");
        try {
            Duration writable = firstWrite("f1", account(2), paused);
            System.out.println("[failover] SIGSTOP of f2 -> first acknowledged write on f1 after " + writable.toMillis() + " ms");
            awaitOwner("f1");
        } finally {
            harness.run(60, "resume", "f2");
        }
        Harness.await("f2 refuses writes for the accounts it lost", FAILOVER, () -> {
            try {
                String reply = Lmtp.deliver(cluster.address("f2"), 7025, account(3), "to the resumed old owner");
                return reply.startsWith("451") && reply.contains("hosted on f1");
            } catch (IOException e) {
                return false;
            }
        });
        harness.run(200, "wait", "f1", "3", "180");
        cluster.awaitSameCopyOf(account(2), "f1", "f2", "f3");
        assertEveryAcknowledgedMessageOnceOn("f1");
    }

    @Test
    public void e_withoutTheCoreQuorumWritesOfReplicatedAccountsStopAndNobodyPromotes() throws Exception {
        harness.run(60, "kill", "f2");
        harness.run(60, "kill", "f3");
        harness.run(60, "wait", "f1", "1", "60");
        Harness.await("f1 refuses writes of a replicated account once its lease expired", FAILOVER, () -> {
            try {
                // a new message every time: a byte-identical one would be answered "already delivered" (no change)
                return Lmtp.deliver(cluster.address("f1"), 7025, account(4), "without quorum " + System.nanoTime()).startsWith("451");
            } catch (IOException e) {
                return false;
            }
        });
        String solo = Lmtp.deliver(cluster.address("f1"), 7025, SOLO, "an account without replica stays writable");
        assertTrue(solo, solo.startsWith("250"));
        JsonNode status = cluster.json("f1", "ha", "getFailoverStatus");
        assertEquals(status.toString(), "none (no core quorum)", status.get("coordinator").asText());
        assertTrue(status.toString(), status.get("lease").asText().startsWith("expired"));
        assertEquals(status.toString(), "no (1 of 3 core nodes visible)", status.get("quorum").asText());
        assertEquals("nobody promoted", "f1", cluster.mailHost("f1", account(4)));
    }
}
