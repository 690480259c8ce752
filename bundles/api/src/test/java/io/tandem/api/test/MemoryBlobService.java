package io.tandem.api.test;

import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.ProbeReport;
import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeRegistry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * An in-memory {@link BlobService} for unit tests, behaving as the real adapter ({@code BlobStore} of
 * tandem-blob-s3) does; both pass {@link BlobServiceContract}. Volumes and buckets are read from the
 * {@link VolumeRegistry} at every call (an unknown volume is a permanent failure); keys are derived from the
 * content as on the real volumes: {@code <path>/<aa>/<bb>/<sha256>} on S3 volumes, {@code <aa>/<bb>/<sha256>}
 * on LOCAL ones. Every blob is held in memory. Thread-safe.
 *
 * <p>Switches for failures: {@link #unreachable(boolean)} (every operation fails, temporary, as with a stopped
 * S3 server) and {@link #refusing(boolean)} (permanent, as with wrong credentials); {@link #replace} changes what
 * is stored behind the service's back (a corrupt blob). A test that needs another failure extends this class
 * and overrides the operation concerned.
 */
public class MemoryBlobService implements BlobService {

    private final VolumeRegistry registry;
    /** Per volume: key to content. */
    private final Map<UUID, Map<String, byte[]>> blobs = new HashMap<>();
    private boolean unreachable;
    private boolean refusing;

    public MemoryBlobService(VolumeRegistry registry) {
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** While on, every operation fails with a temporary {@link BlobException}, and probes fail at their put. */
    public synchronized MemoryBlobService unreachable(boolean on) {
        unreachable = on;
        return this;
    }

    /** While on, every operation fails with a permanent {@link BlobException} (access denied), probes too. */
    public synchronized MemoryBlobService refusing(boolean on) {
        refusing = on;
        return this;
    }

    /** Stores {@code content} under the ref's key, as something else than the service would (corruption). */
    public synchronized void replace(BlobRef ref, byte[] content) {
        blobs.computeIfAbsent(ref.volumeId(), v -> new HashMap<>()).put(ref.key(), content.clone());
    }

    /** The keys stored on a volume. */
    public synchronized Set<String> keys(UUID volumeId) {
        return new TreeSet<>(blobs.getOrDefault(volumeId, Map.of()).keySet());
    }

    @Override
    public BlobRef put(UUID volumeId, InputStream data) throws BlobException {
        Objects.requireNonNull(data, "data");
        Volume volume = volume(volumeId);
        // read outside the lock: the content may be large and slow to come
        MessageDigest digest = BlobServiceContract.newSha256();
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        try {
            for (int n; (n = data.read(buffer)) != -1; ) {
                digest.update(buffer, 0, n);
                content.write(buffer, 0, n);
            }
        } catch (IOException e) {
            throw new BlobException("put on volume " + volume.name() + ": reading the content failed: " + e.getMessage(),
                    false, e);
        }
        String sha = HexFormat.of().formatHex(digest.digest());
        String key = key(volume, sha);
        byte[] bytes = content.toByteArray();
        synchronized (this) {
            check("put", volume, key);
            Map<String, byte[]> stored = blobs.computeIfAbsent(volume.id(), v -> new HashMap<>());
            byte[] there = stored.get(key);
            if (there == null || there.length != bytes.length) { // as the real one: same key and size = already there
                stored.put(key, bytes);
            }
        }
        return new BlobRef(volume.id(), key, sha, bytes.length);
    }

    @Override
    public InputStream open(BlobRef ref) throws BlobException {
        Volume volume = checkedVolume(ref);
        byte[] content;
        synchronized (this) {
            check("open", volume, ref.key());
            content = blobs.getOrDefault(volume.id(), Map.of()).get(ref.key());
        }
        if (content == null) {
            throw new BlobException("open of " + ref.key() + " on volume " + volume.name() + " failed: no such blob", false);
        }
        return new Verifying(new ByteArrayInputStream(content), ref);
    }

    @Override
    public boolean exists(BlobRef ref) throws BlobException {
        Volume volume = checkedVolume(ref);
        synchronized (this) {
            check("stat", volume, ref.key());
            byte[] content = blobs.getOrDefault(volume.id(), Map.of()).get(ref.key());
            return content != null && content.length == ref.size();
        }
    }

    @Override
    public void delete(BlobRef ref) throws BlobException {
        Volume volume = checkedVolume(ref);
        synchronized (this) {
            check("delete", volume, ref.key());
            Map<String, byte[]> stored = blobs.get(volume.id());
            if (stored != null) {
                stored.remove(ref.key());
            }
        }
    }

    @Override
    public ProbeReport probe(UUID bucketId) {
        BucketConfig bucket = registry.bucket(bucketId).orElseThrow(() -> new IllegalArgumentException("no bucket " + bucketId));
        synchronized (this) {
            if (unreachable) {
                return ProbeReport.of(bucket.id(), List.of(new ProbeReport.Step("put", false, 0,
                        "connection refused by " + bucket.endpoint() + " (MemoryBlobService unreachable)")));
            }
            if (refusing) {
                return ProbeReport.of(bucket.id(), List.of(new ProbeReport.Step("put", false, 0,
                        "access denied (MemoryBlobService refusing)")));
            }
        }
        String key = "tandem-probe/" + UUID.randomUUID();
        return ProbeReport.of(bucket.id(), List.of(
                new ProbeReport.Step("put", true, 0, "0 bytes written to " + key),
                new ProbeReport.Step("stat", true, 0, "size 0"),
                new ProbeReport.Step("get", true, 0, "content verified"),
                new ProbeReport.Step("delete", true, 0, "removed")));
    }

    /** {@code <path>/<aa>/<bb>/<sha256>} on S3 volumes, {@code <aa>/<bb>/<sha256>} on LOCAL ones. */
    public static String key(Volume volume, String sha256) {
        String relative = sha256.substring(0, 2) + "/" + sha256.substring(2, 4) + "/" + sha256;
        String prefix = volume.type() == Volume.Type.S3 ? volume.path() : "";
        return prefix.isEmpty() ? relative : prefix + "/" + relative;
    }

    private Volume volume(UUID volumeId) throws BlobException {
        Volume volume = registry.volume(volumeId).orElseThrow(() -> new BlobException("no volume " + volumeId, false));
        if (volume.type() == Volume.Type.S3 && registry.bucket(volume.bucketId()).isEmpty()) {
            throw new BlobException("volume " + volume.name() + ": no bucket " + volume.bucketId(), false);
        }
        return volume;
    }

    private Volume checkedVolume(BlobRef ref) throws BlobException {
        Volume volume = volume(ref.volumeId());
        String expected = key(volume, ref.sha256());
        if (!ref.key().equals(expected)) {
            throw new BlobException("blob key '" + ref.key() + "' is not the key of sha256 " + ref.sha256()
                    + " on volume " + volume.name() + " (expected " + expected + ")", false);
        }
        return volume;
    }

    /** The failure switched on, if any (called holding the lock). */
    private void check(String op, Volume volume, String key) throws BlobException {
        if (unreachable) {
            throw new BlobException(op + " of " + key + " on volume " + volume.name()
                    + " failed: storage unreachable (MemoryBlobService switched off)", true,
                    new ConnectException("MemoryBlobService unreachable"));
        }
        if (refusing) {
            throw new BlobException(op + " of " + key + " on volume " + volume.name()
                    + " failed: access denied (MemoryBlobService refusing)", false);
        }
    }

    /**
     * Checks size and SHA-256 as the blob is read, as the real adapter does: more bytes than the size, or
     * another size or digest at the end, fail with an IOException naming the key (and so does every later read).
     */
    private static final class Verifying extends FilterInputStream {
        private final BlobRef ref;
        private final MessageDigest digest = BlobServiceContract.newSha256();
        private long count;
        private boolean ended;
        private IOException failure;

        Verifying(InputStream in, BlobRef ref) {
            super(in);
            this.ref = ref;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (failure != null) {
                throw failure;
            }
            if (len == 0) {
                return 0;
            }
            int n = in.read(b, off, len);
            if (n == -1) {
                if (!ended) {
                    ended = true;
                    String sha = HexFormat.of().formatHex(digest.digest());
                    if (count != ref.size()) {
                        throw fail("blob " + ref.key() + " is corrupt: " + count + " bytes, expected " + ref.size());
                    }
                    if (!sha.equals(ref.sha256())) {
                        throw fail("blob " + ref.key() + " is corrupt: sha256 " + sha + ", expected " + ref.sha256());
                    }
                }
                return -1;
            }
            digest.update(b, off, n);
            count += n;
            if (count > ref.size()) {
                throw fail("blob " + ref.key() + " is corrupt: more than the expected " + ref.size() + " bytes");
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buffer = new byte[8192];
            long skipped = 0;
            while (skipped < n) {
                int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
                if (r == -1) {
                    break;
                }
                skipped += r;
            }
            return skipped;
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public synchronized void mark(int readlimit) {
            // not supported
        }

        @Override
        public synchronized void reset() throws IOException {
            throw new IOException("mark/reset not supported");
        }

        private IOException fail(String message) {
            failure = new IOException(message);
            return failure;
        }
    }
}
