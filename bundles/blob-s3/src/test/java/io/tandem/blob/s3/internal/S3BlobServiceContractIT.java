package io.tandem.blob.s3.internal;

import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.Result;
import io.minio.messages.Item;
import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.Volume;
import io.tandem.api.test.BucketBlobServiceContract;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.S3ProxyFixture;
import io.tandem.api.test.VolumeRegistryAdapter;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;

import java.io.ByteArrayInputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * The blob service contract on an S3 volume of the real adapter, against a real S3 API (S3Proxy, SigV4,
 * started by scripts/infra/s3proxy.sh). Every test has a volume of its own (a new key prefix in one bucket).
 * Unreachable storage is S3Proxy stopped (then restarted with its data); refused access is a wrong secret key
 * in the bucket's configuration. Blobs above 4 KiB are spooled to disk before the upload.
 */
public class S3BlobServiceContractIT extends BucketBlobServiceContract {

    private static final String BUCKET = "contract-blobs";

    private static S3ProxyFixture s3;
    private static MinioClient admin;

    private VolumeRegistryAdapter registry;
    private BlobStore store;
    private BucketConfig bucket;
    private Volume volume;

    @BeforeClass
    public static void startS3() throws Exception {
        s3 = S3ProxyFixture.start("s3proxy-contract");
        admin = MinioClient.builder().endpoint(s3.endpoint).credentials(s3.accessKey, s3.secretKey).build();
        admin.makeBucket(MakeBucketArgs.builder().bucket(BUCKET).build());
    }

    @AfterClass
    public static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Before
    public void setUp() {
        registry = new VolumeRegistryAdapter();
        store = new BlobStore(registry, ConfigProxy.of(BlobStore.Config.class, Map.of(
                "local_root", s3.dir.resolve("local").toString(),
                "spool_dir", s3.dir.resolve("spool").toString(),
                "spool_memory_bytes", "4096",
                "connect_timeout_ms", "2000",
                "read_timeout_ms", "10000")));
        bucket = registry.createBucket("S3Proxy", s3.endpoint, BUCKET, "us-east-1", s3.accessKey, s3.secretKey);
        volume = registry.createVolume("contract", Volume.Kind.PRIMARY, Volume.Type.S3, bucket.id(),
                "contract/" + test.getMethodName() + "-" + UUID.randomUUID().toString().substring(0, 8), true);
    }

    @After
    public void tearDown() {
        store.deactivate();
    }

    @Override
    protected BlobService blobs() {
        return store;
    }

    @Override
    protected Volume volume() {
        return volume;
    }

    @Override
    protected Set<String> storedKeys() throws Exception {
        Set<String> keys = new TreeSet<>();
        for (Result<Item> item : admin.listObjects(ListObjectsArgs.builder().bucket(BUCKET)
                .prefix(volume.path() + "/").recursive(true).build())) {
            keys.add(item.get().objectName());
        }
        return keys;
    }

    @Override
    protected void replaceStored(BlobRef ref, byte[] content) throws Exception {
        admin.putObject(PutObjectArgs.builder().bucket(BUCKET).object(ref.key())
                .stream(new ByteArrayInputStream(content), content.length, -1).build());
    }

    @Override
    protected void makeUnreachable() throws Exception {
        s3.stop();
        assertFalse(s3.running());
    }

    @Override
    protected void makeReachable() throws Exception {
        s3.restart();
    }

    @Override
    protected void makeRefusing() {
        registry.putBucket(new BucketConfig(bucket.id(), bucket.provider(), bucket.endpoint(), bucket.bucket(),
                bucket.region(), bucket.accessKey(), "wrong-" + bucket.secretKey()));
    }

    @Override
    protected void stopRefusing() {
        registry.putBucket(bucket);
    }

    @Override
    protected Collection<String> secrets() {
        return List.of(s3.secretKey, s3.accessKey);
    }

    /** S3 only: the bucket missing on the server is as permanent as refused credentials. */
    @Test
    public void aVolumeWhoseBucketIsMissingOnTheServerIsAPermanentFailure() {
        BucketConfig gone = registry.createBucket("S3Proxy", s3.endpoint, "no-such-bucket", "us-east-1", s3.accessKey, s3.secretKey);
        Volume orphan = registry.createVolume("orphan", Volume.Kind.SECONDARY, Volume.Type.S3, gone.id(), "x", true);
        BlobException e = assertThrows(BlobException.class, () -> store.put(orphan.id(), new ByteArrayInputStream(text("x"))));
        assertFalse(e.getMessage(), e.temporary());
        assertTrue(e.getMessage(), e.getMessage().endsWith("failed: no such bucket 'no-such-bucket' on " + s3.endpoint));
    }
}
