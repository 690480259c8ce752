package io.tandem.blob.s3.internal;

import io.tandem.api.concurrent.Threads;
import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.ProbeReport;
import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeRegistry;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.InputStream;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * {@link BlobService} for S3 volumes (MinIO client) and LOCAL volumes (filesystem). Volumes and
 * buckets are read from the {@link VolumeRegistry} at every call, so a changed bucket configuration
 * takes effect at the next call (its client is rebuilt).
 */
@Component(service = BlobService.class, configurationPid = BlobStore.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = BlobStore.Config.class)
public class BlobStore implements BlobService {

    public static final String PID = "tandem.blob";
    private static final Logger LOG = LoggerFactory.getLogger(BlobStore.class);

    @ObjectClassDefinition(name = "Tandem blob storage", description = "S3 and local volumes of mail blobs")
    public @interface Config {
        @AttributeDefinition(description = "Milliseconds to open a connection to an S3 endpoint")
        long connect_timeout_ms() default 5000;

        @AttributeDefinition(description = "Milliseconds without progress reading or writing an S3 response or request")
        long read_timeout_ms() default 30000;

        @AttributeDefinition(description = "Root of LOCAL volumes with a relative path; empty = ${karaf.data}/blobs")
        String local_root() default "";

        @AttributeDefinition(description = "Directory for blobs being uploaded to S3 above spool.memory.bytes; empty = ${karaf.data}/tmp/blob-spool")
        String spool_dir() default "";

        @AttributeDefinition(description = "Blobs up to this size are hashed in memory before an S3 upload; larger ones are spooled to spool.dir")
        int spool_memory_bytes() default 1048576;
    }

    private final VolumeRegistry registry;
    private final LocalStore local;
    private final S3Store s3;
    private final String summary;
    private final ScheduledExecutorService warmer = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-blob-warm-up"));
    /** The last warm-up state of each bucket configuration, so that only changes are logged. */
    private final Map<BucketConfig, WarmUp> warmedUp = new ConcurrentHashMap<>();

    @Activate
    public BlobStore(@Reference VolumeRegistry registry, Config config) {
        this.registry = Objects.requireNonNull(registry, "registry");
        if (config.connect_timeout_ms() < 1) {
            throw invalid("connect.timeout.ms", config.connect_timeout_ms(), "must be >= 1");
        }
        if (config.read_timeout_ms() < 1) {
            throw invalid("read.timeout.ms", config.read_timeout_ms(), "must be >= 1");
        }
        if (config.spool_memory_bytes() < 0) {
            throw invalid("spool.memory.bytes", config.spool_memory_bytes(), "must be >= 0");
        }
        Path localRoot = directory("local.root", config.local_root(), "blobs");
        Path spoolDir = directory("spool.dir", config.spool_dir(), "tmp/blob-spool");
        this.local = new LocalStore(localRoot);
        this.s3 = new S3Store(Duration.ofMillis(config.connect_timeout_ms()),
                Duration.ofMillis(config.read_timeout_ms()), spoolDir, config.spool_memory_bytes());
        this.summary = "local root " + localRoot + ", spool " + spoolDir + ", S3 timeouts connect "
                + config.connect_timeout_ms() + " ms / read " + config.read_timeout_ms() + " ms";
        LOG.info("Started blob storage ({})", summary);
        warmer.scheduleWithFixedDelay(this::warmUp, 0, WARM_UP_CHECK.toSeconds(), TimeUnit.SECONDS);
    }

    /** How often new buckets and unreachable ones are looked at. */
    static final Duration WARM_UP_CHECK = Duration.ofSeconds(15);
    /** Within the HTTP client's keep-alive (5 minutes), so a pooled connection to every bucket stays open. */
    static final Duration WARM_UP_PERIOD = Duration.ofMinutes(4);

    /** A bucket's last warm-up: when, and why it failed (empty: the bucket answered). */
    private record WarmUp(Optional<String> failure, long atNanos) {
    }

    /**
     * The S3 client of every bucket ready before a blob needs it (see {@link S3Store#warmUp}): new and unreachable
     * buckets at the next check, ready ones again every {@link #WARM_UP_PERIOD}.
     */
    void warmUp() {
        List<BucketConfig> buckets;
        try {
            buckets = registry.buckets();
        } catch (RuntimeException e) {
            LOG.debug("S3 warm-up skipped: buckets unknown ({})", e.toString());
            return;
        }
        for (BucketConfig bucket : buckets) {
            long start = System.nanoTime();
            WarmUp last = warmedUp.get(bucket);
            if (last != null && last.failure().isEmpty() && start - last.atNanos() < WARM_UP_PERIOD.toNanos()) {
                continue;
            }
            Optional<String> failure = s3.warmUp(bucket);
            warmedUp.put(bucket, new WarmUp(failure, start));
            if (last == null || !failure.equals(last.failure())) {
                if (failure.isEmpty()) {
                    LOG.info("S3 client of bucket '{}' at {} ready in {} ms", bucket.bucket(), bucket.endpoint(),
                            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                } else {
                    LOG.warn("S3 bucket '{}' at {} unreachable: {} (core:testS3Connection shows more)", bucket.bucket(),
                            bucket.endpoint(), failure.get());
                }
            }
        }
        warmedUp.keySet().retainAll(buckets);
    }

    @Deactivate
    void deactivate() {
        warmer.shutdownNow();
        s3.close();
        LOG.info("Stopped blob storage");
    }

    private static IllegalArgumentException invalid(String key, Object value, String rule) {
        return new IllegalArgumentException(PID + ": " + key + " = " + value + " " + rule);
    }

    /** An absolute directory from the configuration, or {@code ${karaf.data}/<fallback>} when empty. */
    private static Path directory(String key, String value, String underData) {
        if (value == null || value.isBlank()) {
            String data = System.getProperty("karaf.data");
            if (data == null || data.isBlank()) {
                throw invalid(key, "''", "is empty and karaf.data is not set: give an absolute directory");
            }
            return Path.of(data, underData).toAbsolutePath().normalize();
        }
        try {
            Path p = Path.of(value.trim());
            if (!p.isAbsolute()) {
                throw invalid(key, "'" + value + "'", "must be an absolute directory");
            }
            return p.normalize();
        } catch (InvalidPathException e) {
            throw invalid(key, "'" + value + "'", "is not a path: " + e.getReason());
        }
    }

    S3Store s3Store() {
        return s3;
    }

    LocalStore localStore() {
        return local;
    }

    @Override
    public BlobRef put(UUID volumeId, InputStream data) throws BlobException {
        Objects.requireNonNull(data, "data");
        Volume volume = volume(volumeId);
        BlobRef ref = volume.type() == Volume.Type.LOCAL
                ? local.put(volume, data)
                : s3.put(volume, bucket(volume), data);
        LOG.debug("Stored blob {} ({} bytes) on volume {}", ref.key(), ref.size(), volume.name());
        return ref;
    }

    @Override
    public InputStream open(BlobRef ref) throws BlobException {
        Volume volume = checkedVolume(ref);
        return volume.type() == Volume.Type.LOCAL ? local.open(volume, ref) : s3.open(volume, bucket(volume), ref);
    }

    @Override
    public boolean exists(BlobRef ref) throws BlobException {
        Volume volume = checkedVolume(ref);
        return volume.type() == Volume.Type.LOCAL ? local.exists(volume, ref) : s3.exists(volume, bucket(volume), ref);
    }

    @Override
    public void delete(BlobRef ref) throws BlobException {
        Volume volume = checkedVolume(ref);
        if (volume.type() == Volume.Type.LOCAL) {
            local.delete(volume, ref);
        } else {
            s3.delete(volume, bucket(volume), ref);
        }
        LOG.debug("Deleted blob {} on volume {}", ref.key(), volume.name());
    }

    @Override
    public ProbeReport probe(UUID bucketId) {
        BucketConfig bucket = registry.bucket(bucketId)
                .orElseThrow(() -> new IllegalArgumentException("no bucket " + bucketId));
        s3.retain(registry.buckets().stream().map(BucketConfig::id).collect(Collectors.toSet()));
        ProbeReport report = s3.probe(bucket);
        if (report.ok()) {
            LOG.info("S3 probe of bucket {} ({} at {}): OK", bucket.id(), bucket.bucket(), bucket.endpoint());
        } else {
            ProbeReport.Step failed = report.failure().orElseThrow();
            LOG.warn("S3 probe of bucket {} ({} at {}) failed at {}: {}", bucket.id(), bucket.bucket(),
                    bucket.endpoint(), failed.name(), failed.detail());
        }
        return report;
    }

    private Volume volume(UUID volumeId) throws BlobException {
        return registry.volume(volumeId)
                .orElseThrow(() -> new BlobException("no volume " + volumeId, false));
    }

    /** The ref's volume; its key must be the one derived from its digest on that volume (no path tricks). */
    private Volume checkedVolume(BlobRef ref) throws BlobException {
        Volume volume = volume(ref.volumeId());
        String expected = BlobKeys.key(volume.type() == Volume.Type.S3 ? volume.path() : "", ref.sha256());
        if (!ref.key().equals(expected)) {
            throw new BlobException("blob key '" + ref.key() + "' is not the key of sha256 " + ref.sha256()
                    + " on volume " + volume.name() + " (expected " + expected + ")", false);
        }
        return volume;
    }

    private BucketConfig bucket(Volume volume) throws BlobException {
        return registry.bucket(volume.bucketId()).orElseThrow(() -> new BlobException(
                "volume " + volume.name() + ": no bucket " + volume.bucketId(), false));
    }

    @Override
    public String toString() {
        return "BlobStore[" + summary + "]";
    }
}
