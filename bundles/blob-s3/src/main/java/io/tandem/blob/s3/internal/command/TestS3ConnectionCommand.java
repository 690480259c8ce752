package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.ProbeReport;
import io.tandem.api.blob.VolumeRegistry;
import io.tandem.blob.s3.internal.command.completers.BucketIdCompleter;
import org.apache.karaf.shell.api.action.Argument;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Checks a bucket end to end with a probe object (put, stat, get, delete), printing each step with
 * its latency, and the reason of a failure. Fails (non-zero exit) when a step failed.
 */
@Service
@Command(scope = "core", name = "testS3Connection",
        description = "Checks a bucket with a probe object: put, stat, get, delete, each timed; fails when a step fails")
public class TestS3ConnectionCommand extends TandemCommandSupport {

    @Argument(index = 0, name = "bucketId", required = true, description = "Bucket id (core:listBuckets)")
    @Completion(BucketIdCompleter.class)
    String bucketId;

    @Argument(index = 1, name = "options", multiValued = true, description = "--json, also accepted after the bucket id")
    List<String> trailing;

    @Reference
    BlobService blobs;

    @Reference
    VolumeRegistry volumes;

    private BucketConfig bucket;
    private ProbeReport report;

    /** Probes once per command run. */
    private ProbeReport report() {
        if (report == null) {
            if (TrailingOptions.parse(trailing, Set.of("--json"), Set.of()).containsKey("--json")) {
                setJson(true);
            }
            UUID id = Ids.parse("bucket id", bucketId);
            bucket = volumes.bucket(id).orElseThrow(() -> new IllegalArgumentException("no bucket " + id));
            report = blobs.probe(id);
        }
        return report;
    }

    @Override
    public String render() throws Exception {
        report(); // reads a trailing --json first
        return super.render();
    }

    @Override
    public Object execute() throws Exception {
        String out = render();
        System.out.print(out);
        System.out.flush();
        ProbeReport r = report();
        if (!r.ok()) {
            ProbeReport.Step failed = r.failure().orElseThrow();
            throw new IllegalStateException("S3 connection test of bucket " + r.bucketId() + " FAILED at "
                    + failed.name() + ": " + failed.detail());
        }
        return null;
    }

    @Override
    protected Object toJson() {
        ProbeReport r = report();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bucketId", r.bucketId().toString());
        m.put("bucket", bucket.bucket());
        m.put("endpoint", bucket.endpoint());
        m.put("provider", bucket.provider());
        m.put("ok", r.ok());
        m.put("steps", r.steps().stream().map(s -> {
            Map<String, Object> step = new LinkedHashMap<>();
            step.put("name", s.name());
            step.put("ok", s.ok());
            step.put("millis", s.millis());
            step.put("detail", s.detail());
            return step;
        }).toList());
        return m;
    }

    @Override
    protected String text() {
        ProbeReport r = report();
        StringBuilder out = new StringBuilder();
        out.append(String.format("%-6s : %s %s at %s (%s)%n", "bucket", r.bucketId(), bucket.bucket(),
                bucket.endpoint(), bucket.provider()));
        for (ProbeReport.Step s : r.steps()) {
            out.append(String.format("%-6s : %-6s %6d ms  %s%n", s.name(), s.ok() ? "ok" : "FAILED", s.millis(), s.detail()));
        }
        out.append(String.format("%-6s : %s%n", "result", r.ok() ? "OK" : "FAILED"));
        return out.toString();
    }
}
