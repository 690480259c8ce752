package io.tandem.role.mta.internal.spool;

import io.tandem.api.test.SmallFileSystem;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.RuleChain;
import org.junit.rules.TemporaryFolder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The MTA's spool on a file system that is full (a 4 MiB tmpfs filled to the last byte, the fault harness's "full
 * disk under the MTA spool", with the free-space floor off so that the write itself meets the full disk): a message
 * that cannot be written fails its reception and leaves nothing queued, before or after a restart; once room is
 * made, messages are queued again.
 */
public class SpoolDiskFullTest {

    private final TemporaryFolder tmp = new TemporaryFolder();
    private final SmallFileSystem disk = new SmallFileSystem(tmp, 4);
    @Rule
    public final RuleChain rules = RuleChain.outerRule(tmp).around(disk);

    private static final byte[] BODY = body();

    private static byte[] body() {
        byte[] b = new byte[256 * 1024];
        Arrays.fill(b, (byte) 'x');
        return b;
    }

    private static Envelope envelope(String id) {
        return new Envelope(id, "sender@remote.test", 1000, "mx.remote.test [192.0.2.1]", BODY.length,
                List.of(new Recipient("alice@example.com", UUID.fromString("00000000-0000-0000-0000-00000000a11c"))));
    }

    private static String receive(Spool spool) throws IOException {
        String id = Spool.newId(1000);
        try (Spool.Incoming in = spool.receive(id)) {
            in.out().write(BODY);
            in.commit(envelope(id));
        }
        return id;
    }

    @Test
    public void aMessageTheFullDiskCannotHoldIsRefusedAndLeavesNothingQueued() throws Exception {
        Path root = disk.root().resolve("spool");
        Spool spool = Spool.open(root).spool();
        Path filler = disk.fill();

        IOException refused = null;
        try {
            receive(spool);
        } catch (IOException e) {
            refused = e;
        }
        assertTrue("a message was queued on a full disk", refused != null);
        assertEquals(List.of(), Spool.open(root).queued());

        Files.delete(filler);
        String id = receive(spool);
        Spool.Contents reopened = Spool.open(root);
        assertEquals(List.of(id), reopened.queued().stream().map(Envelope::id).toList());
        try (InputStream in = reopened.spool().message(id)) {
            assertArrayEquals(BODY, in.readAllBytes());
        }
    }
}
