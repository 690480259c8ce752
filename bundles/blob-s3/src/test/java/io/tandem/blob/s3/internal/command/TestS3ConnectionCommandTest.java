package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.ProbeReport;
import io.tandem.api.test.MemoryBlobService;
import io.tandem.api.test.VolumeRegistryAdapter;
import org.junit.Before;
import org.junit.Test;

import java.util.List;
import java.util.UUID;

import static io.tandem.blob.s3.internal.command.BucketCommandsTest.B1;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class TestS3ConnectionCommandTest {

    private final VolumeRegistryAdapter registry = new VolumeRegistryAdapter();
    private ProbeReport next;
    private int probes;

    /** The contract-tested in-memory service, with the report of the next probe chosen by the test. */
    private final BlobService blobs = new MemoryBlobService(registry) {
        @Override
        public ProbeReport probe(UUID bucketId) {
            super.probe(bucketId); // an unknown bucket is refused as by the real service
            probes++;
            return next;
        }
    };

    @Before
    public void setUp() {
        registry.nextIds(B1).createBucket("MinIO", "http://127.0.0.1:9000", "mail-blobs", "", "tandemadmin", "secret");
    }

    private TestS3ConnectionCommand command() {
        TestS3ConnectionCommand c = new TestS3ConnectionCommand();
        c.blobs = blobs;
        c.volumes = registry;
        c.bucketId = B1.toString();
        return c;
    }

    @Test
    public void printsEveryStepWithItsLatency() throws Exception {
        next = ProbeReport.of(B1, List.of(
                new ProbeReport.Step("put", true, 12, "67 bytes written to tandem-probe/x"),
                new ProbeReport.Step("stat", true, 3, "size 67"),
                new ProbeReport.Step("get", true, 4, "content verified"),
                new ProbeReport.Step("delete", true, 2, "removed")));
        TestS3ConnectionCommand c = command();
        assertEquals(String.join("\n",
                "bucket : " + B1 + " mail-blobs at http://127.0.0.1:9000 (MinIO)",
                "put    : ok         12 ms  67 bytes written to tandem-probe/x",
                "stat   : ok          3 ms  size 67",
                "get    : ok          4 ms  content verified",
                "delete : ok          2 ms  removed",
                "result : OK",
                ""), c.render());
        c.execute(); // does not throw
        assertEquals("probed once per run", 1, probes);
    }

    @Test
    public void aFailedStepFailsTheCommandWithItsReason() throws Exception {
        next = ProbeReport.of(B1, List.of(
                new ProbeReport.Step("put", false, 8, "access denied (wrong credentials: the secret key does not match the access key tand****)")));
        TestS3ConnectionCommand c = command();
        String out = c.render();
        assertTrue(out, out.contains("put    : FAILED      8 ms  access denied (wrong credentials"));
        assertTrue(out, out.endsWith("result : FAILED\n"));
        IllegalStateException e = assertThrows(IllegalStateException.class, c::execute);
        assertEquals("S3 connection test of bucket " + B1 + " FAILED at put: access denied (wrong credentials: "
                + "the secret key does not match the access key tand****)", e.getMessage());
    }

    @Test
    public void json() throws Exception {
        next = ProbeReport.of(B1, List.of(new ProbeReport.Step("put", false, 1, "connection refused by 127.0.0.1:9000")));
        TestS3ConnectionCommand c = command();
        c.setJson(true);
        assertEquals(String.join("\n",
                "{",
                "  \"bucketId\": \"" + B1 + "\",",
                "  \"bucket\": \"mail-blobs\",",
                "  \"endpoint\": \"http://127.0.0.1:9000\",",
                "  \"provider\": \"MinIO\",",
                "  \"ok\": false,",
                "  \"steps\": [",
                "    {",
                "      \"name\": \"put\",",
                "      \"ok\": false,",
                "      \"millis\": 1,",
                "      \"detail\": \"connection refused by 127.0.0.1:9000\"",
                "    }",
                "  ]",
                "}",
                ""), c.render());
    }

    @Test
    public void jsonMayFollowTheBucketId() throws Exception {
        next = ProbeReport.of(B1, List.of(new ProbeReport.Step("put", true, 1, "x")));
        TestS3ConnectionCommand c = command();
        c.trailing = List.of("--json");
        assertTrue(c.render().startsWith("{\n  \"bucketId\": \"" + B1 + "\","));
    }

    @Test
    public void unknownBucket() {
        TestS3ConnectionCommand c = command();
        c.bucketId = UUID.fromString("00000000-0000-0000-0000-000000000999").toString();
        assertEquals("no bucket 00000000-0000-0000-0000-000000000999",
                assertThrows(IllegalArgumentException.class, c::render).getMessage());
        c.bucketId = "nope";
        assertTrue(assertThrows(IllegalArgumentException.class, c::render).getMessage().startsWith("'nope' is not a bucket id"));
        assertEquals(0, probes);
    }
}
