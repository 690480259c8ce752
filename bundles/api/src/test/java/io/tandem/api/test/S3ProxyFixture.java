package io.tandem.api.test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real S3Proxy for the ITs, run by {@code scripts/infra/s3proxy.sh} (system property
 * {@code tandem.s3proxy.script}, set by the pom). Every failure to start throws: the tests fail loudly,
 * they are never skipped.
 */
public final class S3ProxyFixture implements AutoCloseable {

    public final Path dir;
    public final int port;
    public final String endpoint;
    public final String accessKey;
    public final String secretKey;
    private final Path script;
    private final Thread cleanup;

    private S3ProxyFixture(Path script, Path dir, int port, Map<String, String> env) {
        this.script = script;
        this.dir = dir;
        this.port = port;
        this.endpoint = env.get("S3_ENDPOINT");
        this.accessKey = env.get("S3_ACCESS_KEY");
        this.secretKey = env.get("S3_SECRET_KEY");
        // never leave a server behind, even when the JVM is stopped early
        this.cleanup = new Thread(this::stopQuietly, "s3proxy-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
    }

    /** Starts S3Proxy on a free port with its state under {@code tandem.it.dir}/{@code name}. */
    public static S3ProxyFixture start(String name) throws IOException, InterruptedException {
        String scriptProperty = System.getProperty("tandem.s3proxy.script");
        if (scriptProperty == null) {
            throw new IllegalStateException("system property tandem.s3proxy.script is not set (run the ITs with mvn verify)");
        }
        Path script = Path.of(scriptProperty).toAbsolutePath().normalize();
        if (!Files.isExecutable(script)) {
            throw new IllegalStateException(script + " is missing or not executable");
        }
        Path base = Path.of(System.getProperty("tandem.it.dir", "target/it")).toAbsolutePath();
        int port = freePort();
        Path dir = base.resolve(name + "-" + port);
        String out = run(script, "start", dir.toString(), Integer.toString(port));
        return new S3ProxyFixture(script, dir, port, parseEnv(out));
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** Stops the server (its data and keys stay in {@link #dir}). */
    public void stop() throws IOException, InterruptedException {
        run(script, "stop", dir.toString());
    }

    /** Starts it again on the same port with the same data and keys. */
    public void restart() throws IOException, InterruptedException {
        Map<String, String> env = parseEnv(run(script, "start", dir.toString(), Integer.toString(port)));
        if (!endpoint.equals(env.get("S3_ENDPOINT")) || !secretKey.equals(env.get("S3_SECRET_KEY"))) {
            throw new IllegalStateException("S3Proxy restarted with another endpoint or keys: " + env.get("S3_ENDPOINT"));
        }
    }

    /** Creates a bucket the way the script does (a directory of the filesystem backend). */
    public void bucket(String name) throws IOException, InterruptedException {
        run(script, "bucket", dir.toString(), name);
    }

    public boolean running() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of(script.toString(), "status", dir.toString()))
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }

    @Override
    public void close() {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }

    private void stopQuietly() {
        try {
            stop();
        } catch (Exception e) {
            System.err.println("could not stop S3Proxy in " + dir + ": " + e);
        }
    }

    private static Map<String, String> parseEnv(String out) {
        Map<String, String> env = new HashMap<>();
        out.lines().filter(l -> l.startsWith("S3_")).forEach(l -> {
            int eq = l.indexOf('=');
            env.put(l.substring(0, eq), l.substring(eq + 1));
        });
        for (String key : List.of("S3_ENDPOINT", "S3_ACCESS_KEY", "S3_SECRET_KEY")) {
            if (!env.containsKey(key)) {
                throw new IllegalStateException("s3proxy.sh printed no " + key + ":\n" + out);
            }
        }
        return env;
    }

    /** Runs the script (bounded: 5 minutes, the first run may download the jar); stdout, or fails with all output. */
    private static String run(Path script, String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>();
        command.add(script.toString());
        command.addAll(List.of(args));
        Path log = Files.createTempFile("s3proxy-sh-", ".log");
        try {
            Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
            p.getOutputStream().close();
            byte[] stdout = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within 5 minutes");
            }
            String out = new String(stdout, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n"
                        + out + Files.readString(log));
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
