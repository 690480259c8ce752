package io.tandem.bench;

import io.minio.MinioClient;
import io.minio.PutObjectArgs;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Same load, two targets, one run: N distinct 10 KiB objects PUT straight to S3 with the MinIO client,
 * then N distinct 10 KiB messages delivered over LMTP (one connection per thread) to a Mailstore whose
 * current primary volume is a bucket on the same S3 server. Prints both rates and their ratio.
 *
 * Arguments: s3Endpoint accessKey secretKey bucket lmtpHost lmtpPort recipient messages threads sizeBytes rounds
 */
public final class LmtpDeliveryBench {

    public static void main(String[] a) throws Exception {
        String endpoint = a[0], access = a[1], secret = a[2], bucket = a[3], host = a[4];
        int port = Integer.parseInt(a[5]);
        String recipient = a[6];
        int messages = Integer.parseInt(a[7]), threads = Integer.parseInt(a[8]), size = Integer.parseInt(a[9]);
        int rounds = Integer.parseInt(a[10]);
        MinioClient s3 = MinioClient.builder().endpoint(endpoint).credentials(access, secret).build();

        // warm-up of both paths (JIT, connections), not measured
        s3Puts(s3, bucket, 50, threads, size, "warm");
        lmtp(host, port, recipient, 50, threads, size, "warm");

        System.out.println("round,s3_put_per_s,lmtp_delivered_per_s,ratio");
        List<double[]> results = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            double put = s3Puts(s3, bucket, messages, threads, size, "r" + r);
            double lmtp = lmtp(host, port, recipient, messages, threads, size, "r" + r);
            results.add(new double[] {put, lmtp});
            System.out.printf("%d,%.1f,%.1f,%.3f%n", r, put, lmtp, lmtp / put);
        }
        double[] puts = results.stream().mapToDouble(x -> x[0]).sorted().toArray();
        double[] lmtps = results.stream().mapToDouble(x -> x[1]).sorted().toArray();
        double[] ratios = results.stream().mapToDouble(x -> x[1] / x[0]).sorted().toArray();
        System.out.printf("median,%.1f,%.1f,%.3f%n", puts[puts.length / 2], lmtps[lmtps.length / 2], ratios[ratios.length / 2]);
    }

    private static byte[] payload(Random random, int size, String tag) {
        byte[] body = new byte[size];
        for (int i = 0; i < size; i++) {
            body[i] = (byte) ('a' + random.nextInt(26));
        }
        byte[] t = tag.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, body, 0, Math.min(t.length, size));
        for (int i = 76; i < size; i += 78) { // lines of 76 characters
            body[i] = '\r';
            if (i + 1 < size) {
                body[i + 1] = '\n';
            }
        }
        return body;
    }

    private static double s3Puts(MinioClient s3, String bucket, int n, int threads, int size, String tag) throws Exception {
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        List<Future<?>> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int seed = t;
            all.add(pool.submit(() -> {
                Random random = new Random(seed * 7919L + tag.hashCode());
                int i;
                while ((i = next.getAndIncrement()) < n) {
                    byte[] body = payload(random, size, tag + "-" + i);
                    s3.putObject(PutObjectArgs.builder().bucket(bucket).object("bench-raw/" + tag + "/" + i)
                            .stream(new ByteArrayInputStream(body), body.length, -1).build());
                }
                return null;
            }));
        }
        for (Future<?> f : all) {
            f.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        return n / seconds;
    }

    private static double lmtp(String host, int port, String rcpt, int n, int threads, int size, String tag) throws Exception {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger stored = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        List<Future<?>> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int seed = t;
            all.add(pool.submit(() -> {
                Random random = new Random(seed * 104729L + tag.hashCode());
                try (Socket s = new Socket(host, port)) {
                    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
                    OutputStream out = s.getOutputStream();
                    expect(in, "220");
                    send(out, "LHLO bench.example.com");
                    String line;
                    while ((line = in.readLine()) != null && line.startsWith("250-")) {
                        // capabilities
                    }
                    int i;
                    while ((i = next.getAndIncrement()) < n) {
                        byte[] body = payload(random, size, tag + "-" + i);
                        send(out, "MAIL FROM:<bench@remote.example>");
                        expect(in, "250");
                        send(out, "RCPT TO:<" + rcpt + ">");
                        expect(in, "250");
                        send(out, "DATA");
                        expect(in, "354");
                        out.write(("Subject: bench " + tag + " " + i + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(body);
                        out.write("\r\n.\r\n".getBytes(StandardCharsets.US_ASCII));
                        out.flush();
                        expect(in, "250");
                        stored.incrementAndGet();
                    }
                    send(out, "QUIT");
                }
                return null;
            }));
        }
        for (Future<?> f : all) {
            f.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        if (stored.get() != n) {
            throw new IllegalStateException("only " + stored.get() + " of " + n + " messages stored");
        }
        return n / seconds;
    }

    private static void send(OutputStream out, String line) throws Exception {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void expect(BufferedReader in, String code) throws Exception {
        String line = in.readLine();
        if (line == null || !line.startsWith(code)) {
            throw new IllegalStateException("expected " + code + ", got " + line);
        }
    }
}
