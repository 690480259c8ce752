package io.tandem.blob.s3.internal;

import io.tandem.api.concurrent.Threads;
import io.minio.GetObjectArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.tandem.api.blob.BucketConfig;
import okhttp3.ConnectionPool;
import okhttp3.OkHttpClient;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * A throughput and latency benchmark of one bucket: for every payload size (doubling from 1 KiB) and every
 * thread count (doubling from the minimum), PUT then GET then DELETE of up to {@code ops} objects, each step
 * bounded by {@code stepSeconds}. Objects go under {@code tandem-bench/<run>/} at the bucket's root and are
 * all removed at the end, also when the run fails or is interrupted.
 *
 * <p>Time to first byte: GET until the first byte of the body arrived; PUT and DELETE until the response
 * (their answer is the first byte). Time to last byte: until the whole body was read (GET) or the response
 * arrived (PUT, DELETE).
 */
public final class S3Bench implements AutoCloseable {

    static final String PREFIX = "tandem-bench/";
    public static final int MIN_SIZE = 1024;

    /** The run's bounds. */
    public record Plan(int maxSize, int minThreads, int maxThreads, int ops, int stepSeconds) {

        public Plan {
            if (maxSize < MIN_SIZE || maxSize > 1 << 30) {
                throw new IllegalArgumentException("--max-size " + maxSize + " must be 1 KiB .. 1 GiB");
            }
            if (minThreads < 1 || maxThreads < minThreads || maxThreads > 256) {
                throw new IllegalArgumentException("--min-threads " + minThreads + " / --max-threads " + maxThreads
                        + " must be 1 <= min <= max <= 256");
            }
            if (ops < 1 || ops > 1_000_000) {
                throw new IllegalArgumentException("--ops " + ops + " must be 1 .. 1000000");
            }
            if (stepSeconds < 1 || stepSeconds > 3600) {
                throw new IllegalArgumentException("--seconds " + stepSeconds + " must be 1 .. 3600");
            }
        }

        /** 1 KiB, 2 KiB ... up to maxSize (included when it is not a power of two). */
        public List<Integer> sizes() {
            List<Integer> out = new ArrayList<>();
            for (long s = MIN_SIZE; s <= maxSize; s *= 2) {
                out.add((int) s);
            }
            if (out.get(out.size() - 1) != maxSize) {
                out.add(maxSize);
            }
            return out;
        }

        /** min, 2·min ... up to maxThreads (included). */
        public List<Integer> threads() {
            List<Integer> out = new ArrayList<>();
            for (int t = minThreads; t <= maxThreads; t *= 2) {
                out.add(t);
            }
            if (out.get(out.size() - 1) != maxThreads) {
                out.add(maxThreads);
            }
            return out;
        }
    }

    /** One step: an operation at one size and thread count. Latencies in milliseconds. */
    public record Step(String op, int size, int threads, int ops, int errors, double seconds, double mbPerSecond,
                       double opsPerSecond, double ttfbAvg, double ttfbP50, double ttfbP99, double ttlbAvg, double ttlbP50,
                       double ttlbP99, String firstError) {
    }

    private final BucketConfig bucket;
    private final OkHttpClient http;
    private final MinioClient client;
    private final String run = UUID.randomUUID().toString();
    private final Set<String> written = ConcurrentHashMap.newKeySet();

    public S3Bench(BucketConfig bucket, int maxThreads, long timeoutMillis) {
        this.bucket = bucket;
        this.http = S3Store.buildWithVendorLoader(() -> new OkHttpClient.Builder()
                .connectTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .readTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .writeTimeout(timeoutMillis, TimeUnit.MILLISECONDS)
                .connectionPool(new ConnectionPool(maxThreads, 1, TimeUnit.MINUTES))
                .build());
        this.client = S3Store.buildWithVendorLoader(() -> {
            MinioClient.Builder b = MinioClient.builder().endpoint(bucket.endpoint())
                    .credentials(bucket.accessKey(), bucket.secretKey()).httpClient(http);
            if (!bucket.region().isEmpty()) {
                b.region(bucket.region());
            }
            return b.build();
        });
    }

    /** The prefix of this run's objects. */
    public String prefix() {
        return PREFIX + run + "/";
    }

    /** Objects written and not removed yet. */
    public int leftOver() {
        return written.size();
    }

    /**
     * Runs the plan; every finished step goes to {@code progress} at once. Stops at the first step in which
     * every operation failed (the rest would fail the same way).
     *
     * @throws InterruptedException interrupted (Ctrl-C): the steps so far are lost, the objects are removed
     */
    public List<Step> run(Plan plan, Consumer<Step> progress) throws InterruptedException {
        List<Step> steps = new ArrayList<>();
        try {
            for (int size : plan.sizes()) {
                byte[] payload = new byte[size];
                new Random(size).nextBytes(payload);
                for (int threads : plan.threads()) {
                    List<String> keys = new ArrayList<>();
                    for (int i = 0; i < plan.ops(); i++) {
                        keys.add(prefix() + size + "-" + threads + "-" + i);
                    }
                    Step put = step("PUT", size, threads, plan, keys, key -> put(key, payload));
                    emit(steps, progress, put);
                    List<String> stored = keys.stream().filter(written::contains).toList();
                    if (stored.isEmpty()) {
                        return steps;
                    }
                    emit(steps, progress, step("GET", size, threads, plan, stored, key -> get(key, size)));
                    emit(steps, progress, step("DELETE", size, threads, plan, stored, this::delete));
                }
            }
            return steps;
        } finally {
            cleanUp();
        }
    }

    private static void emit(List<Step> steps, Consumer<Step> progress, Step s) {
        steps.add(s);
        progress.accept(s);
    }

    @FunctionalInterface
    private interface Op {
        /** Runs the operation; returns the nanoseconds to the first byte. */
        long run(String key) throws Exception;
    }

    private Step step(String name, int size, int threads, Plan plan, List<String> keys, Op op) throws InterruptedException {
        int n = keys.size();
        long[] ttfb = new long[n];
        long[] ttlb = new long[n];
        boolean[] done = new boolean[n];
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>("");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(plan.stepSeconds());
        ExecutorService pool = Executors.newFixedThreadPool(threads, Threads.named("tandem-s3-bench"));
        long start = System.nanoTime();
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                workers.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < n && System.nanoTime() < deadline && !Thread.currentThread().isInterrupted()) {
                        long s0 = System.nanoTime();
                        String key = keys.get(i);
                        try {
                            long first = S3Store.withVendorLoader(() -> op.run(key));
                            ttfb[i] = first - s0;
                            ttlb[i] = System.nanoTime() - s0;
                            done[i] = true;
                        } catch (Exception e) {
                            errors.incrementAndGet();
                            firstError.compareAndSet("", S3Failure.of(e, bucket).reason());
                        }
                    }
                }));
            }
            for (Future<?> w : workers) {
                try {
                    w.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
            awaitWorkers(pool);
        }
        double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        List<Long> first = new ArrayList<>();
        List<Long> last = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            if (done[i]) {
                first.add(ttfb[i]);
                last.add(ttlb[i]);
            }
        }
        int ok = first.size();
        double bytes = name.equals("DELETE") ? 0 : (double) ok * size;
        return new Step(name, size, threads, ok, errors.get(), seconds, bytes / seconds / 1e6, ok / seconds,
                avg(first), pct(first, 50), pct(first, 99), avg(last), pct(last, 50), pct(last, 99), firstError.get());
    }

    /**
     * Waits up to 30 s for the workers to stop, even when this thread is interrupted (Ctrl-C): the objects are
     * removed after the last write has ended, or a write still under way could leave one behind.
     */
    private static void awaitWorkers(ExecutorService pool) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private long put(String key, byte[] payload) throws Exception {
        written.add(key);
        client.putObject(PutObjectArgs.builder().bucket(bucket.bucket()).object(key)
                .stream(new ByteArrayInputStream(payload), payload.length, -1).contentType("application/octet-stream").build());
        return System.nanoTime();
    }

    private long get(String key, int size) throws Exception {
        try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(bucket.bucket()).object(key).build())) {
            byte[] buffer = new byte[64 * 1024];
            int r = in.read(buffer);
            long first = System.nanoTime();
            long total = Math.max(r, 0);
            while (r >= 0) {
                r = in.read(buffer);
                total += Math.max(r, 0);
            }
            if (total != size) {
                throw new IllegalStateException("read " + total + " bytes of " + key + ", expected " + size);
            }
            return first;
        }
    }

    private long delete(String key) throws Exception {
        client.removeObject(RemoveObjectArgs.builder().bucket(bucket.bucket()).object(key).build());
        written.remove(key);
        return System.nanoTime();
    }

    /** Attempts per object when the objects are removed at the end (a connection cut by Ctrl-C fails the first). */
    static final int CLEANUP_ATTEMPTS = 3;

    private volatile String cleanUpError = "";

    /** Why the last object that could not be removed was not ("" when every one was). */
    public String cleanUpError() {
        return cleanUpError;
    }

    /**
     * Removes every object written and not deleted yet, each tried up to {@link #CLEANUP_ATTEMPTS} times (an
     * interrupted operation can leave a pooled connection broken for the next request); runs to its end even
     * when the thread was interrupted.
     */
    void cleanUp() {
        boolean interrupted = Thread.interrupted();
        try {
            for (String key : new ArrayList<>(written)) {
                for (int attempt = 1; attempt <= CLEANUP_ATTEMPTS && written.contains(key); attempt++) {
                    try {
                        S3Store.withVendorLoader(() -> delete(key));
                    } catch (Exception e) {
                        // left for the operator after the last attempt: the prefix is printed with the reason
                        cleanUpError = key + ": " + S3Failure.of(e, bucket).reason();
                    }
                }
            }
            if (written.isEmpty()) {
                cleanUpError = "";
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        cleanUp();
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    private static double avg(List<Long> nanos) {
        return nanos.isEmpty() ? 0 : nanos.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6;
    }

    /** Nearest-rank percentile, milliseconds. */
    static double pct(List<Long> nanos, int p) {
        if (nanos.isEmpty()) {
            return 0;
        }
        long[] sorted = nanos.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e6;
    }

    /**
     * The primary-storage criteria.
     *
     * @param minMbPerSecond   the best PUT and the best GET throughput must reach it
     * @param maxTtfbMillis    the average GET time to first byte (over every GET) must stay below it
     * @param maxDropPercent   stable: for each operation and size, raising the threads never makes ops/s fall
     *                         more than this below the best rate reached with fewer threads
     */
    public record Criteria(double minMbPerSecond, double maxTtfbMillis, double maxDropPercent) {
        public static final Criteria PRIMARY_STORAGE = new Criteria(100, 50, 10);
    }

    /** The verdict and its reasons, one per criterion. */
    public record Verdict(boolean pass, List<String> reasons) {
    }

    public static Verdict verdict(List<Step> steps, Criteria c) {
        List<String> reasons = new ArrayList<>();
        boolean pass = true;
        for (String op : List.of("PUT", "GET")) {
            double best = steps.stream().filter(s -> s.op().equals(op)).mapToDouble(Step::mbPerSecond).max().orElse(0);
            boolean ok = best >= c.minMbPerSecond();
            pass &= ok;
            reasons.add(String.format(Locale.ROOT, "%s peak %.1f MB/s %s %.0f MB/s", op, best, ok ? ">=" : "<", c.minMbPerSecond()));
        }
        double weighted = 0;
        long count = 0;
        for (Step s : steps) {
            if (s.op().equals("GET")) {
                weighted += s.ttfbAvg() * s.ops();
                count += s.ops();
            }
        }
        double ttfb = count == 0 ? Double.NaN : weighted / count;
        boolean latency = count > 0 && ttfb < c.maxTtfbMillis();
        pass &= latency;
        reasons.add(String.format(Locale.ROOT, "GET average TTFB %.1f ms %s %.0f ms", ttfb, latency ? "<" : ">=", c.maxTtfbMillis()));
        List<String> unstable = new ArrayList<>();
        int errors = 0;
        for (Step s : steps) {
            errors += s.errors();
            double bestBefore = steps.stream().filter(o -> o.op().equals(s.op()) && o.size() == s.size() && o.threads() < s.threads())
                    .mapToDouble(Step::opsPerSecond).max().orElse(0);
            if (bestBefore > 0 && s.opsPerSecond() < bestBefore * (1 - c.maxDropPercent() / 100)) {
                unstable.add(String.format(Locale.ROOT, "%s %s x%d: %.0f ops/s after %.0f", s.op(), size(s.size()), s.threads(),
                        s.opsPerSecond(), bestBefore));
            }
        }
        boolean stable = unstable.isEmpty() && errors == 0;
        pass &= stable;
        reasons.add(stable ? "stable as threads increase" : "unstable: " + (errors > 0 ? errors + " failed operations" : "")
                + (errors > 0 && !unstable.isEmpty() ? "; " : "") + String.join("; ", unstable));
        return new Verdict(pass, reasons);
    }

    /** {@code 1 KiB}, {@code 64 KiB}, {@code 4 MiB}. */
    public static String size(long bytes) {
        if (bytes % (1024 * 1024) == 0) {
            return bytes / (1024 * 1024) + " MiB";
        }
        return bytes % 1024 == 0 ? bytes / 1024 + " KiB" : bytes + " B";
    }

    /** Parses {@code 4096}, {@code 64K}, {@code 64KiB}, {@code 4M}, {@code 4MiB}. */
    public static int parseSize(String text) {
        String t = text == null ? "" : text.trim().toUpperCase(Locale.ROOT).replace("IB", "").replace("B", "");
        long unit = 1;
        if (t.endsWith("K")) {
            unit = 1024;
        } else if (t.endsWith("M")) {
            unit = 1024 * 1024;
        } else if (t.endsWith("G")) {
            unit = 1024L * 1024 * 1024;
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        try {
            long v = Long.parseLong(digits.trim()) * unit;
            if (v > Integer.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return (int) v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + text + "' is not a size such as 4096, 64K or 4M");
        }
    }
}
