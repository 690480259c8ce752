package io.tandem.blob.s3.internal;

import io.tandem.api.test.Scripts;
import io.tandem.api.test.S3ProxyFixture;
import io.minio.BucketExistsArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.ProbeReport;
import io.tandem.api.blob.Volume;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.VolumeRegistryAdapter;
import org.junit.After;
import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The blob service against a real S3 API (S3Proxy, SigV4) started by scripts/infra/s3proxy.sh. */
public class S3BlobStoreIT {

    private static S3ProxyFixture s3;
    private static MinioClient admin;

    private VolumeRegistryAdapter registry;
    private BlobStore store;
    private BucketConfig bucket;
    private Volume volume;
    private Path spool;

    @BeforeClass
    public static void startS3() throws Exception {
        s3 = S3ProxyFixture.start("s3proxy-blobstore");
        admin = MinioClient.builder().endpoint(s3.endpoint).credentials(s3.accessKey, s3.secretKey).build();
        admin.makeBucket(MakeBucketArgs.builder().bucket("mail-blobs").build());
        s3.bucket("scripted");
        assertTrue(admin.bucketExists(BucketExistsArgs.builder().bucket("scripted").build()));
    }

    @AfterClass
    public static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @Before
    public void setUp() throws IOException {
        registry = new VolumeRegistryAdapter();
        spool = s3.dir.resolve("spool-" + UUID.randomUUID());
        store = new BlobStore(registry, ConfigProxy.of(BlobStore.Config.class, Map.of(
                "local_root", s3.dir.resolve("local").toString(),
                "spool_dir", spool.toString(),
                "spool_memory_bytes", "4096",
                "connect_timeout_ms", "2000",
                "read_timeout_ms", "10000")));
        bucket = registry.createBucket("S3Proxy", s3.endpoint, "mail-blobs", "us-east-1", s3.accessKey, s3.secretKey);
        volume = registry.createVolume("store1", Volume.Kind.PRIMARY, Volume.Type.S3, bucket.id(), "mailstore/blobs", true);
    }

    @After
    public void tearDown() {
        store.deactivate();
    }

    private static InputStream bytes(byte[] b) {
        return new ByteArrayInputStream(b);
    }

    private byte[] read(BlobRef ref) throws Exception {
        try (InputStream in = store.open(ref)) {
            return in.readAllBytes();
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    public void putOpenExistsDeleteRoundTrip() throws Exception {
        byte[] content = ("Subject: hello\r\n\r\nround trip " + UUID.randomUUID() + "\r\n").getBytes(StandardCharsets.US_ASCII);
        BlobRef ref = store.put(volume.id(), bytes(content));
        String sha = BlobKeys.hex(BlobKeys.sha256().digest(content));
        assertEquals(new BlobRef(volume.id(), "mailstore/blobs/" + sha.substring(0, 2) + "/" + sha.substring(2, 4) + "/" + sha,
                sha, content.length), ref);
        assertTrue(store.exists(ref));
        assertArrayEquals(content, read(ref));
        assertEquals("the same content again: the same ref", ref, store.put(volume.id(), bytes(content)));

        store.delete(ref);
        assertFalse(store.exists(ref));
        store.delete(ref); // deleting a missing blob is fine
        BlobException e = assertThrows(BlobException.class, () -> store.open(ref));
        assertFalse(e.temporary());
        assertTrue(e.getMessage(), e.getMessage().startsWith("open of " + ref.key() + " on volume store1"));
        assertTrue(e.getMessage(), e.getMessage().endsWith("failed: no such blob"));
    }

    @Test
    public void largeBlobsAreSpooledToDiskAndTheSpoolIsEmptiedAfterwards() throws Exception {
        byte[] content = random(6 * 1024 * 1024 + 3, 42); // above MinIO's multipart threshold too
        BlobRef ref = store.put(volume.id(), bytes(content));
        assertEquals(content.length, ref.size());
        assertArrayEquals(content, read(ref));
        try (var files = Files.list(spool)) {
            assertEquals("spool files are deleted after the upload", 0, files.count());
        }
        store.delete(ref);
    }

    @Test
    public void corruptedObjectsFailTheReadNamingTheKey() throws Exception {
        byte[] content = "original content".getBytes(StandardCharsets.UTF_8);
        BlobRef ref = store.put(volume.id(), bytes(content));
        byte[] other = "tampered content".getBytes(StandardCharsets.UTF_8); // same size
        admin.putObject(PutObjectArgs.builder().bucket("mail-blobs").object(ref.key())
                .stream(new ByteArrayInputStream(other), other.length, -1).build());
        assertTrue("same size: stat cannot tell", store.exists(ref));
        IOException e = assertThrows(IOException.class, () -> read(ref));
        assertTrue(e.getMessage(), e.getMessage().startsWith("blob " + ref.key() + " is corrupt: sha256 "));

        byte[] shorter = "short".getBytes(StandardCharsets.UTF_8);
        admin.putObject(PutObjectArgs.builder().bucket("mail-blobs").object(ref.key())
                .stream(new ByteArrayInputStream(shorter), shorter.length, -1).build());
        assertFalse("wrong size: not there", store.exists(ref));
        e = assertThrows(IOException.class, () -> read(ref));
        assertEquals("blob " + ref.key() + " is corrupt: 5 bytes, expected " + content.length, e.getMessage());

        assertEquals("a put of the right content repairs it", ref, store.put(volume.id(), bytes(content)));
        assertArrayEquals(content, read(ref));
    }

    @Test
    public void probeOfAGoodBucketPassesEveryStepAndLeavesNothing() throws Exception {
        ProbeReport report = store.probe(bucket.id());
        assertTrue(report.toString(), report.ok());
        assertEquals(List.of("put", "stat", "get", "delete"), report.steps().stream().map(ProbeReport.Step::name).toList());
        assertTrue(report.steps().get(0).detail(), report.steps().get(0).detail().matches("\\d+ bytes written to tandem-probe/.+"));
        assertEquals("content verified", report.steps().get(2).detail());
        assertFalse("the probe object is deleted", admin.listObjects(ListObjectsArgs.builder().bucket("mail-blobs")
                .prefix(S3Store.PROBE_PREFIX).recursive(true).build()).iterator().hasNext());

        BucketConfig noRegion = registry.createBucket("S3Proxy", s3.endpoint, "scripted", "", s3.accessKey, s3.secretKey);
        ProbeReport r2 = store.probe(noRegion.id());
        assertTrue("a bucket created by the script, region asked from the endpoint: " + r2, r2.ok());
    }

    private ProbeReport.Step failedProbe(BucketConfig b) {
        ProbeReport report = store.probe(b.id());
        assertFalse(report.toString(), report.ok());
        assertEquals("nothing after a failed put", 1, report.steps().size());
        ProbeReport.Step put = report.steps().get(0);
        assertEquals("put", put.name());
        assertFalse(put.ok());
        assertFalse(put.detail(), put.detail().contains(s3.secretKey));
        assertFalse(put.detail(), put.detail().contains(s3.accessKey));
        return put;
    }

    @Test
    public void warmUpReadiesTheClientOfEveryBucketAndSaysWhyOneIsUnreachable() throws Exception {
        int closed = Scripts.freePort();
        BucketConfig refused = registry.createBucket("S3Proxy", "http://127.0.0.1:" + closed, "mail-blobs", "us-east-1",
                s3.accessKey, s3.secretKey);
        S3Store s3Store = store.s3Store();
        assertEquals(java.util.Optional.empty(), s3Store.warmUp(bucket)); // the warm-up key does not exist: that is fine
        assertEquals(java.util.Optional.of("connection refused by 127.0.0.1:" + closed), s3Store.warmUp(refused));
        store.warmUp(); // every bucket of the registry, as the node does at start and every few minutes
        assertEquals(2, s3Store.cachedClients());
        assertFalse("the warm-up writes nothing", admin.listObjects(ListObjectsArgs.builder().bucket("mail-blobs")
                .prefix(S3Store.PROBE_PREFIX).recursive(true).build()).iterator().hasNext());
    }

    @Test
    public void probeWithAWrongSecretSaysAccessDenied() {
        BucketConfig wrong = registry.createBucket("S3Proxy", "http://localhost:" + s3.port, "mail-blobs", "us-east-1",
                s3.accessKey, "wrong" + s3.secretKey);
        ProbeReport.Step put = failedProbe(wrong);
        assertTrue(put.detail(), put.detail().startsWith("access denied (wrong credentials"));
        assertFalse(put.detail(), put.detail().contains("wrong" + s3.secretKey));
    }

    @Test
    public void probeWithAnUnknownAccessKeySaysAccessDenied() {
        BucketConfig wrong = registry.createBucket("S3Proxy", "http://localhost:" + s3.port, "mail-blobs", "us-east-1",
                "nosuchkey", s3.secretKey);
        ProbeReport.Step put = failedProbe(wrong);
        assertTrue(put.detail(), put.detail().startsWith("access denied (wrong credentials"));
    }

    @Test
    public void probeOfAMissingBucket() {
        BucketConfig missing = registry.createBucket("S3Proxy", s3.endpoint, "no-such-bucket", "us-east-1", s3.accessKey, s3.secretKey);
        assertEquals("no such bucket 'no-such-bucket' on " + s3.endpoint, failedProbe(missing).detail());
    }

    @Test
    public void probeOfAClosedPortSaysConnectionRefused() throws IOException {
        int closed = Scripts.freePort();
        BucketConfig refused = registry.createBucket("S3Proxy", "http://127.0.0.1:" + closed, "mail-blobs", "us-east-1",
                s3.accessKey, s3.secretKey);
        assertEquals("connection refused by 127.0.0.1:" + closed, failedProbe(refused).detail());
    }

    @Test
    public void probeOfAnUnknownHost() {
        BucketConfig unknown = registry.createBucket("S3Proxy", "http://no-such-host.invalid:9000", "mail-blobs",
                "us-east-1", s3.accessKey, s3.secretKey);
        assertEquals("unknown host no-such-host.invalid", failedProbe(unknown).detail());
    }

    @Test
    public void refusedCredentialsArePermanentAndAChangedConfigTakesEffectAtOnce() throws Exception {
        registry.putBucket(new BucketConfig(bucket.id(), bucket.provider(), bucket.endpoint(), bucket.bucket(),
                bucket.region(), bucket.accessKey(), "wrong-secret"));
        BlobException e = assertThrows(BlobException.class, () -> store.put(volume.id(), bytes(random(100, 1))));
        assertFalse(e.temporary());
        assertTrue(e.getMessage(), e.getMessage().contains("failed: access denied (wrong credentials"));
        assertFalse(e.getMessage(), e.getMessage().contains("wrong-secret"));

        registry.putBucket(bucket); // fixed: the client is rebuilt at the next call
        BlobRef ref = store.put(volume.id(), bytes(random(100, 1)));
        assertTrue(store.exists(ref));
    }

    @Test
    public void s3StoppedIsATemporaryFailureAndWorksAgainAfterARestart() throws Exception {
        byte[] before = random(1000, 7);
        BlobRef stored = store.put(volume.id(), bytes(before));
        s3.stop();
        try {
            assertFalse(s3.running());
            BlobException e = assertThrows(BlobException.class, () -> store.put(volume.id(), bytes(random(10, 8))));
            assertTrue("unreachable S3 is temporary: " + e.getMessage(), e.temporary());
            assertTrue(e.getMessage(), e.getMessage().endsWith("failed: connection refused by 127.0.0.1:" + s3.port));
            assertTrue(assertThrows(BlobException.class, () -> store.open(stored)).temporary());
            assertTrue(assertThrows(BlobException.class, () -> store.exists(stored)).temporary());
            assertTrue(assertThrows(BlobException.class, () -> store.delete(stored)).temporary());
            ProbeReport probe = store.probe(bucket.id());
            assertFalse(probe.ok());
            assertEquals("connection refused by 127.0.0.1:" + s3.port, probe.failure().orElseThrow().detail());
        } finally {
            s3.restart();
        }
        assertArrayEquals("data survives the restart", before, read(stored));
        byte[] after = random(1000, 9);
        assertArrayEquals(after, read(store.put(volume.id(), bytes(after))));
        assertTrue(store.probe(bucket.id()).ok());
    }

    @Test
    public void s3AndLocalVolumesSideBySide() throws Exception {
        Volume local = registry.createVolume("archive", Volume.Kind.SECONDARY, Volume.Type.LOCAL, null, "archive", false);
        byte[] content = random(5000, 11);
        BlobRef onS3 = store.put(volume.id(), bytes(content));
        BlobRef onDisk = store.put(local.id(), bytes(content));
        assertEquals(onS3.sha256(), onDisk.sha256());
        assertEquals("mailstore/blobs/" + onDisk.key(), onS3.key());
        assertTrue(Files.isRegularFile(s3.dir.resolve("local/archive").resolve(onDisk.key())));
        assertArrayEquals(content, read(onDisk));
        assertArrayEquals(content, read(onS3));
    }
}
