package io.tandem.mailstore.internal;

import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.Volume;
import io.tandem.api.directory.Account;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.Message;
import io.tandem.directory.jdbc.internal.DirectoryComponent;
import io.tandem.mailstore.jdbc.internal.MailstoreDatabase;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * LMTP delivery end to end in one JVM, with the real parts: the directory and the mailbox store on
 * H2, blobs on a local volume, and Python's smtplib.LMTP as the client.
 */
public class MailstoreDeliveryTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private MailstoreFixture parts;
    private DirectoryComponent directory;
    private MailstoreDatabase store;
    private BlobService blobs;

    @Before
    public void start() throws Exception {
        parts = new MailstoreFixture(tmp);
        directory = parts.directory;
        store = parts.store;
        blobs = parts.blobs;
    }

    @After
    public void stop() {
        if (parts != null) {
            parts.stop();
        }
    }

    private String lmtp(String... recipients) throws Exception {
        return parts.lmtp(recipients);
    }

    @Test
    public void mailForAnAccountOwnedHereIsStoredInItsInbox() throws Exception {
        String out = lmtp("alice@example.com", "bob@example.com", "nobody@example.com");
        assertEquals(String.join("\n",
                "RCPT alice@example.com 250",
                "RCPT bob@example.com 451",       // hosted on mbox2: the MTA retries (and follows the owner)
                "RCPT nobody@example.com 550",
                "DATA alice@example.com 250"), out);

        Account alice = directory.account("alice@example.com").orElseThrow();
        List<Message> inbox = store.messages(alice.id(), Folder.INBOX, 0, 10);
        assertEquals(1, inbox.size());
        Message m = inbox.get(0);
        assertEquals("Quarterly figures", m.subject());
        assertEquals("Sender <sender@remote.test>", m.from());
        try (InputStream in = blobs.open(m.blob())) {
            assertTrue(new String(in.readAllBytes(), StandardCharsets.UTF_8).contains("Hello Alice"));
        }
        assertEquals(2, store.info(alice.id()).orElseThrow().sequence()); // 1 = mailbox created, 2 = the message
        assertTrue("bob has no mailbox here", store.info(directory.account("bob@example.com").orElseThrow().id()).isEmpty());

        // what operators see
        var info = new io.tandem.mailstore.internal.command.MailboxInfoCommand();
        info.setJson(false);
        String shown = commandOutput(info, "alice@example.com");
        assertTrue(shown, shown.contains("sequence        : 2"));
        assertTrue(shown, shown.contains("checksum        : " + store.checksum(alice.id())));
        var list = new io.tandem.mailstore.internal.command.MailboxListCommand();
        String listed = commandOutput(list, "alice@example.com");
        assertTrue(listed, listed.contains("Quarterly figures"));
        var bobInfo = new io.tandem.mailstore.internal.command.MailboxInfoCommand();
        IllegalArgumentException e = org.junit.Assert.assertThrows(IllegalArgumentException.class, () -> commandOutput(bobInfo, "bob@example.com"));
        assertTrue(e.getMessage(), e.getMessage().contains("has no mailbox on this node (its mailHost is mbox2)"));
    }

    private String commandOutput(io.tandem.shell.TandemCommandSupport command, String account) throws Exception {
        for (String field : List.of("account", "directory", "store")) {
            java.lang.reflect.Field f = command.getClass().getDeclaredField(field);
            f.setAccessible(true);
            f.set(command, switch (field) {
                case "account" -> account;
                case "directory" -> directory;
                default -> store;
            });
        }
        return command.render();
    }

    @Test
    public void afterOwnershipMovesAwayDeliveryIsDeferredNotLost() throws Exception {
        Account alice = directory.account("alice@example.com").orElseThrow();
        assertEquals("RCPT alice@example.com 250\nDATA alice@example.com 250", lmtp("alice@example.com"));
        directory.changeOwner(alice.id(), "mbox1", alice.epoch(), "mbox2");
        assertEquals("RCPT alice@example.com 451", lmtp("alice@example.com"));
        assertEquals(1, store.messages(alice.id(), Folder.INBOX, 0, 10).size());
    }

    @Test
    public void whenS3IsDownTheMessageIsDeferredAndNothingIsRecorded() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        var bucket = directory.createBucket("MinIO", "http://127.0.0.1:" + closedPort, "mail", "", "tandemkey", "s3cr3tkey");
        Volume s3 = directory.createVolume("s3", Volume.Kind.PRIMARY, Volume.Type.S3, bucket.id(), "mailstore", true);
        directory.setCurrent(s3.id());

        assertEquals("RCPT alice@example.com 250\nDATA alice@example.com 451", lmtp("alice@example.com"));
        Account alice = directory.account("alice@example.com").orElseThrow();
        assertTrue("no mailbox change without the blob", store.info(alice.id()).isEmpty());
    }

    /** Concurrent first deliveries to a new mailbox race to create it: every one is stored, none deferred. */
    @Test
    public void concurrentFirstDeliveriesToANewMailboxAreAllStored() throws Exception {
        Delivery delivery = new Delivery(() -> "mbox1", parts.directory, parts.directory, parts.blobs, parts.store,
                java.time.Clock.systemUTC());
        Path message = tmp.newFile("m.eml").toPath();
        Files.writeString(message, "Subject: race\r\n\r\nbody\r\n");
        int threads = 8;
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        List<java.util.concurrent.Future<List<io.tandem.mailstore.internal.lmtp.Reply>>> replies = new java.util.ArrayList<>();
        for (int i = 0; i < threads; i++) {
            replies.add(pool.submit(() -> {
                start.await(30, TimeUnit.SECONDS);
                return delivery.deliver("s@remote.test", List.of("alice@example.com"), message);
            }));
        }
        for (var r : replies) {
            assertEquals(250, r.get(60, TimeUnit.SECONDS).get(0).code());
        }
        pool.shutdown();
        Account alice = parts.directory.account("alice@example.com").orElseThrow();
        assertEquals(threads, parts.store.messages(alice.id(), Folder.INBOX, 0, 100).size());
        assertEquals(1 + threads, parts.store.info(alice.id()).orElseThrow().sequence());
    }
}
