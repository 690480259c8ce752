package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.blob.BlobRef;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxOp;
import io.tandem.api.mailbox.Message;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.SmallFileSystem;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.RuleChain;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The Mailstore's database on a file system that fills up (a 24 MiB tmpfs, the fault harness's "full disk under the
 * Mailstore database"): a delivery the disk cannot hold fails instead of being acknowledged, every delivery that was
 * acknowledged stays readable, once room is made deliveries are taken again without a restart, and after a restart
 * every acknowledged delivery is there. Needs root (mount); fails when it cannot mount.
 */
public class DiskFullTest {

    private static final UUID VOLUME = UUID.fromString("00000000-0000-0000-0000-0000000000aa");

    private final TemporaryFolder tmp = new TemporaryFolder();
    private final SmallFileSystem disk = new SmallFileSystem(tmp, 24);
    @Rule
    public final RuleChain rules = RuleChain.outerRule(tmp).around(disk);
    private final List<MailstoreDatabase> opened = new ArrayList<>();

    @After
    public void close() {
        for (MailstoreDatabase d : opened) {
            try {
                d.deactivateForTest();
            } catch (RuntimeException e) {
                // already closed by the test
            }
        }
    }

    private String url() {
        return MailstoreDatabase.DEFAULT_URL.replace("${karaf.data}", disk.root().resolve("data").toString());
    }

    private MailstoreDatabase open() {
        MailstoreDatabase d = new MailstoreDatabase(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(MailstoreDatabase.Config.class, Map.of("jdbc_url", url())));
        opened.add(d);
        return d;
    }

    private static long deliver(MailstoreDatabase store, UUID account, int n) {
        String padding = "x".repeat(400); // large rows fill the file faster
        MailboxChange c = store.execute(account, 0, tx -> tx.addMessage(Folder.INBOX,
                new BlobRef(VOLUME, "k/" + n, String.format("%064x", n), 100 + n), 100 + n, 1_700_000_000_000L + n,
                "subject " + n + " " + padding, "from" + n + "@example.org", "alice@example.com", Set.of(), Set.of()));
        return ((MailboxOp.AddMessage) c.ops().get(0)).itemId();
    }

    private static Set<Long> stored(MailstoreDatabase store, UUID account) {
        Set<Long> out = new TreeSet<>();
        for (int offset = 0; ; offset += 1000) {
            List<Message> page = store.messages(account, Folder.INBOX, offset, 1000);
            page.forEach(m -> out.add(m.itemId()));
            if (page.size() < 1000) {
                return out;
            }
        }
    }

    @Test
    public void aDeliveryTheDiskCannotHoldFailsAndNothingAcknowledgedIsLost() throws Exception {
        MailstoreDatabase store = open();
        UUID account = UUID.randomUUID();
        store.create(account, 0);
        Set<Long> acked = new TreeSet<>();
        for (int i = 1; i <= 20; i++) {
            acked.add(deliver(store, account, i));
        }
        Path filler = disk.fill();

        int n = 21;
        RuntimeException refused = null;
        for (; n < 5_000 && refused == null; n++) {
            try {
                acked.add(deliver(store, account, n));
            } catch (RuntimeException e) {
                refused = e;
            }
        }
        assertTrue("the disk is full, yet " + (n - 21) + " more deliveries were acknowledged", refused != null);
        // a temporary failure: LMTP answers 451 and the MTA tries again later
        assertTrue(refused.toString(), refused instanceof MailstoreUnavailableException);

        Files.delete(filler);
        long afterRoom = -1;
        RuntimeException last = null;
        // the first request after room was made may still meet a connection of the closed database (whose failure then
        // drops them all): the MTA's next try is taken
        for (int attempt = 0; attempt < 2 && afterRoom < 0; attempt++) {
            try {
                afterRoom = deliver(store, account, n++);
            } catch (RuntimeException e) {
                last = e;
            }
        }
        assertTrue("room was made, deliveries still fail: " + last, afterRoom >= 0);
        acked.add(afterRoom);
        Set<Long> missing = new TreeSet<>(acked);
        missing.removeAll(stored(store, account));
        assertTrue("acknowledged, not readable: " + missing, missing.isEmpty());

        store.deactivateForTest();
        Path marker = H2Recovery.marker(H2Recovery.file(url()).orElseThrow());
        assertTrue("a database that closed itself is checked at the next start, as after a crash", Files.exists(marker));
        MailstoreDatabase reopened = open();
        missing = new TreeSet<>(acked);
        missing.removeAll(stored(reopened, account));
        assertTrue("acknowledged, lost over a restart: " + missing + " (refused: " + refused + ")", missing.isEmpty());
    }
}
