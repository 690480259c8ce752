package io.tandem.blob.s3.internal.command;

import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.tandem.api.blob.BucketConfig;
import io.tandem.api.test.S3ProxyFixture;
import io.tandem.api.test.VolumeRegistryAdapter;
import io.tandem.blob.s3.internal.S3Bench;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** s3:bench against a real S3 API (S3Proxy, SigV4) started by scripts/infra/s3proxy.sh. */
public class S3BenchIT {

    private static S3ProxyFixture s3;
    private static MinioClient admin;
    private static VolumeRegistryAdapter registry;
    private static BucketConfig bucket;

    @BeforeClass
    public static void startS3() throws Exception {
        s3 = S3ProxyFixture.start("s3proxy-bench");
        admin = MinioClient.builder().endpoint(s3.endpoint).credentials(s3.accessKey, s3.secretKey).build();
        admin.makeBucket(MakeBucketArgs.builder().bucket("bench").build());
        registry = new VolumeRegistryAdapter();
        bucket = registry.createBucket("S3Proxy", s3.endpoint, "bench", "us-east-1", s3.accessKey, s3.secretKey);
    }

    @AfterClass
    public static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    private static List<String> objects() throws Exception {
        List<String> out = new ArrayList<>();
        for (var r : admin.listObjects(ListObjectsArgs.builder().bucket("bench").recursive(true).build())) {
            out.add(r.get().objectName());
        }
        return out;
    }

    private static final class Run {
        final S3BenchCommand command = new S3BenchCommand();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream progress = new ByteArrayOutputStream();

        Run() {
            command.volumes = registry;
            command.out = new PrintStream(out, true, StandardCharsets.UTF_8);
            command.progressOut = new PrintStream(progress, true, StandardCharsets.UTF_8);
        }

        String out() {
            return out.toString(StandardCharsets.UTF_8);
        }

        String progress() {
            return progress.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    public void aConfiguredBucketGivesEveryStepAsCsvAVerdictAndLeavesNothingBehind() throws Exception {
        Run run = new Run();
        run.command.bucketId = bucket.id().toString();
        run.command.maxSize = "4K";
        run.command.minThreads = 1;
        run.command.maxThreads = 2;
        run.command.ops = 6;
        run.command.csv = true;
        run.command.execute();
        List<String> lines = run.out().lines().filter(l -> !l.startsWith("#")).toList();
        assertEquals(S3BenchCommand.CSV_HEADER, lines.get(0));
        // sizes 1, 2, 4 KiB x threads 1, 2 x PUT, GET, DELETE
        assertEquals(run.out(), 1 + 3 * 2 * 3, lines.size());
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            assertEquals(line, 14, f.length);
            assertEquals("every operation done: " + line, "6", f[3]);
            assertEquals("no error: " + line, "0", f[4]);
            assertTrue(line, Double.parseDouble(f[7]) > 0);
            assertTrue("TTFB <= TTLB: " + line, Double.parseDouble(f[8]) <= Double.parseDouble(f[11]) + 1e-9);
        }
        assertEquals("PUT,4096,2", lines.get(lines.size() - 3).substring(0, 10));
        assertTrue("progress, one line per step: " + run.progress(), run.progress().lines().filter(l -> l.startsWith("#   ")).count() == 18);
        String verdict = run.out().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(verdict, verdict.startsWith("# Verdict: "));
        assertTrue(verdict, verdict.contains("GET average TTFB"));
        assertEquals("the bench removed its objects", List.of(), objects());
    }

    @Test
    public void anEndpointWithKeysIsBenchmarkedAsATable() throws Exception {
        Run run = new Run();
        run.command.endpoint = s3.endpoint;
        run.command.bucketName = "bench";
        run.command.accessKey = s3.accessKey;
        run.command.secretKey = s3.secretKey;
        run.command.maxSize = "1K";
        run.command.maxThreads = 1;
        run.command.ops = 3;
        run.command.execute();
        assertTrue(run.out(), run.out().startsWith("op "));
        assertTrue(run.out(), run.out().contains("TTFB ms avg / p50 / p99"));
        assertEquals(run.out(), 1 + 3 + 1, run.out().lines().count());
        assertTrue(run.out(), run.out().lines().reduce((a, b) -> b).orElseThrow().startsWith("Verdict: "));
        assertEquals(List.of(), objects());
    }

    @Test
    public void anInterruptedRunRemovesItsObjects() throws Exception {
        Run run = new Run();
        run.command.bucketId = bucket.id().toString();
        run.command.maxSize = "64K";
        run.command.maxThreads = 4;
        run.command.ops = 200;
        CountDownLatch firstStep = new CountDownLatch(1);
        run.command.progressOut = new PrintStream(run.progress, true, StandardCharsets.UTF_8) {
            @Override
            public void println(String x) {
                super.println(x);
                if (x.startsWith("  PUT")) {
                    firstStep.countDown();
                }
            }
        };
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                run.command.execute();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        assertTrue("a first step within 60 s", firstStep.await(60, TimeUnit.SECONDS));
        t.interrupt(); // what Ctrl-C does to a command
        t.join(60_000);
        assertFalse("stopped", t.isAlive());
        assertEquals(null, failure.get());
        assertTrue(run.progress(), run.progress().contains("Interrupted: every benchmark object removed"));
        assertEquals(List.of(), objects());
    }

    @Test
    public void badInputIsRefusedNamingTheValue() {
        Run run = new Run();
        run.command.bucketId = "not-a-uuid";
        assertTrue(assertThrows(IllegalArgumentException.class, run.command::execute).getMessage().contains("'not-a-uuid'"));
        Run sizes = new Run();
        sizes.command.bucketId = bucket.id().toString();
        sizes.command.maxSize = "12X";
        assertTrue(assertThrows(IllegalArgumentException.class, sizes.command::execute).getMessage().contains("'12X'"));
        Run threads = new Run();
        threads.command.bucketId = bucket.id().toString();
        threads.command.minThreads = 4;
        threads.command.maxThreads = 2;
        assertTrue(assertThrows(IllegalArgumentException.class, threads.command::execute).getMessage().contains("--min-threads 4"));
        Run both = new Run();
        both.command.bucketId = bucket.id().toString();
        both.command.endpoint = s3.endpoint;
        assertTrue(assertThrows(IllegalArgumentException.class, both.command::execute).getMessage().contains("not both"));
    }

    @Test
    public void aBucketThatRefusesTheKeysFailsWithTheReason() {
        Run run = new Run();
        run.command.endpoint = s3.endpoint;
        run.command.bucketName = "bench";
        run.command.accessKey = s3.accessKey;
        run.command.secretKey = "wrong-secret";
        run.command.maxSize = "1K";
        run.command.maxThreads = 1;
        run.command.ops = 2;
        IllegalStateException e = assertThrows(IllegalStateException.class, run.command::execute);
        assertTrue(e.getMessage(), e.getMessage().contains("every PUT of 1 KiB failed"));
    }

    @Test
    public void theVerdictAppliesThePrimaryStorageCriteria() {
        S3Bench.Step fastPut1 = step("PUT", 1, 400, 200, 2);
        S3Bench.Step fastPut2 = step("PUT", 2, 600, 300, 2);
        S3Bench.Step fastGet1 = step("GET", 1, 500, 250, 3);
        S3Bench.Step fastGet2 = step("GET", 2, 800, 400, 5);
        S3Bench.Verdict ok = S3Bench.verdict(List.of(fastPut1, fastGet1, fastPut2, fastGet2), S3Bench.Criteria.PRIMARY_STORAGE);
        assertTrue(ok.reasons().toString(), ok.pass());
        assertEquals("stable as threads increase", ok.reasons().get(3));
        S3Bench.Step slowerWithMoreThreads = step("GET", 2, 400, 200, 5); // 200 ops/s after 250: -20 %
        S3Bench.Verdict unstable = S3Bench.verdict(List.of(fastPut1, fastGet1, fastPut2, slowerWithMoreThreads), S3Bench.Criteria.PRIMARY_STORAGE);
        assertFalse(unstable.pass());
        assertTrue(unstable.reasons().get(3), unstable.reasons().get(3).startsWith("unstable: GET 1 MiB x2: 200 ops/s after 250"));
        S3Bench.Step slowFirstByte = step("GET", 2, 800, 400, 120);
        S3Bench.Verdict latency = S3Bench.verdict(List.of(fastPut1, fastGet1, fastPut2, slowFirstByte), S3Bench.Criteria.PRIMARY_STORAGE);
        assertFalse(latency.pass());
        assertTrue(latency.reasons().get(2), latency.reasons().get(2).contains(">= 50 ms"));
    }

    private static S3Bench.Step step(String op, int threads, double mbPerSecond, double opsPerSecond, double ttfb) {
        return new S3Bench.Step(op, 1024 * 1024, threads, 100, 0, 1, mbPerSecond, opsPerSecond, ttfb, ttfb, ttfb, ttfb * 2,
                ttfb * 2, ttfb * 3, "");
    }
}
