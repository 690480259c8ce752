package io.tandem.mailstore.internal;

import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.Volume;
import io.tandem.api.directory.Server;
import io.tandem.api.node.Role;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.LocalNodeAdapter;
import io.tandem.blob.s3.internal.BlobStore;
import io.tandem.directory.jdbc.internal.DirectoryComponent;
import io.tandem.mailstore.jdbc.internal.MailstoreDatabase;
import org.junit.rules.TemporaryFolder;

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
 * The real parts of a Mailstore in one JVM: the directory and the mailbox store on H2, blobs on a local
 * volume, two registered Mailstores ({@code mbox1}, this node, and {@code mbox2}), alice@example.com on
 * mbox1 and bob@example.com on mbox2, and the role on mbox1 listening on ports 0 (LMTP and HTTP).
 */
final class MailstoreFixture {

    final DirectoryComponent directory;
    final MailstoreDatabase store;
    final BlobService blobs;
    final MailstoreRole role;
    /** Where the role spools incoming messages. */
    final Path spool;
    private final TemporaryFolder tmp;

    MailstoreFixture(TemporaryFolder tmp) throws Exception {
        this(tmp, Map.of());
    }

    /** @param roleConfig role configuration on top of ports 0 */
    MailstoreFixture(TemporaryFolder tmp, Map<String, Object> roleConfig) throws Exception {
        this.tmp = tmp;
        Path base = tmp.newFolder().toPath(); // several fixtures may share the test's folder
        directory = new DirectoryComponent(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(DirectoryComponent.Config.class, Map.of("jdbc_url", "jdbc:h2:mem:dir-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1")));
        store = new MailstoreDatabase(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(MailstoreDatabase.Config.class, Map.of("jdbc_url", "jdbc:h2:mem:ms-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1")));
        blobs = new BlobStore(directory, ConfigProxy.of(BlobStore.Config.class, Map.of("local_root", dir(base, "local-root"), "spool_dir", dir(base, "blob-spool"))));
        directory.registerServer(new Server("mbox1", "mbox1.example.com", Set.of(Role.MAILSTORE), Instant.now()));
        directory.registerServer(new Server("mbox2", "mbox2.example.com", Set.of(Role.MAILSTORE), Instant.now()));
        Volume local = directory.createVolume("local", Volume.Kind.PRIMARY, Volume.Type.LOCAL, null,
                dir(base, "blobs"), false);
        directory.setCurrent(local.id());
        directory.createDomain("example.com");
        directory.createAccount("alice@example.com", "mbox1");
        directory.createAccount("bob@example.com", "mbox2");
        spool = Path.of(dir(base, "spool"));
        role = new MailstoreRole(new LocalNodeAdapter("mbox1", "127.0.0.1"), directory, directory, blobs, store,
                ConfigProxy.of(MailstoreRole.Config.class, config(roleConfig)), spool);
    }

    private static String dir(Path base, String name) throws java.io.IOException {
        return Files.createDirectories(base.resolve(name)).toString();
    }

    private static Map<String, Object> config(Map<String, Object> overrides) {
        Map<String, Object> config = new java.util.HashMap<>(Map.of("lmtp_port", 0, "http_port", 0));
        config.putAll(overrides);
        return config;
    }

    void stop() {
        role.deactivate();
        store.deactivateForTest();
        directory.deactivateForTest();
    }

    private final java.util.concurrent.atomic.AtomicInteger messages = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Delivers one new message (From: Sender, Subject: "Quarterly figures", body "Hello Alice", a Message-ID of
     * its own: every call is a different message, as every message an MTA accepts is) over LMTP with Python's
     * smtplib.LMTP; returns the lines "RCPT address code" and "DATA address code".
     */
    String lmtp(String... recipients) throws Exception {
        return lmtpMessage("m" + messages.incrementAndGet(), recipients);
    }

    /** As {@link #lmtp}, for the message with this Message-ID: the same id gives the same bytes (a retry). */
    String lmtpMessage(String messageId, String... recipients) throws Exception {
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
                "    code, msg = c.data(b'Message-ID: <" + messageId + "@remote.test>\\r\\nFrom: Sender <sender@remote.test>\\r\\nTo: alice@example.com\\r\\nSubject: Quarterly\\r\\n figures\\r\\n\\r\\nHello Alice\\r\\n')",
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
}
