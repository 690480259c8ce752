package io.tandem.api.test;

import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.ProbeReport;
import io.tandem.api.blob.Volume;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TestName;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * What {@link BlobService}'s Javadoc (and {@link BlobException}'s) promises, run unchanged by every
 * implementation: the S3 adapter against a real S3 API ({@code S3BlobServiceContractIT} in blob-s3, on
 * S3Proxy), the same adapter on LOCAL volumes ({@code LocalBlobServiceContractTest}) and the in-memory double
 * of the unit tests, {@link MemoryBlobService} ({@code MemoryBlobServiceTest}), so what a test proves with the
 * double holds on the real storage.
 *
 * <p>Every test writes to {@link #volume()}, which is empty when the test starts. The subclass builds the
 * service and the volume before each test (and closes them after); the hooks let the contract look at what is
 * stored, corrupt it, and make the storage unreachable or refusing.
 */
public abstract class BlobServiceContract {

    /** SHA-256 of no bytes. */
    public static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    @Rule
    public final TestName test = new TestName();

    /** The service under test. */
    protected abstract BlobService blobs();

    /** The volume the contract writes to, known to {@link #blobs()}, empty when the test starts. */
    protected abstract Volume volume();

    /** The keys of the blobs stored on {@link #volume()} (no temporary or probe objects). */
    protected abstract Set<String> storedKeys() throws Exception;

    /** Replaces what is stored under {@code ref.key()} with {@code content}, behind the service's back. */
    protected abstract void replaceStored(BlobRef ref, byte[] content) throws Exception;

    /** Makes the storage of {@link #volume()} unreachable (a stopped server, a failing disk ...). */
    protected abstract void makeUnreachable() throws Exception;

    /** Undoes {@link #makeUnreachable()}: what was stored before is there again. */
    protected abstract void makeReachable() throws Exception;

    /** Secrets (credentials) the service knows, which no message may contain. */
    protected Collection<String> secrets() {
        return List.of();
    }

    // --- put ---------------------------------------------------------------------------------------------------

    @Test
    public void putReturnsTheRefOfTheContentKeyedByItsSha256() throws Exception {
        byte[] content = text("Subject: hello\r\n\r\n" + test.getMethodName() + "\r\n");
        BlobRef ref = blobs().put(volume().id(), new ByteArrayInputStream(content));
        String sha = sha256(content);
        assertEquals(new BlobRef(volume().id(), keyOf(sha), sha, content.length), ref);
        assertEquals("stored under its key, and nothing else", Set.of(ref.key()), storedKeys());
        assertTrue(blobs().exists(ref));
        assertArrayEquals(content, read(ref));
    }

    @Test
    public void theSameContentTwiceIsOneBlobWithTheSameRef() throws Exception {
        byte[] content = text("twice " + test.getMethodName());
        BlobRef first = blobs().put(volume().id(), new ByteArrayInputStream(content));
        BlobRef second = blobs().put(volume().id(), new ByteArrayInputStream(content));
        assertEquals(first, second);
        assertEquals("one blob", Set.of(first.key()), storedKeys());
        assertArrayEquals(content, read(second));

        BlobRef other = blobs().put(volume().id(), new ByteArrayInputStream(text("other " + test.getMethodName())));
        assertNotEquals("other content, another key", first.key(), other.key());
        assertEquals(Set.of(first.key(), other.key()), storedKeys());

        blobs().delete(first);
        assertFalse("one blob, not a count of puts: one delete removes it", blobs().exists(first));
        assertTrue("the other content is untouched", blobs().exists(other));
    }

    @Test
    public void putReadsTheStreamToItsEndAndDoesNotCloseIt() throws Exception {
        byte[] content = random(20_000, 1);
        Tracked data = new Tracked(new ByteArrayInputStream(content), 777); // short reads
        BlobRef ref = blobs().put(volume().id(), data);
        assertTrue("read to its end", data.ended);
        assertFalse("not closed", data.closed);
        assertEquals(content.length, ref.size());
        assertArrayEquals(content, read(ref));

        Tracked again = new Tracked(new ByteArrayInputStream(content), 1000);
        assertEquals("content already stored", ref, blobs().put(volume().id(), again));
        assertTrue("read to its end when the content is there already", again.ended);
        assertFalse(again.closed);
    }

    @Test
    public void emptyContentIsABlobToo() throws Exception {
        BlobRef ref = blobs().put(volume().id(), InputStream.nullInputStream());
        assertEquals(new BlobRef(volume().id(), keyOf(EMPTY_SHA256), EMPTY_SHA256, 0), ref);
        assertTrue(blobs().exists(ref));
        assertEquals(0, read(ref).length);
        assertEquals(Set.of(ref.key()), storedKeys());
    }

    @Test
    public void aLargeBlobIsStoredAndReadBackWhole() throws Exception {
        long size = 6L * 1024 * 1024 + 3; // streamed on both sides, never held in memory by the test
        Generated data = new Generated(size, 42);
        BlobRef ref = blobs().put(volume().id(), data);
        String sha = HexFormat.of().formatHex(data.digest.digest());
        assertEquals(new BlobRef(volume().id(), keyOf(sha), sha, size), ref);
        assertTrue(blobs().exists(ref));

        Generated expected = new Generated(size, 42);
        byte[] buffer = new byte[64 * 1024];
        byte[] wanted = new byte[buffer.length];
        long read = 0;
        try (InputStream in = blobs().open(ref)) {
            for (int n; (n = in.read(buffer)) != -1; ) {
                int m = expected.readNBytes(wanted, 0, n);
                assertEquals("no more than the content at " + read, n, m);
                int differs = Arrays.mismatch(buffer, 0, n, wanted, 0, n);
                if (differs >= 0) {
                    fail("byte " + (read + differs) + " differs");
                }
                read += n;
            }
        }
        assertEquals("every byte", size, read);
    }

    @Test
    public void aFailingInputStreamIsAPermanentFailureAndStoresNothing() throws Exception {
        InputStream broken = new InputStream() {
            private int left = 5000;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (left == 0) {
                    throw new IOException("the sender went away");
                }
                int n = Math.min(Math.min(len, left), 1000);
                java.util.Arrays.fill(b, off, off + n, (byte) 'x');
                left -= n;
                return n;
            }
        };
        BlobException e = assertThrows(BlobException.class, () -> blobs().put(volume().id(), broken));
        assertFalse("reading the data failed: permanent (" + e.getMessage() + ")", e.temporary());
        assertNamesTheVolume(e);
        assertTrue("nothing stored: " + storedKeys(), storedKeys().isEmpty());
    }

    // --- open and the verifying stream -------------------------------------------------------------------------

    @Test
    public void storedContentThatIsDifferentFailsTheReadNamingTheKey() throws Exception {
        byte[] content = text("original content");
        BlobRef ref = blobs().put(volume().id(), new ByteArrayInputStream(content));
        replaceStored(ref, text("tampered content")); // same size
        IOException e = assertThrows(IOException.class, () -> read(ref));
        assertTrue(e.getMessage(), e.getMessage().contains(ref.key()));
        // read byte by byte too: the check does not depend on how the stream is read
        e = assertThrows(IOException.class, () -> {
            try (InputStream in = blobs().open(ref)) {
                while (in.read() != -1) {
                    // read on
                }
            }
        });
        assertTrue(e.getMessage(), e.getMessage().contains(ref.key()));
    }

    @Test
    public void storedContentThatIsShorterFailsTheReadNamingTheKeyAndIsNotThere() throws Exception {
        byte[] content = text("the whole content");
        BlobRef ref = blobs().put(volume().id(), new ByteArrayInputStream(content));
        replaceStored(ref, text("the whole"));
        IOException e = assertThrows(IOException.class, () -> read(ref));
        assertTrue(e.getMessage(), e.getMessage().contains(ref.key()));
        assertFalse("not with the expected size: not there", blobs().exists(ref));

        assertEquals("a put of the content stores it again", ref, blobs().put(volume().id(), new ByteArrayInputStream(content)));
        assertTrue(blobs().exists(ref));
        assertArrayEquals(content, read(ref));
    }

    @Test
    public void storedContentThatIsLongerFailsTheReadNamingTheKeyAndIsNotThere() throws Exception {
        byte[] content = text("content");
        BlobRef ref = blobs().put(volume().id(), new ByteArrayInputStream(content));
        replaceStored(ref, text("content, and more"));
        IOException e = assertThrows(IOException.class, () -> read(ref));
        assertTrue(e.getMessage(), e.getMessage().contains(ref.key()));
        assertFalse("not with the expected size: not there", blobs().exists(ref));
    }

    @Test
    public void aRefWithAnotherSizeFailsTheRead() throws Exception {
        byte[] content = text("sized content");
        BlobRef ref = blobs().put(volume().id(), new ByteArrayInputStream(content));
        BlobRef larger = new BlobRef(ref.volumeId(), ref.key(), ref.sha256(), ref.size() + 1);
        assertFalse(blobs().exists(larger));
        IOException e = assertThrows(IOException.class, () -> read(larger));
        assertTrue(e.getMessage(), e.getMessage().contains(ref.key()));
    }

    @Test
    public void aMissingBlobIsNotThereAndOpeningItIsAPermanentFailureNamingTheKey() throws Exception {
        String sha = sha256(text("never stored " + UUID.randomUUID()));
        BlobRef missing = new BlobRef(volume().id(), keyOf(sha), sha, 10);
        assertFalse(blobs().exists(missing));
        BlobException e = assertThrows(BlobException.class, () -> blobs().open(missing));
        assertFalse(e.getMessage(), e.temporary());
        assertTrue(e.getMessage(), e.getMessage().contains(missing.key()));
        assertClean(e);
    }

    // --- delete ------------------------------------------------------------------------------------------------

    @Test
    public void deleteRemovesTheBlobAndDeletingAMissingBlobIsFine() throws Exception {
        BlobRef ref = blobs().put(volume().id(), new ByteArrayInputStream(text("to delete")));
        blobs().delete(ref);
        assertFalse(blobs().exists(ref));
        assertTrue(storedKeys().isEmpty());
        BlobException e = assertThrows(BlobException.class, () -> blobs().open(ref));
        assertFalse(e.temporary());
        blobs().delete(ref); // again: not an error

        String sha = sha256(text("never stored " + UUID.randomUUID()));
        blobs().delete(new BlobRef(volume().id(), keyOf(sha), sha, 3));
    }

    // --- volumes and keys --------------------------------------------------------------------------------------

    @Test
    public void anUnknownVolumeIsAPermanentFailureNamingIt() throws Exception {
        UUID unknown = UUID.randomUUID();
        BlobException put = assertThrows(BlobException.class,
                () -> blobs().put(unknown, new ByteArrayInputStream(text("x"))));
        String sha = sha256(text("x"));
        BlobRef ref = new BlobRef(unknown, sha.substring(0, 2) + "/" + sha.substring(2, 4) + "/" + sha, sha, 1);
        BlobException open = assertThrows(BlobException.class, () -> blobs().open(ref));
        BlobException exists = assertThrows(BlobException.class, () -> blobs().exists(ref));
        BlobException delete = assertThrows(BlobException.class, () -> blobs().delete(ref));
        for (BlobException e : List.of(put, open, exists, delete)) {
            assertFalse(e.getMessage(), e.temporary());
            assertTrue(e.getMessage(), e.getMessage().contains(unknown.toString()));
            assertClean(e);
        }
    }

    @Test
    public void aRefWhoseKeyIsNotItsDigestsKeyIsRefusedPermanently() throws Exception {
        BlobRef ref = blobs().put(volume().id(), new ByteArrayInputStream(text("addressed by content")));
        for (String key : List.of("../../etc/passwd", "elsewhere/" + ref.sha256(), keyOf(sha256(text("other"))))) {
            BlobRef wrong = new BlobRef(ref.volumeId(), key, ref.sha256(), ref.size());
            for (BlobOp op : List.<BlobOp>of(b -> b.open(wrong).close(), b -> b.exists(wrong), b -> b.delete(wrong))) {
                BlobException e = assertThrows(BlobException.class, () -> op.run(blobs()));
                assertFalse(e.getMessage(), e.temporary());
                assertTrue(e.getMessage(), e.getMessage().contains(key));
            }
        }
        assertTrue("the blob is untouched", blobs().exists(ref));
    }

    // --- failures of the storage -------------------------------------------------------------------------------

    @Test
    public void unreachableStorageIsATemporaryFailureAndWhatWasStoredIsThereAfterwards() throws Exception {
        byte[] before = random(3000, 7);
        BlobRef stored = blobs().put(volume().id(), new ByteArrayInputStream(before));
        makeUnreachable();
        try {
            Tracked data = new Tracked(new ByteArrayInputStream(random(100, 8)), 4096);
            BlobException put = assertThrows(BlobException.class, () -> blobs().put(volume().id(), data));
            assertFalse("not closed", data.closed);
            BlobException open = assertThrows(BlobException.class, () -> blobs().open(stored).close());
            BlobException exists = assertThrows(BlobException.class, () -> blobs().exists(stored));
            BlobException delete = assertThrows(BlobException.class, () -> blobs().delete(stored));
            for (BlobException e : List.of(put, open, exists, delete)) {
                assertTrue("unreachable: temporary (" + e.getMessage() + ")", e.temporary());
                assertNamesTheVolume(e);
            }
            if (volume().bucketId() != null) {
                ProbeReport report = blobs().probe(volume().bucketId()); // never throws for storage failures
                assertFalse(report.toString(), report.ok());
                ProbeReport.Step failed = report.failure().orElseThrow();
                assertFalse("a reason: " + report, failed.detail().isBlank());
                assertNoSecret(failed.detail());
            }
        } finally {
            makeReachable();
        }
        assertTrue(blobs().exists(stored));
        assertArrayEquals("stored before: still there", before, read(stored));
        byte[] after = random(3000, 9);
        assertArrayEquals(after, read(blobs().put(volume().id(), new ByteArrayInputStream(after))));
    }

    // --- probe -------------------------------------------------------------------------------------------------

    @Test
    public void probeOfAnUnknownBucketIsAnIllegalArgument() {
        UUID unknown = UUID.randomUUID();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> blobs().probe(unknown));
        assertTrue(e.getMessage(), e.getMessage().contains(unknown.toString()));
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    @FunctionalInterface
    protected interface BlobOp {
        void run(BlobService blobs) throws Exception;
    }

    /** The key of content with this SHA-256 on {@link #volume()}, as BlobService's Javadoc gives it. */
    protected final String keyOf(String sha256) {
        String relative = sha256.substring(0, 2) + "/" + sha256.substring(2, 4) + "/" + sha256;
        String prefix = volume().type() == Volume.Type.S3 ? volume().path() : "";
        return prefix.isEmpty() ? relative : prefix + "/" + relative;
    }

    protected final byte[] read(BlobRef ref) throws Exception {
        try (InputStream in = blobs().open(ref)) {
            return in.readAllBytes();
        }
    }

    protected static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static String sha256(byte[] content) {
        return HexFormat.of().formatHex(newSha256().digest(content));
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    protected final void assertNamesTheVolume(BlobException e) {
        String m = e.getMessage();
        assertTrue("names the volume: " + m, m.contains(volume().name()) || m.contains(volume().id().toString()));
        assertClean(e);
    }

    /** No secret in the message, and only JDK exceptions as causes (no storage client type). */
    private void assertClean(BlobException e) {
        assertNoSecret(e.getMessage());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            assertTrue("a JDK exception as cause: " + c.getClass().getName(), c.getClass().getName().startsWith("java."));
            assertNoSecret(String.valueOf(c.getMessage()));
        }
    }

    private void assertNoSecret(String text) {
        for (String secret : secrets()) {
            assertFalse("a secret in: " + text, text.contains(secret));
        }
    }

    /** Records whether it was read to its end and whether it was closed; gives at most {@code chunk} bytes a read. */
    protected static final class Tracked extends FilterInputStream {
        private final int chunk;
        volatile boolean ended;
        volatile boolean closed;

        Tracked(InputStream in, int chunk) {
            super(in);
            this.chunk = chunk;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            ended |= b == -1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, Math.min(len, chunk));
            ended |= n == -1;
            return n;
        }

        @Override
        public void close() throws IOException {
            closed = true;
            super.close();
        }
    }

    /** {@code size} pseudo-random bytes of a seed, made as they are read, digested on the way. */
    protected static final class Generated extends InputStream {
        private final Random random;
        private final byte[] block = new byte[8192];
        private int blockPos = block.length;
        private long left;
        final MessageDigest digest = newSha256();

        Generated(long size, long seed) {
            this.left = size;
            this.random = new Random(seed);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (left == 0) {
                return -1;
            }
            if (blockPos == block.length) {
                random.nextBytes(block);
                blockPos = 0;
            }
            int n = (int) Math.min(Math.min(len, block.length - blockPos), left);
            System.arraycopy(block, blockPos, b, off, n);
            digest.update(b, off, n);
            blockPos += n;
            left -= n;
            return n;
        }
    }
}
