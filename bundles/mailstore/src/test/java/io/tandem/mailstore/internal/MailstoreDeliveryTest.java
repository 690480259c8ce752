package io.tandem.mailstore.internal;

import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.Volume;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.Server;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.Message;
import io.tandem.api.node.Role;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.LocalNodeAdapter;
import io.tandem.blob.s3.internal.BlobStore;
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
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
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

    private DirectoryComponent directory;
    private MailstoreDatabase store;
    private MailstoreRole role;
    private BlobService blobs;

    @Before
    public void start() throws Exception {
        directory = new DirectoryComponent(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())), Map.of(),
                ConfigProxy.of(DirectoryComponent.Config.class, Map.of("jdbc_url", "jdbc:h2:mem:dir-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1")));
        store = new MailstoreDatabase(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(MailstoreDatabase.Config.class, Map.of("jdbc_url", "jdbc:h2:mem:ms-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1")));
        blobs = new BlobStore(directory, ConfigProxy.of(BlobStore.Config.class, Map.of("local_root", tmp.newFolder("local-root").getAbsolutePath(), "spool_dir", tmp.newFolder("blob-spool").getAbsolutePath())));
        directory.registerServer(new Server("mbox1", "mbox1.example.com", Set.of(Role.MAILSTORE), Instant.now()));
        directory.registerServer(new Server("mbox2", "mbox2.example.com", Set.of(Role.MAILSTORE), Instant.now()));
        Volume local = directory.createVolume("local", Volume.Kind.PRIMARY, Volume.Type.LOCAL, null,
                tmp.newFolder("blobs").getAbsolutePath(), false);
        directory.setCurrent(local.id());
        directory.createDomain("example.com");
        directory.createAccount("alice@example.com", "mbox1");
        directory.createAccount("bob@example.com", "mbox2");
        role = new MailstoreRole(new LocalNodeAdapter("mbox1", "127.0.0.1"), directory, directory, blobs, store,
                ConfigProxy.of(MailstoreRole.Config.class, Map.of("lmtp_port", 0)), tmp.newFolder("spool").toPath());
    }

    @After
    public void stop() {
        if (role != null) {
            role.deactivate();
        }
        store.deactivateForTest();
        directory.deactivateForTest();
    }

    private String lmtp(String... recipients) throws Exception {
        StringBuilder script = new StringBuilder(String.join("\n",
                "import smtplib",
                "c = smtplib.LMTP('127.0.0.1', " + role.lmtpPort() + ")",
                "c.ehlo('mta1.example.com')",
                "c.mail('sender@remote.test')",
                "accepted = []",
                "for r in " + pythonList(recipients) + ":",
                "    code, msg = c.rcpt(r)",
                "    print('RCPT', r, code)",
                "    if code == 250: accepted.append(r)",
                "if accepted:",
                "    code, msg = c.data(b'From: Sender <sender@remote.test>\\r\\nTo: alice@example.com\\r\\nSubject: Quarterly\\r\\n figures\\r\\n\\r\\nHello Alice\\r\\n')",
                "    print('DATA', accepted[0], code)",
                "    for r in accepted[1:]:",
                "        code, msg = c.getreply()",
                "        print('DATA', r, code)",
                "c.quit()"));
        Path py = tmp.newFile().toPath();
        Files.writeString(py, script);
        Process p = new ProcessBuilder("python3", py.toString()).redirectErrorStream(true).start();
        assertTrue("python3 finished", p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(out, 0, p.exitValue());
        return out.trim();
    }

    private static String pythonList(String... items) {
        StringBuilder b = new StringBuilder("[");
        for (String i : items) {
            b.append('\'').append(i).append("',");
        }
        return b.append(']').toString();
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
}
