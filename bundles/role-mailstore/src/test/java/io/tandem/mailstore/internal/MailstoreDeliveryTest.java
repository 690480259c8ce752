package io.tandem.mailstore.internal;

import io.tandem.mailstore.internal.lmtp.Reply;
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

    /**
     * Promoted here, the copy not yet at the new epoch (the promotion marker is still being applied): the recipient
     * is deferred before the message is read, and accepted once the copy adopted the epoch.
     */
    @Test
    public void whileThisNodeTakesAnAccountOverItsMailIsDeferredAtTheRecipient() throws Exception {
        Account alice = directory.account("alice@example.com").orElseThrow();
        assertEquals("RCPT alice@example.com 250\nDATA alice@example.com 250", lmtp("alice@example.com"));
        directory.changeOwner(alice.id(), "mbox1", alice.epoch(), "mbox2");
        Account moved = directory.changeOwner(alice.id(), "mbox2", alice.epoch() + 1, "mbox1"); // back here, epoch + 2
        assertEquals(alice.epoch(), store.epoch(alice.id()).orElseThrow());
        Delivery delivery = new Delivery(() -> "mbox1", directory, directory, blobs, store, java.time.Clock.systemUTC());
        Reply deferred = delivery.recipient("alice@example.com");
        assertEquals(451, deferred.code());
        assertEquals("alice@example.com is being taken over by this node (epoch " + moved.epoch() + "), try again in a moment",
                deferred.text());
        assertEquals("RCPT alice@example.com 451", lmtp("alice@example.com"));

        store.adoptEpoch(alice.id(), moved.epoch()); // the marker applied
        assertEquals("RCPT alice@example.com 250\nDATA alice@example.com 250", lmtp("alice@example.com"));
        assertEquals(2, store.messages(alice.id(), Folder.INBOX, 0, 10).size());
        assertTrue(store.epoch(java.util.UUID.randomUUID()).isEmpty());
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

    /** Concurrent first deliveries (different messages) to a new mailbox race to create it: every one is stored, none deferred. */
    @Test
    public void concurrentFirstDeliveriesToANewMailboxAreAllStored() throws Exception {
        int threads = 8;
        List<List<Reply>> replies = concurrently(threads, i -> message("Subject: race " + i + "\r\n\r\nbody " + i + "\r\n"));
        for (List<Reply> r : replies) {
            assertEquals(250, r.get(0).code());
        }
        Account alice = parts.directory.account("alice@example.com").orElseThrow();
        assertEquals(threads, parts.store.messages(alice.id(), Folder.INBOX, 0, 100).size());
        assertEquals(1 + threads, parts.store.info(alice.id()).orElseThrow().sequence());
    }

    /**
     * The same message delivered again (the MTA crashed after our 250, or a failover hid it), here 8 times at
     * once: it is stored once, and every delivery is answered 250, the later ones naming the stored item.
     */
    @Test
    public void aMessageDeliveredAgainIsStoredOnceAndAnswered250() throws Exception {
        Path same = message("Received: from a (b) by mta1 with ESMTP id 0001; Sun, 22 Nov 2026 11:00:00 +0000\r\n"
                + "Subject: once\r\n\r\nonly once\r\n");
        List<List<Reply>> replies = concurrently(8, i -> same);
        Account alice = parts.directory.account("alice@example.com").orElseThrow();
        List<Message> inbox = parts.store.messages(alice.id(), Folder.INBOX, 0, 100);
        assertEquals("stored once", 1, inbox.size());
        assertEquals("one change for the mailbox, one for the message", 2, parts.store.info(alice.id()).orElseThrow().sequence());
        long item = inbox.get(0).itemId();
        int again = 0;
        for (List<Reply> r : replies) {
            assertEquals(r.toString(), 250, r.get(0).code());
            if (r.get(0).text().equals("already delivered to alice@example.com as item " + item)) {
                again++;
            }
        }
        assertEquals(replies.toString(), 7, again);

        // later, with bob (now hosted here) in the same transaction: alice is answered from her mailbox, bob stored
        Account bob = parts.directory.account("bob@example.com").orElseThrow();
        parts.directory.changeOwner(bob.id(), "mbox2", bob.epoch(), "mbox1");
        Delivery delivery = new Delivery(() -> "mbox1", parts.directory, parts.directory, parts.blobs, parts.store,
                java.time.Clock.systemUTC());
        List<Reply> both = delivery.deliver("s@remote.test", List.of("alice@example.com", "bob@example.com"), same);
        assertEquals("already delivered to alice@example.com as item " + item, both.get(0).text());
        assertTrue(both.get(1).toString(), both.get(1).text().startsWith("stored for bob@example.com as item "));
        assertEquals(1, parts.store.messages(alice.id(), Folder.INBOX, 0, 100).size());
        assertEquals(1, parts.store.messages(bob.id(), Folder.INBOX, 0, 100).size());
    }

    private Path message(String text) throws Exception {
        Path file = tmp.newFile().toPath();
        Files.writeString(file, text);
        return file;
    }

    private interface MessageFor {
        Path get(int i) throws Exception;
    }

    /** Delivers to alice from {@code threads} threads started together; the replies in thread order. */
    private List<List<Reply>> concurrently(int threads, MessageFor messages) throws Exception {
        Delivery delivery = new Delivery(() -> "mbox1", parts.directory, parts.directory, parts.blobs, parts.store,
                java.time.Clock.systemUTC());
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            List<java.util.concurrent.Future<List<Reply>>> futures = new java.util.ArrayList<>();
            for (int i = 0; i < threads; i++) {
                Path message = messages.get(i);
                futures.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    return delivery.deliver("s@remote.test", List.of("alice@example.com"), message);
                }));
            }
            List<List<Reply>> out = new java.util.ArrayList<>();
            for (var f : futures) {
                out.add(f.get(60, TimeUnit.SECONDS));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
