package io.tandem.blob.s3.internal;

import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.Volume;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.VolumeRegistryAdapter;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static io.tandem.blob.s3.internal.BlobKeysTest.HELLO;
import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** LOCAL volumes through the BlobService: content addressing, atomic writes, verification on read. */
public class LocalVolumeTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final VolumeRegistryAdapter registry = new VolumeRegistryAdapter();
    private BlobStore store;
    private Path root;
    private Volume volume;

    @Before
    public void setUp() throws IOException {
        root = tmp.newFolder("volume1").toPath();
        Path localRoot = tmp.newFolder("local-root").toPath();
        store = new BlobStore(registry, ConfigProxy.of(BlobStore.Config.class, Map.of(
                "local_root", localRoot.toString(), "spool_dir", tmp.newFolder("spool").toString())));
        volume = registry.createVolume("local1", Volume.Kind.PRIMARY, Volume.Type.LOCAL, null, root.toString(), false);
    }

    @After
    public void tearDown() {
        store.deactivate();
    }

    private static InputStream text(String s) {
        return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
    }

    private byte[] read(BlobRef ref) throws Exception {
        try (InputStream in = store.open(ref)) {
            return in.readAllBytes();
        }
    }

    @Test
    public void putStoresUnderTheDigestAndOpenReadsItBack() throws Exception {
        BlobRef ref = store.put(volume.id(), text("hello"));
        assertEquals(new BlobRef(volume.id(), "2c/f2/" + HELLO, HELLO, 5), ref);
        Path file = root.resolve("2c/f2/" + HELLO);
        assertEquals("hello", Files.readString(file));
        assertTrue(store.exists(ref));
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), read(ref));
        try (var temp = Files.list(root.resolve(LocalStore.TMP))) {
            assertEquals("no temporary file left", 0, temp.count());
        }
    }

    @Test
    public void puttingTheSameContentAgainIsANoOp() throws Exception {
        BlobRef first = store.put(volume.id(), text("hello"));
        Path file = root.resolve(first.key());
        var modified = Files.getLastModifiedTime(file);
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(modified.toMillis() - 60_000));
        var old = Files.getLastModifiedTime(file);
        BlobRef second = store.put(volume.id(), text("hello"));
        assertEquals(first, second);
        assertEquals("the file was not rewritten", old, Files.getLastModifiedTime(file));
        try (var temp = Files.list(root.resolve(LocalStore.TMP))) {
            assertEquals(0, temp.count());
        }
    }

    @Test
    public void aTruncatedFileIsReplacedByAPutOfTheSameContent() throws Exception {
        BlobRef ref = store.put(volume.id(), text("hello"));
        Files.writeString(root.resolve(ref.key()), "hel");
        assertFalse("wrong size: not there", store.exists(ref));
        assertEquals(ref, store.put(volume.id(), text("hello")));
        assertEquals("hello", Files.readString(root.resolve(ref.key())));
    }

    @Test
    public void corruptedContentFailsTheReadNamingTheKey() throws Exception {
        BlobRef ref = store.put(volume.id(), text("hello"));
        Files.writeString(root.resolve(ref.key()), "jello"); // same size, other content
        IOException e = assertThrows(IOException.class, () -> read(ref));
        assertTrue(e.getMessage(), e.getMessage().contains("blob 2c/f2/" + HELLO + " is corrupt: sha256 "));

        Files.writeString(root.resolve(ref.key()), "hello, world");
        e = assertThrows(IOException.class, () -> read(ref));
        assertTrue(e.getMessage(), e.getMessage().contains("more than the expected 5 bytes"));
    }

    @Test
    public void deleteRemovesAndIsIdempotent() throws Exception {
        BlobRef ref = store.put(volume.id(), text("hello"));
        store.delete(ref);
        assertFalse(store.exists(ref));
        assertFalse(Files.exists(root.resolve(ref.key())));
        store.delete(ref);
        BlobException e = assertThrows(BlobException.class, () -> store.open(ref));
        assertFalse(e.temporary());
        assertTrue(e.getMessage(), e.getMessage().startsWith("no blob 2c/f2/" + HELLO + " on volume local1"));
    }

    @Test
    public void largeAndEmptyBlobs() throws Exception {
        byte[] big = new byte[3 * 1024 * 1024 + 17];
        new Random(1).nextBytes(big);
        BlobRef ref = store.put(volume.id(), new ByteArrayInputStream(big));
        assertEquals(big.length, ref.size());
        assertArrayEquals(big, read(ref));
        BlobRef empty = store.put(volume.id(), InputStream.nullInputStream());
        assertEquals(0, empty.size());
        assertEquals(0, read(empty).length);
    }

    @Test
    public void relativePathsLiveUnderTheLocalRoot() throws Exception {
        Volume relative = registry.createVolume("local2", Volume.Kind.SECONDARY, Volume.Type.LOCAL, null, "secondary/v2", false);
        BlobRef ref = store.put(relative.id(), text("hello"));
        assertTrue(Files.isRegularFile(tmp.getRoot().toPath().resolve("local-root/secondary/v2/2c/f2/" + HELLO)));
        assertTrue(store.exists(ref));
    }

    @Test
    public void refsAreCheckedAgainstTheirVolume() {
        UUID unknown = UUID.randomUUID();
        BlobException e = assertThrows(BlobException.class, () -> store.put(unknown, text("x")));
        assertEquals("no volume " + unknown, e.getMessage());
        assertFalse(e.temporary());

        BlobRef sneaky = new BlobRef(volume.id(), "../../etc/passwd", HELLO, 5);
        e = assertThrows(BlobException.class, () -> store.open(sneaky));
        assertTrue(e.getMessage(), e.getMessage().contains("'../../etc/passwd' is not the key of sha256 " + HELLO));
        assertThrows(BlobException.class, () -> store.delete(sneaky));
        assertThrows(BlobException.class, () -> store.exists(sneaky));
    }

    @Test
    public void aRootUnderAFileFailsThePutNamingItTemporarily() throws Exception {
        // not a permission problem nor a read-only filesystem (those need an operator: permanent), so temporary,
        // as for any other I/O error of the disk (see LocalStore.failure)
        Path file = tmp.newFile("not-a-directory").toPath();
        Volume broken = registry.createVolume("broken", Volume.Kind.SECONDARY, Volume.Type.LOCAL, null,
                file.resolve("sub").toString(), false);
        BlobException e = assertThrows(BlobException.class, () -> store.put(broken.id(), text("hello")));
        assertTrue(e.getMessage(), e.getMessage().startsWith("put of " + file.resolve("sub") + " on volume broken failed: "));
        assertTrue(e.temporary());
    }
}
