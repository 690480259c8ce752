package io.tandem.itests.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.api.test.PostgresFixture;
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
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The MTA on the harness: m1 (core, mailstore), m2 (core, mta), m3 (core), the directory on a real PostgreSQL.
 * Mail is sent by SMTP to m2 and read back from m1's HTTP mailbox API: every message answered 250 is in the
 * mailbox exactly once, also when m2 is killed (kill -9) while mail arrives and when m1 is stopped while it
 * arrives (spooled, delivered once m1 is back); unknown recipients are refused at RCPT. The steps build on
 * each other, hence the fixed order.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class MtaIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ALICE = "alice@example.com";
    private static final String MTA = "127.0.5.2";
    private static final int SMTP = 2525;
    private static final Duration DELIVERY = Duration.ofSeconds(120);

    private static Harness harness;
    private static PostgresFixture postgres;
    /** Subjects answered 250 by the MTA: each must be in alice's Inbox exactly once. */
    private static final List<String> acknowledged = Collections.synchronizedList(new ArrayList<>());
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeClass
    public static void up() throws Exception {
        Path it = Path.of(System.getProperty("tandem.it.dir"));
        postgres = PostgresFixture.start(it.resolve("mta-pg"));
        String directory = postgres.createDatabase("directory");
        Path spec = it.resolve("mta-it.spec");
        Files.createDirectories(it);
        Files.writeString(spec, String.join("\n",
                "set cluster.name tandem-mta",
                "set directory.url " + directory,
                "m1   127.0.5.1   core,mailstore",
                "m2   127.0.5.2   core,mta",
                "m3   127.0.5.3   core", ""));
        harness = Harness.fromSystemProperties("it-mta");
        harness.tryRun(60, "clean");
        harness.run(400, "up", spec.toString());
        harness.exec("m1", "prov", "createDomain", "example.com");
        harness.exec("m1", "prov", "createAccount", ALICE, "m1");
        harness.exec("m1", "prov", "createAccount", "closed@example.com", "m1");
        harness.exec("m1", "prov", "setAccountStatus", "closed@example.com", "closed");
        // the MTA publishes its smtp endpoint once it listens
        Harness.await("m2 listens for SMTP", Duration.ofSeconds(60), () -> {
            try {
                return Smtp.send(MTA, SMTP, List.of(), "probe").size() == 2;
            } catch (IOException e) {
                return false;
            }
        });
    }

    @AfterClass
    public static void down() throws Exception {
        if (harness != null) {
            harness.tryRun(60, "down");
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    private static String send(String subject) throws IOException {
        String reply = Smtp.sendOne(MTA, SMTP, ALICE, subject);
        if (reply.startsWith("250")) {
            acknowledged.add(subject);
        }
        return reply;
    }

    /** Subjects in alice's Inbox with how often each appears (m1's HTTP mailbox API), or null when m1 does not answer. */
    private static Map<String, Integer> inbox() {
        Map<String, Integer> out = new TreeMap<>();
        try {
            for (int offset = 0; ; offset += 1000) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.5.1:7080/accounts/" + ALICE
                        + "/folders/2/messages?offset=" + offset + "&limit=1000")).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    return null;
                }
                JsonNode messages = JSON.readTree(r.body()).path("messages");
                messages.forEach(m -> out.merge(m.path("subject").asText(), 1, Integer::sum));
                if (messages.size() < 1000) {
                    return out;
                }
            }
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Waits until every acknowledged message is in the Inbox; then asserts none is there twice. */
    private static Map<String, Integer> awaitDeliveredOnce() {
        Harness.await("every acknowledged message is in alice's Inbox", DELIVERY, () -> {
            Map<String, Integer> in = inbox();
            return in != null && in.keySet().containsAll(acknowledged);
        });
        Map<String, Integer> in = inbox();
        for (Map.Entry<String, Integer> e : in.entrySet()) {
            assertEquals("copies of '" + e.getKey() + "' in alice's Inbox", 1, (int) e.getValue());
        }
        return in;
    }

    private static JsonNode queue() throws IOException {
        String out = harness.exec("m2", "mta", "queue", "--json");
        return JSON.readTree(out.substring(out.indexOf('{')));
    }

    @Test
    public void a_unknownRecipientsAreRefusedAtRcpt() throws Exception {
        List<String> replies = Smtp.send(MTA, SMTP, List.of("nobody@example.com", "someone@elsewhere.test", "closed@example.com",
                "not an address"), "refused");
        assertEquals(replies.toString(), 6, replies.size()); // EHLO, MAIL, 4 RCPT, no DATA
        assertTrue(replies.get(0), replies.get(0).startsWith("250"));
        assertTrue(replies.get(2), replies.get(2).startsWith("550 5.1.1") && replies.get(2).contains("no such account"));
        assertTrue(replies.get(3), replies.get(3).startsWith("550 5.7.1") && replies.get(3).contains("relay denied"));
        assertTrue(replies.get(4), replies.get(4).startsWith("550 5.2.1") && replies.get(4).contains("closed"));
        assertTrue(replies.get(5), replies.get(5).startsWith("5"));
        assertEquals("nothing queued", 0, queue().path("count").asInt());
    }

    @Test
    public void b_messagesAreDeliveredExactlyOnce() throws Exception {
        for (int i = 1; i <= 20; i++) {
            String reply = send("b-" + i);
            assertTrue("b-" + i + ": " + reply, reply.startsWith("250 2.0.0 Ok: queued as "));
        }
        Map<String, Integer> in = awaitDeliveredOnce();
        assertEquals(in.toString(), 20, in.size());
        Harness.await("the queue is empty", DELIVERY, () -> {
            try {
                return queue().path("count").asInt() == 0;
            } catch (IOException e) {
                return false;
            }
        });
    }

    @Test
    public void c_killTheMtaWhileMailArrives() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService sender = Executors.newSingleThreadExecutor();
        int before = acknowledged.size();
        Future<Integer> sent = sender.submit(() -> {
            int n = 0;
            while (!stop.get()) {
                n++;
                try {
                    send("c-" + n);
                } catch (IOException e) {
                    // the MTA is down: the message was not acknowledged
                }
            }
            return n;
        });
        try {
            Harness.await("a few messages acknowledged before the kill", Duration.ofSeconds(60), () -> acknowledged.size() >= before + 10);
            harness.run(60, "kill", "m2");
            int acknowledgedBeforeRestart = acknowledged.size();
            harness.run(120, "start", "m2");
            Harness.await("m2 listens for SMTP again", Duration.ofSeconds(120), () -> acknowledged.size() > acknowledgedBeforeRestart);
        } finally {
            stop.set(true);
            int attempts = sent.get(60, TimeUnit.SECONDS);
            sender.shutdown();
            assertTrue("messages sent: " + attempts, attempts > 10);
        }
        awaitDeliveredOnce();
        String log = Files.readString(harness.log("m2"));
        assertTrue("the restarted MTA read its spool", log.contains("Started role mta"));
    }

    @Test
    public void d_mailForAStoppedMailstoreIsSpooledAndDeliveredWhenItIsBack() throws Exception {
        awaitDeliveredOnce();
        harness.run(120, "stop", "m1");
        for (int i = 1; i <= 5; i++) {
            String reply = send("d-" + i);
            assertTrue("d-" + i + ": " + reply, reply.startsWith("250"));
        }
        Harness.await("the 5 messages wait in m2's queue with an attempt behind them", Duration.ofSeconds(60), () -> {
            try {
                JsonNode q = queue();
                if (q.path("count").asInt() != 5) {
                    return false;
                }
                for (JsonNode m : q.path("messages")) {
                    JsonNode r = m.path("recipients").get(0);
                    if (!r.path("state").asText().equals("pending") || r.path("attempts").asInt() < 1) {
                        return false;
                    }
                }
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        JsonNode q = queue();
        assertEquals(q.toString(), 5, q.path("destinations").path("m1").asInt());
        String shown = harness.exec("m2", "mta", "queue");
        assertTrue(shown, shown.contains("5 message(s) queued") && shown.contains(ALICE) && shown.contains("pending"));
        String flushed = harness.exec("m2", "mta", "flush");
        assertTrue(flushed, flushed.contains("Flushed 5 message(s)"));
        String audit = Files.readString(Path.of(harness.run(30, "dir", "m2").trim()).resolve("data/log/audit.log"));
        assertTrue(audit, audit.contains("action=mta:flush"));

        harness.run(300, "start", "m1");
        Map<String, Integer> in = awaitDeliveredOnce();
        for (int i = 1; i <= 5; i++) {
            assertEquals("d-" + i, 1, (int) in.get("d-" + i));
        }
        Harness.await("the queue is empty", DELIVERY, () -> {
            try {
                return queue().path("count").asInt() == 0;
            } catch (IOException e) {
                return false;
            }
        });
    }
}
