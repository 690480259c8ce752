package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.Volume;
import io.tandem.api.test.VolumeRegistryAdapter;
import org.junit.Test;

import java.util.List;
import java.util.UUID;

import static io.tandem.blob.s3.internal.command.CommandOutput.rows;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class BucketCommandsTest {

    static final UUID B1 = UUID.fromString("5f0c2a9e-3b1d-4c8e-9a57-1d2e3f4a5b6c");
    static final UUID B2 = UUID.fromString("7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
    static final String SECRET = "Zr9vQ2mK8xT4pL6nW1sJ5dH3fG7bC0aE";

    private final VolumeRegistryAdapter registry = new VolumeRegistryAdapter();

    private DoCreateBucketCommand create(String provider, String bucket, String access, String secret, String endpoint) {
        DoCreateBucketCommand c = new DoCreateBucketCommand();
        c.volumes = registry;
        c.provider = provider;
        c.bucketName = bucket;
        c.accessKey = access;
        c.secretKey = secret;
        c.endpoint = endpoint;
        return c;
    }

    @Test
    public void doCreateBucketPrintsTheNewId() {
        registry.nextIds(B1);
        DoCreateBucketCommand c = create("MinIO", "mail-blobs", "tandemadmin", SECRET, "http://127.0.0.1:9000");
        c.region = "us-east-1";
        assertEquals(B1 + "\n", c.render());
        assertEquals(new BucketConfig(B1, "MinIO", "http://127.0.0.1:9000", "mail-blobs", "us-east-1", "tandemadmin", SECRET),
                registry.bucket(B1).orElseThrow());
    }

    @Test
    public void regionMayFollowTheArgumentsAsInTheSeedGrammar() {
        registry.nextIds(B1, B2);
        DoCreateBucketCommand c = create("MinIO", "mail-blobs", "tandemadmin", SECRET, "http://127.0.0.1:9000");
        c.trailing = List.of("--region", "eu-west-1");
        assertEquals(B1 + "\n", c.render());
        assertEquals("eu-west-1", registry.bucket(B1).orElseThrow().region());

        DoCreateBucketCommand bad = create("MinIO", "other", "tandemadmin", SECRET, "http://127.0.0.1:9000");
        bad.trailing = List.of("--regoin", "eu-west-1");
        assertEquals("core:doCreateBucket refused: unexpected argument '--regoin' (options here: --region)",
                assertThrows(IllegalArgumentException.class, bad::render).getMessage());
        bad.trailing = List.of("--region");
        assertEquals("core:doCreateBucket refused: --region needs a value",
                assertThrows(IllegalArgumentException.class, bad::render).getMessage());
        assertEquals(1, registry.buckets().size());
    }

    @Test
    public void theSecretIsNotInTheThreadNameWhileTheCommandRuns() throws Exception {
        // Karaf names the session thread after the command line; log lines print thread names
        List<String> seen = new java.util.ArrayList<>();
        VolumeRegistryAdapter spying = new VolumeRegistryAdapter() {
            @Override
            public BucketConfig createBucket(String provider, String endpoint, String bucket, String region,
                                             String accessKey, String secretKey) {
                seen.add(Thread.currentThread().getName());
                return super.createBucket(provider, endpoint, bucket, region, accessKey, secretKey);
            }
        };
        DoCreateBucketCommand c = create("MinIO", "mail-blobs", "tandemadmin", SECRET, "http://127.0.0.1:9000");
        c.volumes = spying;
        String original = "pipe-core:doCreateBucket MinIO mail-blobs tandemadmin " + SECRET + " http://127.0.0.1:9000";
        Thread t = new Thread(() -> {
            try {
                java.io.PrintStream out = System.out;
                System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
                try {
                    c.execute();
                } finally {
                    System.setOut(out);
                }
            } catch (Exception e) {
                seen.add("failed: " + e);
            }
            seen.add(Thread.currentThread().getName());
        }, original);
        t.start();
        t.join(10_000);
        assertEquals(List.of("pipe-core:doCreateBucket MinIO mail-blobs tand**** **** ...", original), seen);
    }

    @Test
    public void doCreateBucketRefusesBadValuesWithoutEchoingTheSecret() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> create("MinIO", "Mail_Blobs", "tandemadmin", SECRET, "http://127.0.0.1:9000").render());
        assertTrue(e.getMessage(), e.getMessage().startsWith("core:doCreateBucket refused: bucket name 'Mail_Blobs' is not a valid S3 bucket name"));
        e = assertThrows(IllegalArgumentException.class,
                () -> create("MinIO", "mail", "tandemadmin", "with blank", "http://127.0.0.1:9000").render());
        assertEquals("core:doCreateBucket refused: secret key must be 1-128 characters without blanks", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> create("MinIO", "mail", "tandemadmin", SECRET, "http://tandemadmin:" + SECRET + "@127.0.0.1:9000").render());
        assertFalse(e.getMessage(), e.getMessage().contains(SECRET));
        assertEquals(List.of(), registry.buckets());
    }

    private void twoBuckets() {
        registry.nextIds(B1, B2);
        registry.createBucket("MinIO", "http://127.0.0.1:9000", "mail-blobs", "us-east-1", "tandemadmin", SECRET);
        registry.createBucket("S3", "https://s3.eu-west-1.amazonaws.com", "acme-mail", "", "AKIAIOSFODNN7EXAMPLE", SECRET);
        registry.nextIds(UUID.fromString("00000000-0000-0000-0000-00000000000a"));
        registry.createVolume("store1", Volume.Kind.PRIMARY, Volume.Type.S3, B1, "mailstore/blobs", true);
    }

    private ListBucketsCommand list() {
        ListBucketsCommand c = new ListBucketsCommand();
        c.volumes = registry;
        return c;
    }

    @Test
    public void listBucketsMasksAccessKeysAndNeverShowsSecrets() throws Exception {
        twoBuckets();
        ListBucketsCommand c = list();
        c.setNoFormat(true);
        String out = c.render();
        assertEquals(List.of(
                List.of(B1.toString(), "MinIO", "http://127.0.0.1:9000", "mail-blobs", "us-east-1", "tand****", "store1"),
                List.of(B2.toString(), "S3", "https://s3.eu-west-1.amazonaws.com", "acme-mail", "-", "AKIA****", "-")),
                rows(out));
        c.setNoFormat(false);
        out = c.render();
        assertTrue(out, out.lines().findFirst().orElseThrow().matches(
                "Id +\\| Provider \\| Endpoint +\\| Bucket +\\| Region +\\| Access key \\| Volumes"));
        assertFalse(out, out.contains(SECRET));
        c.setJson(true);
        out = c.render();
        assertFalse(out, out.contains(SECRET));
        assertFalse(out, out.contains("tandemadmin"));
        assertTrue(out, out.startsWith(String.join("\n",
                "[",
                "  {",
                "    \"id\": \"" + B1 + "\",",
                "    \"provider\": \"MinIO\",",
                "    \"endpoint\": \"http://127.0.0.1:9000\",",
                "    \"bucket\": \"mail-blobs\",",
                "    \"region\": \"us-east-1\",",
                "    \"accessKey\": \"tand****\",",
                "    \"volumes\": [",
                "      \"store1\"",
                "    ]",
                "  },")));
    }

    @Test
    public void listBucketsWhenThereIsNone() throws Exception {
        ListBucketsCommand c = list();
        assertTrue(c.render().contains("no bucket registered (core:doCreateBucket)"));
        c.setNoFormat(true);
        assertEquals("", c.render());
        c.setJson(true);
        assertEquals("[]\n", c.render());
    }

    private DeleteBucketCommand delete(String id) {
        DeleteBucketCommand c = new DeleteBucketCommand();
        c.volumes = registry;
        c.bucketId = id;
        return c;
    }

    @Test
    public void deleteBucket() {
        twoBuckets();
        assertEquals("Bucket " + B2 + " (acme-mail at https://s3.eu-west-1.amazonaws.com) deleted\n", delete(B2.toString()).render());
        assertEquals(1, registry.buckets().size());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> delete(B1.toString()).render());
        assertEquals("core:deleteBucket refused: bucket " + B1 + " (mail-blobs) is used by volume store1: delete them first", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> delete(B2.toString()).render());
        assertEquals("core:deleteBucket refused: no bucket " + B2, e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> delete("mail-blobs").render());
        assertTrue(e.getMessage(), e.getMessage().startsWith("core:deleteBucket refused: 'mail-blobs' is not a bucket id (a UUID"));
        assertEquals(1, registry.buckets().size());
    }
}
