package io.tandem.api.test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

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
        this.cleanup = Scripts.stopAtExit("s3proxy", this::stopQuietly);
    }

    /** Starts S3Proxy on a free port with its state under {@code tandem.it.dir}/{@code name}. */
    public static S3ProxyFixture start(String name) throws IOException, InterruptedException {
        Path script = Scripts.script("tandem.s3proxy.script");
        int port = Scripts.freePort();
        Path dir = Scripts.itDir().resolve(name + "-" + port);
        String out = Scripts.run(script.toString(), "start", dir.toString(), Integer.toString(port));
        return new S3ProxyFixture(script, dir, port, parseEnv(out));
    }

    /** Stops the server (its data and keys stay in {@link #dir}). */
    public void stop() throws IOException, InterruptedException {
        Scripts.run(script.toString(), "stop", dir.toString());
    }

    /** Starts it again on the same port with the same data and keys. */
    public void restart() throws IOException, InterruptedException {
        Map<String, String> env = parseEnv(Scripts.run(script.toString(), "start", dir.toString(), Integer.toString(port)));
        if (!endpoint.equals(env.get("S3_ENDPOINT")) || !secretKey.equals(env.get("S3_SECRET_KEY"))) {
            throw new IllegalStateException("S3Proxy restarted with another endpoint or keys: " + env.get("S3_ENDPOINT"));
        }
    }

    /** Creates a bucket the way the script does (a directory of the filesystem backend). */
    public void bucket(String name) throws IOException, InterruptedException {
        Scripts.run(script.toString(), "bucket", dir.toString(), name);
    }

    public boolean running() throws IOException, InterruptedException {
        return Scripts.succeeds(script.toString(), "status", dir.toString());
    }

    @Override
    public void close() {
        stopQuietly();
        Scripts.stoppedAlready(cleanup);
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
}
