package io.tandem.blob.s3.internal;

import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.ProbeReport;
import io.tandem.api.blob.Volume;
import okhttp3.OkHttpClient;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Blobs of S3 volumes through the MinIO client: one client per bucket configuration, cached and
 * rebuilt when the configuration changes (new endpoint, keys, region ...), all sharing one HTTP
 * connection pool. Every MinIO call runs with the MinIO bundle's class loader as the thread context
 * class loader (restored afterwards).
 */
final class S3Store implements AutoCloseable {

    /** Where probe objects go, at the bucket's root, outside every volume path. */
    static final String PROBE_PREFIX = "tandem-probe/";

    private final OkHttpClient http;
    private final Path spoolDir;
    private final int spoolMemoryBytes;
    private final Map<UUID, Cached> clients = new ConcurrentHashMap<>();

    private record Cached(BucketConfig config, MinioClient client) {
    }

    @FunctionalInterface
    interface S3Call<T> {
        T call() throws Exception;
    }

    S3Store(Duration connectTimeout, Duration readTimeout, Path spoolDir, int spoolMemoryBytes) {
        this.spoolDir = spoolDir;
        this.spoolMemoryBytes = spoolMemoryBytes;
        this.http = buildWithVendorLoader(() -> new OkHttpClient.Builder()
                .connectTimeout(connectTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .readTimeout(readTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .writeTimeout(readTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .retryOnConnectionFailure(true)
                .build());
    }

    @Override
    public void close() {
        clients.clear();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    /** How many bucket clients are cached (tests). */
    int cachedClients() {
        return clients.size();
    }

    /** The client of this exact configuration: the cached one, or a new one replacing an outdated one. */
    MinioClient client(BucketConfig bucket) {
        return clients.compute(bucket.id(), (id, cached) -> cached != null && cached.config().equals(bucket)
                ? cached : new Cached(bucket, build(bucket))).client();
    }

    /** Forgets the clients of buckets that no longer exist. */
    void retain(java.util.Set<UUID> bucketIds) {
        clients.keySet().retainAll(bucketIds);
    }

    private MinioClient build(BucketConfig bucket) {
        return buildWithVendorLoader(() -> {
            MinioClient.Builder b = MinioClient.builder()
                    .endpoint(bucket.endpoint())
                    .credentials(bucket.accessKey(), bucket.secretKey())
                    .httpClient(http);
            if (!bucket.region().isEmpty()) {
                b.region(bucket.region());
            }
            return b.build();
        });
    }

    BlobRef put(Volume volume, BucketConfig bucket, InputStream data) throws BlobException {
        Spool spool;
        try {
            spool = Spool.of(data, spoolMemoryBytes, spoolDir);
        } catch (IOException e) {
            throw new BlobException("put on volume " + volume.name() + ": reading the content failed: " + e.getMessage(), false, e);
        }
        try (spool) {
            String key = BlobKeys.key(volume.path(), spool.sha256());
            BlobRef ref = new BlobRef(volume.id(), key, spool.sha256(), spool.size());
            OptionalLong stored = stat(volume, bucket, key, "put");
            if (stored.isPresent() && stored.getAsLong() == spool.size()) {
                return ref; // content-addressed: already there
            }
            call(volume, bucket, key, "put", () -> {
                try (InputStream in = spool.open()) {
                    return client(bucket).putObject(PutObjectArgs.builder().bucket(bucket.bucket()).object(key)
                            .stream(in, spool.size(), -1).contentType("application/octet-stream").build());
                }
            });
            return ref;
        } catch (IOException e) {
            // only closing the spool can throw here: the blob is stored
            return new BlobRef(volume.id(), BlobKeys.key(volume.path(), spool.sha256()), spool.sha256(), spool.size());
        }
    }

    InputStream open(Volume volume, BucketConfig bucket, BlobRef ref) throws BlobException {
        InputStream in = call(volume, bucket, ref.key(), "open", () -> client(bucket).getObject(
                GetObjectArgs.builder().bucket(bucket.bucket()).object(ref.key()).build()));
        return new VerifyingInputStream(in, ref.key(), ref.sha256(), ref.size());
    }

    boolean exists(Volume volume, BucketConfig bucket, BlobRef ref) throws BlobException {
        OptionalLong size = stat(volume, bucket, ref.key(), "stat");
        return size.isPresent() && size.getAsLong() == ref.size();
    }

    void delete(Volume volume, BucketConfig bucket, BlobRef ref) throws BlobException {
        call(volume, bucket, ref.key(), "delete", () -> {
            client(bucket).removeObject(RemoveObjectArgs.builder().bucket(bucket.bucket()).object(ref.key()).build());
            return null;
        });
    }

    /** The stored size, or empty when the object does not exist. */
    private OptionalLong stat(Volume volume, BucketConfig bucket, String key, String op) throws BlobException {
        try {
            StatObjectResponse r = withVendorLoader(() -> client(bucket).statObject(
                    StatObjectArgs.builder().bucket(bucket.bucket()).object(key).build()));
            return OptionalLong.of(r.size());
        } catch (Exception e) {
            S3Failure f = S3Failure.of(e, bucket);
            if (f.missing()) {
                return OptionalLong.empty();
            }
            throw exception(op, volume, bucket, key, f);
        }
    }

    private <T> T call(Volume volume, BucketConfig bucket, String key, String op, S3Call<T> call) throws BlobException {
        try {
            return withVendorLoader(call);
        } catch (Exception e) {
            S3Failure f = S3Failure.of(e, bucket);
            throw exception(op, volume, bucket, key, f);
        }
    }

    private static BlobException exception(String op, Volume volume, BucketConfig bucket, String key, S3Failure f) {
        String reason = f.missing() ? "no such blob" : f.reason();
        return new BlobException(op + " of " + key + " on volume " + volume.name() + " (bucket '" + bucket.bucket()
                + "' at " + bucket.endpoint() + ") failed: " + reason, f.temporary(), f.cause());
    }

    /**
     * Readies the client of {@code bucket} before a blob needs it: builds it (class loading, region) and leaves a
     * pooled connection behind, with a stat of a key that does not exist. A Mailstore that is only a replica never
     * touches S3 (events carry blob references), so without this the first deliveries after a promotion would
     * pay all of it, a second and more on a loaded node.
     *
     * @return empty when the bucket answered, else why not
     */
    java.util.Optional<String> warmUp(BucketConfig bucket) {
        try {
            withVendorLoader(() -> client(bucket).statObject(StatObjectArgs.builder().bucket(bucket.bucket())
                    .object(PROBE_PREFIX + "warm-up").build()));
            return java.util.Optional.empty();
        } catch (Exception e) {
            S3Failure f = S3Failure.of(e, bucket);
            return f.missing() ? java.util.Optional.empty() : java.util.Optional.of(f.reason());
        }
    }

    /** put, stat, get, delete of a small probe object at the bucket's root, each timed. */
    ProbeReport probe(BucketConfig bucket) {
        String key = PROBE_PREFIX + UUID.randomUUID();
        byte[] content = ("tandem probe " + key + "\n").getBytes(StandardCharsets.UTF_8);
        List<ProbeReport.Step> steps = new ArrayList<>();
        ProbeReport.Step put = step("put", bucket, () -> {
            client(bucket).putObject(PutObjectArgs.builder().bucket(bucket.bucket()).object(key)
                    .stream(new ByteArrayInputStream(content), content.length, -1)
                    .contentType("text/plain").build());
            return content.length + " bytes written to " + key;
        });
        steps.add(put);
        if (!put.ok()) {
            return ProbeReport.of(bucket.id(), steps);
        }
        steps.add(step("stat", bucket, () -> {
            long size = client(bucket).statObject(StatObjectArgs.builder().bucket(bucket.bucket()).object(key).build()).size();
            if (size != content.length) {
                throw new ProbeMismatch("stored size " + size + ", expected " + content.length);
            }
            return "size " + size;
        }));
        steps.add(step("get", bucket, () -> {
            byte[] read;
            try (InputStream in = client(bucket).getObject(GetObjectArgs.builder().bucket(bucket.bucket()).object(key).build())) {
                read = in.readAllBytes();
            }
            if (!Arrays.equals(read, content)) {
                throw new ProbeMismatch("content read back differs (" + read.length + " bytes, expected " + content.length + ")");
            }
            return "content verified";
        }));
        // always clean up after a successful put
        steps.add(step("delete", bucket, () -> {
            client(bucket).removeObject(RemoveObjectArgs.builder().bucket(bucket.bucket()).object(key).build());
            return "removed";
        }));
        return ProbeReport.of(bucket.id(), steps);
    }

    private static final class ProbeMismatch extends Exception {
        private static final long serialVersionUID = 1L;

        ProbeMismatch(String message) {
            super(message);
        }
    }

    private ProbeReport.Step step(String name, BucketConfig bucket, S3Call<String> call) {
        long start = System.nanoTime();
        try {
            String detail = withVendorLoader(call);
            return new ProbeReport.Step(name, true, elapsedMillis(start), detail);
        } catch (ProbeMismatch e) {
            return new ProbeReport.Step(name, false, elapsedMillis(start), e.getMessage());
        } catch (Exception e) {
            return new ProbeReport.Step(name, false, elapsedMillis(start), S3Failure.of(e, bucket).reason());
        }
    }

    private static long elapsedMillis(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    /** Runs with the MinIO bundle's class loader as thread context class loader, restored afterwards. */
    static <T> T withVendorLoader(S3Call<T> call) throws Exception {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(MinioClient.class.getClassLoader());
        try {
            return call.call();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** {@link #withVendorLoader} for code that throws no checked exception (building clients). */
    static <T> T buildWithVendorLoader(java.util.function.Supplier<T> build) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(MinioClient.class.getClassLoader());
        try {
            return build.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
