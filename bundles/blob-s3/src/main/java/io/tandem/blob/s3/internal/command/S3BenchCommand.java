package io.tandem.blob.s3.internal.command;

import io.tandem.api.audit.Audit;
import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.VolumeRegistry;
import io.tandem.blob.s3.internal.S3Bench;
import io.tandem.blob.s3.internal.command.completers.BucketIdCompleter;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * {@code s3:bench}: throughput and latency of a bucket for sizes doubling from 1 KiB and threads doubling from
 * {@code --min-threads}; a line per step as it finishes, then the table (or {@code --csv}, progress and verdict
 * then as {@code #} comment lines, so that they reach {@code bin/tandem}, which shows only standard output) and the verdict
 * against the primary-storage criteria. Its objects are removed at the end, also after a failure or Ctrl-C.
 */
@Service
@Command(scope = "s3", name = "bench",
        description = "Benchmarks a bucket (PUT/GET/DELETE, sizes x threads): MB/s, ops/s, TTFB and TTLB; verdict against the primary-storage criteria")
public class S3BenchCommand implements Action {

    @Argument(index = 0, name = "bucketId", description = "A configured bucket (core:listBuckets); or give --endpoint and the keys")
    @Completion(BucketIdCompleter.class)
    String bucketId;

    @Option(name = "--endpoint", description = "http(s)://host[:port] of a bucket that is not configured")
    String endpoint;

    @Option(name = "--bucket-name", description = "The bucket's name at --endpoint")
    String bucketName;

    @Option(name = "--access-key", description = "Access key at --endpoint")
    String accessKey;

    @Option(name = "--secret-key", description = "Secret key at --endpoint (never printed nor logged)")
    String secretKey;

    @Option(name = "--region", description = "Signing region at --endpoint; default: ask the endpoint")
    String region;

    @Option(name = "--max-size", description = "Largest payload (sizes double from 1 KiB): bytes, or 64K, 4M ...")
    String maxSize = "1M";

    @Option(name = "--min-threads", description = "Threads of the first step (doubled up to --max-threads)")
    int minThreads = 1;

    @Option(name = "--max-threads", description = "Threads of the last step")
    int maxThreads = 8;

    @Option(name = "--ops", description = "Operations per step and operation (at most)")
    int ops = 100;

    @Option(name = "--seconds", description = "Longest duration of a step, seconds")
    int seconds = 10;

    @Option(name = "--timeout-ms", description = "Connect and read timeout of each request, milliseconds")
    long timeoutMillis = 30000;

    @Option(name = "--csv", description = "Print the results as CSV (progress and verdict as comment lines starting with '#')")
    boolean csv;

    @Reference
    VolumeRegistry volumes;

    /** Where progress goes (tests capture it). */
    PrintStream progressOut;
    PrintStream out;

    static final String ACTION = "s3:bench";

    @Override
    public Object execute() throws Exception {
        PrintStream o = out != null ? out : System.out;
        PrintStream progress = progressOut != null ? progressOut : o;
        String mark = csv ? "# " : "";
        BucketConfig bucket = target();
        S3Bench.Plan plan = new S3Bench.Plan(S3Bench.parseSize(maxSize), minThreads, maxThreads, ops, seconds);
        if (timeoutMillis < 100) {
            throw new IllegalArgumentException("--timeout-ms " + timeoutMillis + " must be >= 100");
        }
        Thread thread = Thread.currentThread();
        String previousName = thread.getName();
        thread.setName("pipe-" + ACTION + " " + bucket.bucket() + " ...");
        List<S3Bench.Step> steps;
        try (S3Bench bench = new S3Bench(bucket, maxThreads, timeoutMillis)) {
            progress.printf(mark + "Benchmark of bucket %s at %s: sizes %s, threads %s, at most %d ops or %d s per step; objects under %s%n",
                    bucket.bucket(), bucket.endpoint(), plan.sizes().stream().map(S3Bench::size).toList(), plan.threads(), ops, seconds,
                    bench.prefix());
            progress.flush();
            try {
                steps = bench.run(plan, s -> {
                    progress.println(mark + progressLine(s));
                    progress.flush();
                });
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                Audit.done(ACTION, "bucket " + bucket.bucket(), bench.leftOver() == 0 ? "interrupted; objects removed"
                        : "interrupted; " + bench.leftOver() + " objects left under " + bench.prefix());
                progress.println(mark + "Interrupted: " + (bench.leftOver() == 0 ? "every benchmark object removed"
                        : bench.leftOver() + " objects could not be removed under " + bench.prefix() + " (" + bench.cleanUpError() + ")"));
                return null;
            }
        } finally {
            thread.setName(previousName);
        }
        S3Bench.Verdict v = S3Bench.verdict(steps, S3Bench.Criteria.PRIMARY_STORAGE);
        String verdict = "Verdict: " + (v.pass() ? "PASS" : "FAIL") + " for primary storage (" + String.join("; ", v.reasons()) + ")";
        if (csv) {
            o.print(csv(steps));
            o.println(mark + verdict);
        } else {
            o.print(table(steps));
            o.println(verdict);
        }
        o.flush();
        Audit.done(ACTION, "bucket " + bucket.bucket() + " at " + bucket.endpoint(), steps.size() + " steps, verdict "
                + (v.pass() ? "PASS" : "FAIL"));
        S3Bench.Step failedAll = steps.stream().filter(s -> s.ops() == 0).findFirst().orElse(null);
        if (failedAll != null) {
            throw new IllegalStateException("s3:bench: every " + failedAll.op() + " of " + S3Bench.size(failedAll.size())
                    + " failed: " + failedAll.firstError());
        }
        return null;
    }

    private BucketConfig target() {
        boolean direct = endpoint != null || bucketName != null || accessKey != null || secretKey != null;
        if (bucketId != null && direct) {
            throw new IllegalArgumentException("give either a bucket id or --endpoint with --bucket-name, --access-key and --secret-key, not both");
        }
        if (bucketId != null) {
            UUID id = Ids.parse("bucket id", bucketId);
            return volumes.bucket(id).orElseThrow(() -> new IllegalArgumentException("no bucket " + id + " (core:listBuckets)"));
        }
        if (endpoint == null || bucketName == null || accessKey == null || secretKey == null) {
            throw new IllegalArgumentException("give a bucket id, or --endpoint, --bucket-name, --access-key and --secret-key");
        }
        if (!endpoint.matches("https?://[^/\\s]+/?")) {
            throw new IllegalArgumentException("--endpoint '" + endpoint + "' is not http(s)://host[:port]");
        }
        return new BucketConfig(UUID.randomUUID(), "bench", endpoint.replaceAll("/$", ""), bucketName, region, accessKey, secretKey);
    }

    static String progressLine(S3Bench.Step s) {
        return String.format(Locale.ROOT, "  %-6s %7s x%-3d %6d ops %8.1f MB/s %8.1f ops/s  TTFB avg %.1f ms  TTLB p99 %.1f ms%s",
                s.op(), S3Bench.size(s.size()), s.threads(), s.ops(), s.mbPerSecond(), s.opsPerSecond(), s.ttfbAvg(), s.ttlbP99(),
                s.errors() == 0 ? "" : "  " + s.errors() + " failed: " + s.firstError());
    }

    static String table(List<S3Bench.Step> steps) {
        StringBuilder b = new StringBuilder();
        b.append(String.format("%-6s %8s %7s %6s %6s %9s %9s %27s %27s%n", "op", "size", "threads", "ops", "errors", "MB/s", "ops/s",
                "TTFB ms avg / p50 / p99", "TTLB ms avg / p50 / p99"));
        for (S3Bench.Step s : steps) {
            b.append(String.format(Locale.ROOT, "%-6s %8s %7d %6d %6d %9.1f %9.1f %27s %27s%n", s.op(), S3Bench.size(s.size()), s.threads(),
                    s.ops(), s.errors(), s.mbPerSecond(), s.opsPerSecond(), triple(s.ttfbAvg(), s.ttfbP50(), s.ttfbP99()),
                    triple(s.ttlbAvg(), s.ttlbP50(), s.ttlbP99())));
        }
        return b.toString();
    }

    private static String triple(double a, double b, double c) {
        return String.format(Locale.ROOT, "%.2f / %.2f / %.2f", a, b, c);
    }

    static final String CSV_HEADER = "op,size_bytes,threads,ops,errors,seconds,mb_per_s,ops_per_s,ttfb_avg_ms,ttfb_p50_ms,ttfb_p99_ms,"
            + "ttlb_avg_ms,ttlb_p50_ms,ttlb_p99_ms";

    static String csv(List<S3Bench.Step> steps) {
        List<String> lines = new ArrayList<>();
        lines.add(CSV_HEADER);
        for (S3Bench.Step s : steps) {
            lines.add(String.format(Locale.ROOT, "%s,%d,%d,%d,%d,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f", s.op(), s.size(), s.threads(),
                    s.ops(), s.errors(), s.seconds(), s.mbPerSecond(), s.opsPerSecond(), s.ttfbAvg(), s.ttfbP50(), s.ttfbP99(),
                    s.ttlbAvg(), s.ttlbP50(), s.ttlbP99()));
        }
        return String.join("\n", lines) + "\n";
    }
}
