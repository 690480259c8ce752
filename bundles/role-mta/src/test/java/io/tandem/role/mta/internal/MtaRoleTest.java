package io.tandem.role.mta.internal;

import io.tandem.api.test.Await;
import io.tandem.role.mta.internal.command.CommandsProbe;
import io.tandem.role.mta.internal.spool.Envelope;
import io.tandem.role.mta.internal.spool.Recipient;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The role end to end in one JVM: a real SMTP client (Python's smtplib) against the listener, the spool on
 * disk, delivery over LMTP to a real (test) LMTP server found through the cluster, the directory on H2.
 */
public class MtaRoleTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private MtaFixture mta;

    private MtaFixture start(Map<String, Object> config) throws Exception {
        mta = new MtaFixture(tmp.newFolder("spool").toPath(), config);
        return mta;
    }

    @After
    public void stop() throws Exception {
        if (mta != null) {
            mta.close();
        }
    }

    /** Sends one message with smtplib; prints "RCPT address code" lines and "DATA code text". */
    private String smtp(String body, String... recipients) throws Exception {
        StringBuilder list = new StringBuilder("[");
        for (String r : recipients) {
            list.append('\'').append(r).append("',");
        }
        return session(mta.port(),
                "print('SIZE', c.has_extn('size'))",
                "c.mail('sender@remote.test')",
                "ok = 0",
                "for r in " + list + "]:",
                "    code, msg = c.rcpt(r)",
                "    print('RCPT', r, code, msg.decode())",
                "    ok += code == 250",
                "if ok:",
                "    code, msg = c.data(" + python(body) + ")",
                "    print('DATA', code, msg.decode())");
    }

    private static String python(String body) {
        return "b'" + body.replace("\\", "\\\\").replace("'", "\\'").replace("\r", "\\r").replace("\n", "\\n") + "'";
    }

    private static final String MESSAGE = "From: sender@remote.test\r\nSubject: hello\r\n\r\nHello Alice\r\n.starts with a dot\r\n";

    private static String queuedId(String out) {
        Matcher m = Pattern.compile("DATA 250 2\\.0\\.0 Ok: queued as (\\S+)").matcher(out);
        assertTrue(out, m.find());
        return m.group(1);
    }

    private static void await(String what, BooleanSupplier condition) {
        Await.until(what, Duration.ofSeconds(20), Duration.ofMillis(20), condition, () -> "");
    }

    @Test
    public void acceptsTheDirectorysAccountsRefusesOthersAtRcptAndDeliversOverLmtp() throws Exception {
        start(Map.of());
        String out = smtp(MESSAGE, "alice@example.com", "nobody@example.com", "someone@elsewhere.test", "carol@example.com",
                "Bob@Example.com");
        assertTrue(out, out.contains("SIZE True"));
        assertTrue(out, out.contains("RCPT alice@example.com 250"));
        assertTrue(out, out.contains("RCPT nobody@example.com 550 5.1.1 <nobody@example.com>: no such account"));
        assertTrue(out, out.contains("RCPT someone@elsewhere.test 550 5.7.1 relay denied: elsewhere.test is not a domain of this platform"));
        assertTrue(out, out.contains("RCPT carol@example.com 550 5.2.1 <carol@example.com>: account closed"));
        assertTrue(out, out.contains("RCPT Bob@Example.com 250"));
        String id = queuedId(out);

        await("the message is delivered", () -> mta.lmtp.stored.size() == 1 && mta.role.queued().isEmpty());
        TestLmtpServer.Received got = mta.lmtp.stored.get(0);
        assertEquals(List.of("alice@example.com", "bob@example.com"), got.recipients());
        assertEquals("sender@remote.test", got.sender());
        assertTrue(got.text(), got.text().startsWith("Received: from client.remote.test ([127.0.0.1])\r\n\tby mta1.test (Tandem MTA) with ESMTP id " + id + ";\r\n"));
        assertTrue("the body as sent, dot-stuffing undone both ways: " + got.text(),
                got.text().endsWith("\r\nFrom: sender@remote.test\r\nSubject: hello\r\n\r\nHello Alice\r\n.starts with a dot\r\n"));
        try (var files = Files.list(mta.spool.resolve("queue"))) {
            assertEquals("a delivered message leaves the spool", 0, files.count());
        }
    }

    @Test
    public void aMessageLargerThanTheLimitIsRefusedAndNothingIsSpooled() throws Exception {
        start(Map.of("max_message_bytes", 2048L));
        String out = smtp("Subject: big\r\n\r\n" + "x".repeat(4000) + "\r\n", "alice@example.com");
        assertTrue(out, out.contains("DATA 552 5.3.4 message larger than 2048 bytes"));
        assertEquals(List.of(), mta.role.queued());
        // a client that announces the size is refused at MAIL; the session goes on with the next message
        Path py = tmp.newFile().toPath();
        Files.writeString(py, String.join("\n",
                "import smtplib",
                "c = smtplib.SMTP('127.0.0.1', " + mta.port() + ")",
                "try:",
                "    c.sendmail('s@remote.test', ['alice@example.com'], b'Subject: big\\r\\n\\r\\n' + b'y' * 5000 + b'\\r\\n')",
                "except smtplib.SMTPSenderRefused as e:  # SIZE= in MAIL FROM: refused before DATA",
                "    print('first', e.smtp_code)",
                "print('second', c.sendmail('s@remote.test', ['alice@example.com'], b'Subject: small\\r\\n\\r\\nok\\r\\n'))",
                "c.quit()"));
        Process p = new ProcessBuilder("python3", py.toString()).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String again = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals("first 552\nsecond {}", again);
        await("the small one is delivered", () -> mta.lmtp.stored.size() == 1 && mta.role.queued().isEmpty());
        try (var files = Files.list(mta.spool.resolve("queue"))) {
            assertEquals(0, files.count());
        }
        try (var files = Files.list(mta.spool.resolve("tmp"))) {
            assertEquals(0, files.count());
        }
    }

    @Test
    public void aDeferredRecipientIsRetriedWithADoublingBackoffThenDelivered() throws Exception {
        start(Map.of());
        mta.lmtp.script("451 4.3.0 busy", "451 4.3.0 busy", "451 4.3.0 busy");
        long started = System.nanoTime();
        queuedId(smtp(MESSAGE, "alice@example.com"));
        await("delivered after three deferrals", () -> mta.lmtp.stored.size() == 1);
        long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertTrue("retries after 100, 200 and 400 ms: " + elapsed + " ms", elapsed >= 700);
        assertEquals(4, mta.lmtp.repliesSent.size());
        await("the queue is empty", () -> mta.role.queued().isEmpty());
    }

    @Test
    public void aPermanentFailureIsKeptInTheFailedAreaWithItsReason() throws Exception {
        start(Map.of());
        mta.lmtp.script("550 5.1.1 mailbox gone", "250 2.0.0 stored");
        String id = queuedId(smtp(MESSAGE, "alice@example.com", "bob@example.com"));
        await("the message is done", () -> mta.role.queued().isEmpty());
        List<Envelope> failed = mta.role.failed();
        assertEquals(1, failed.size());
        assertEquals(id, failed.get(0).id());
        assertEquals("alice@example.com: 550 5.1.1 mailbox gone", failed.get(0).failure());
        assertEquals(Recipient.State.DELIVERED, failed.get(0).recipients().get(1).state());
        assertEquals(List.of("bob@example.com"), mta.lmtp.stored.get(0).recipients());
        String shown = CommandsProbe.failed(mta.role, false);
        assertTrue(shown, shown.contains(id) && shown.contains("550 5.1.1 mailbox gone"));
    }

    @Test
    public void mailForAMailstoreThatIsGoneWaitsAndGoesAsSoonAsItIsBack() throws Exception {
        start(Map.of("retry_max_seconds", 3600L, "retry_initial_ms", 3_600_000L));
        mta.mailstoreGone();
        String id = queuedId(smtp(MESSAGE, "alice@example.com"));
        await("an attempt failed", () -> !mta.role.queued().isEmpty() && mta.role.queued().get(0).recipients().get(0).attempts() == 1);
        Recipient r = mta.role.queued().get(0).recipients().get(0);
        assertEquals(Recipient.State.PENDING, r.state());
        assertEquals("mbox1", r.destination());
        assertEquals("Mailstore mbox1 is not in the cluster", r.lastReply());

        String json = CommandsProbe.queue(mta.role, true);
        assertTrue(json, json.replaceAll("\\s", "").contains("\"count\":1,") && json.replaceAll("\\s", "").contains("\"destinations\":{\"mbox1\":1}") && json.contains(id));
        String text = CommandsProbe.queue(mta.role, false);
        assertTrue(text, text.startsWith("1 message(s) queued, oldest ") && text.contains("Pending recipients by destination: mbox1 1")
                && text.contains("alice@example.com") && text.contains("not in the cluster"));

        // back: the route changed, attempted at once despite the hour of backoff
        mta.mailstoreUp("mbox1", "2");
        await("delivered once mbox1 is back", () -> mta.lmtp.stored.size() == 1 && mta.role.queued().isEmpty());
    }

    /**
     * A failover: alice's Mailstore answers 451 (it no longer owns her) and the backoff is an hour; as soon as
     * the directory names the new owner, her mail goes there, without waiting for the backoff.
     */
    @Test
    public void afterAPromotionWaitingMailGoesToTheNewOwnerAtOnce() throws Exception {
        start(Map.of("retry_max_seconds", 3600L, "retry_initial_ms", 3_600_000L));
        try (TestLmtpServer mbox2 = new TestLmtpServer()) {
            mta.directory.registerServer(new io.tandem.api.directory.Server("mbox2", "mbox2.example.com",
                    java.util.Set.of(io.tandem.api.node.Role.MAILSTORE), java.time.Instant.now()));
            mta.cluster.setNodes(mta.mailstore("mbox1", "1", mta.lmtp), mta.mailstore("mbox2", "1", mbox2));
            mta.lmtp.script("451 4.2.0 alice@example.com is hosted on mbox2, not here");
            queuedId(smtp(MESSAGE, "alice@example.com"));
            await("deferred by mbox1", () -> mta.lmtp.repliesSent.size() == 1 && mta.role.queued().size() == 1);

            io.tandem.api.directory.Account alice = mta.directory.account("alice@example.com").orElseThrow();
            mta.directory.changeOwner(alice.id(), "mbox1", alice.epoch(), "mbox2");
            await("delivered on mbox2", () -> mbox2.stored.size() == 1 && mta.role.queued().isEmpty());
            assertEquals(1, mta.lmtp.repliesSent.size());
            assertEquals(0, mta.lmtp.stored.size());
        }
    }

    /**
     * A hung Mailstore (SIGSTOP) accepts the LMTP connection and the message, then answers nothing; the LMTP
     * timeout is minutes. When it leaves the cluster the session is abandoned, and once the directory names
     * the new owner the mail goes there.
     */
    @Test
    public void aSessionWithAHungMailstoreIsAbandonedWhenItLeavesAndTheMailGoesToTheNewOwner() throws Exception {
        start(Map.of("retry_max_seconds", 3600L, "retry_initial_ms", 3_600_000L, "lmtp_timeout_seconds", 600));
        try (TestLmtpServer mbox2 = new TestLmtpServer()) {
            mta.directory.registerServer(new io.tandem.api.directory.Server("mbox2", "mbox2.example.com",
                    java.util.Set.of(io.tandem.api.node.Role.MAILSTORE), java.time.Instant.now()));
            mta.cluster.setNodes(mta.mailstore("mbox1", "1", mta.lmtp), mta.mailstore("mbox2", "1", mbox2));
            mta.lmtp.hang();
            queuedId(smtp(MESSAGE, "alice@example.com"));
            await("the message sent to the hung mbox1", () -> mta.lmtp.held.get() == 1);

            // mbox1 leaves the cluster: the session is abandoned (the mail waits: the directory still names mbox1)
            mta.cluster.setNodes(mta.mailstore("mbox2", "1", mbox2));
            await("the attempt recorded as abandoned", () -> mta.role.queued().size() == 1
                    && mta.role.queued().get(0).recipients().get(0).lastReply().contains("abandoned: mbox1 left the cluster"));
            // the promotion: delivered on mbox2 at once, despite the hour of backoff
            io.tandem.api.directory.Account alice = mta.directory.account("alice@example.com").orElseThrow();
            mta.directory.changeOwner(alice.id(), "mbox1", alice.epoch(), "mbox2");
            await("delivered on mbox2", () -> mbox2.stored.size() == 1 && mta.role.queued().isEmpty());
            assertEquals("nothing stored on the hung mbox1", 0, mta.lmtp.stored.size());
            assertTrue(mbox2.stored.get(0).text().contains("Hello Alice"));
        }
    }

    /** A recipient still waiting when its message is older than the expiry fails, and the message is kept as failed. */
    @Test
    public void anUndeliveredMessageExpires() throws Exception {
        start(Map.of());
        mta.stop();
        mta.mailstoreGone();
        io.tandem.role.mta.internal.spool.Spool.Contents spool = io.tandem.role.mta.internal.spool.Spool.open(mta.spool);
        String id = io.tandem.role.mta.internal.spool.Spool.newId(System.currentTimeMillis());
        try (io.tandem.role.mta.internal.spool.Spool.Incoming in = spool.spool().receive(id)) {
            in.out().write("Subject: old\r\n\r\nold\r\n".getBytes(StandardCharsets.US_ASCII));
            in.commit(new Envelope(id, "s@remote.test", System.currentTimeMillis(), "test", 20, List.of(
                    new Recipient("alice@example.com", mta.directory.account("alice@example.com").orElseThrow().id()))));
        }
        try (io.tandem.role.mta.internal.delivery.Deliverer d = new io.tandem.role.mta.internal.delivery.Deliverer(
                spool.spool(), io.tandem.role.mta.internal.spool.Spool.open(mta.spool).queued(), mta.directory, mta.cluster,
                new io.tandem.role.mta.internal.delivery.LmtpClient("mta1", 1000, 1000),
                new io.tandem.role.mta.internal.delivery.Deliverer.Settings(1, Duration.ofMillis(50), Duration.ofMillis(100),
                        Duration.ofMillis(20), Duration.ofMillis(300)), java.time.Clock.systemUTC())) {
            await("expired", () -> d.queued().isEmpty());
            List<Envelope> failed = d.failed();
            assertEquals(1, failed.size());
            Recipient r = failed.get(0).recipients().get(0);
            assertEquals(Recipient.State.FAILED, r.state());
            assertTrue(r.lastReply(), r.lastReply().startsWith("expired: not delivered within PT0.3S; last reply: Mailstore mbox1 is not in the cluster"));
        }
        mta.start(); // closed by the fixture
    }

    @Test
    public void theSpoolSurvivesARestartAndFlushRetriesAtOnce() throws Exception {
        start(Map.of("retry_max_seconds", 3600L, "retry_initial_ms", 3_600_000L));
        mta.lmtp.script("451 4.2.0 alice@example.com is hosted on mbox2, not here");
        String id = queuedId(smtp(MESSAGE, "alice@example.com"));
        await("deferred", () -> mta.lmtp.repliesSent.size() == 1);
        mta.stop();
        mta.start();
        await("delivered after the restart", () -> mta.lmtp.stored.size() == 1 && mta.role.queued().isEmpty());
        assertTrue(mta.lmtp.stored.get(0).text(), mta.lmtp.stored.get(0).text().contains("with ESMTP id " + id + "\r\n\tfor <alice@example.com>;"));

        mta.lmtp.script("451 4.3.0 busy");
        queuedId(smtp(MESSAGE, "alice@example.com"));
        await("deferred for an hour", () -> mta.lmtp.repliesSent.size() == 3);
        assertEquals("Flushed 1 message(s): their waiting recipients are attempted now\n", CommandsProbe.flush(mta.role, null));
        await("delivered after the flush", () -> mta.lmtp.stored.size() == 2);
        IllegalArgumentException e = org.junit.Assert.assertThrows(IllegalArgumentException.class, () -> CommandsProbe.flush(mta.role, "NOPE-000000000000"));
        assertEquals("mta:flush refused: no queued message 'NOPE-000000000000' (mta:queue lists them)", e.getMessage());
    }
    @Test
    public void aSpoolBelowItsFreeSpaceFloorTakesNoMailSaysWhyAndReportsTheRoleDown() throws Exception {
        // a floor no disk reaches: the real file system's free space is read, nothing is filled
        start(Map.of("spool_min_free_mb", 1L << 40));
        String out = session(
                "print('MAIL', *c.mail('sender@remote.test'))",
                "print('RCPT', *c.rcpt('alice@example.com'))");
        assertTrue(out, out.contains("MAIL 452 b'4.3.1 insufficient system storage, try again later'"));
        assertTrue("no recipient without a transaction: " + out, out.contains("RCPT 503"));
        assertTrue(mta.role.health().toString(), !mta.role.health().up());
        assertTrue(mta.role.health().detail(), mta.role.health().detail().contains("below spool.min.free.mb = " + (1L << 40)));
        assertSpoolEmpty();
    }

    @Test
    public void aMessageTheSpoolHasNoRoomForWhenItsDataArrivesIsRefused452AndTheSessionGoesOn() throws Exception {
        start(Map.of());
        // the free space each check of the listener reads, in order: MAIL, DATA | MAIL | MAIL, DATA
        long plenty = 1L << 40;
        java.util.Deque<Long> free = new java.util.ArrayDeque<>(List.of(plenty, 0L, 0L, plenty, plenty));
        Path root = tmp.newFolder("spool2").toPath();
        io.tandem.role.mta.internal.spool.Spool spool = io.tandem.role.mta.internal.spool.Spool.open(root).spool();
        List<Envelope> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (var listener = new io.tandem.role.mta.internal.smtp.SmtpListener(
                new io.tandem.role.mta.internal.smtp.SmtpListener.Settings(java.net.InetAddress.getByName("127.0.0.1"), 0,
                        "mta2.test", 4, 10_000, 10, 1 << 20),
                spool, new io.tandem.role.mta.internal.spool.SpoolSpace(() -> free.isEmpty() ? 0L : free.poll(), 100L << 20, root.toString()),
                new io.tandem.role.mta.internal.smtp.RecipientCheck(mta.directory), accepted::add, java.time.Clock.systemUTC())) {
            String out = session(listener.port(),
                    "print('MAIL', *c.mail('sender@remote.test'))",
                    "print('RCPT', *c.rcpt('alice@example.com'))",
                    "try:",
                    "    print('DATA', *c.data(b'Subject: one\\r\\n\\r\\nfirst\\r\\n'))",
                    "except smtplib.SMTPDataError as e:",
                    "    print('DATA', e.smtp_code, e.smtp_error)",
                    "print('MAIL', *c.mail('sender@remote.test'))",
                    "c.rset()",
                    "print('MAIL', *c.mail('sender@remote.test'))",
                    "print('RCPT', *c.rcpt('alice@example.com'))",
                    "print('DATA', *c.data(b'Subject: two\\r\\n\\r\\nsecond\\r\\n'))");
            List<String> lines = out.lines().toList();
            assertEquals(out, 7, lines.size());
            assertTrue(out, lines.get(0).startsWith("MAIL 250"));
            assertTrue(out, lines.get(1).startsWith("RCPT 250"));
            assertEquals(out, "DATA 452 b'4.3.1 insufficient system storage, try again later'", lines.get(2));
            assertEquals(out, "MAIL 452 b'4.3.1 insufficient system storage, try again later'", lines.get(3));
            assertTrue(out, lines.get(4).startsWith("MAIL 250"));
            assertTrue(out, lines.get(6).startsWith("DATA 250 b'2.0.0 Ok: queued as "));
            assertEquals("only the second message was acknowledged", 1, accepted.size());
            try (var files = Files.list(root.resolve("queue"))) {
                assertEquals("the second message and its envelope, nothing of the first", 2, files.count());
            }
            try (var files = Files.list(root.resolve("tmp"))) {
                assertEquals(0, files.count());
            }
        }
    }

    /** Runs {@code lines} with {@code c}, an smtplib client of the role's listener after EHLO; returns what they print. */
    private String session(String... lines) throws Exception {
        return session(mta.port(), lines);
    }

    /** As {@link #session(String...)} with the listener on {@code port}; the client quits after the lines. */
    private String session(int port, String... lines) throws Exception {
        Path py = tmp.newFile().toPath();
        Files.writeString(py, "import smtplib\nc = smtplib.SMTP('127.0.0.1', " + port + ", local_hostname='client.remote.test')\nc.ehlo()\n"
                + String.join("\n", lines) + "\nc.quit()\n");
        Process p = new ProcessBuilder("python3", py.toString()).redirectErrorStream(true).start();
        assertTrue("python3 finished", p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(out, 0, p.exitValue());
        return out;
    }

    private void assertSpoolEmpty() throws Exception {
        assertEquals(List.of(), mta.role.queued());
        for (String area : List.of("queue", "tmp")) {
            try (var files = Files.list(mta.spool.resolve(area))) {
                assertEquals(area, 0, files.count());
            }
        }
    }
}
