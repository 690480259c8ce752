package io.tandem.api.test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What the fixtures that run a real server with one of the project's scripts (scripts/infra/kafka.sh,
 * s3proxy.sh, postgres.sh) share: where the script and the servers' state are, a bounded run that fails with
 * everything the script said, signals, free ports, and a shutdown hook that never leaves a server behind.
 * Every failure throws: the tests fail loudly, they are never skipped.
 */
public final class Scripts {

    /** How long one run of a script may take: a first run may download what it starts. */
    private static final long RUN_MINUTES = 5;

    private Scripts() {
    }

    /** The script the system property names (the poms set it); fails when it is unset or not executable. */
    public static Path script(String property) {
        String value = System.getProperty(property);
        if (value == null) {
            throw new IllegalStateException("system property " + property + " is not set (run the ITs with mvn verify)");
        }
        Path script = Path.of(value).toAbsolutePath().normalize();
        if (!Files.isExecutable(script)) {
            throw new IllegalStateException(script + " is missing or not executable");
        }
        return script;
    }

    /** Where the ITs keep the servers' state: {@code tandem.it.dir} (default {@code target/it}), absolute. */
    public static Path itDir() {
        return Path.of(System.getProperty("tandem.it.dir", "target/it")).toAbsolutePath();
    }

    /** A port nothing listens on now. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** {@link #run(Map, Supplier, List)} without environment or context. */
    public static String run(String... command) throws IOException, InterruptedException {
        return run(Map.of(), () -> "", List.of(command));
    }

    /**
     * Runs {@code command} (bounded: {@value #RUN_MINUTES} minutes) with {@code environment} added; returns its
     * standard output, or fails with all it printed and {@code context} (the end of the server's log).
     */
    public static String run(Map<String, String> environment, Supplier<String> context, List<String> command)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile("script-", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectError(log.toFile());
            pb.environment().putAll(environment);
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] stdout = p.getInputStream().readAllBytes();
            if (!p.waitFor(RUN_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within " + RUN_MINUTES
                        + " minutes" + more(context));
            }
            String out = new String(stdout, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " failed (exit " + p.exitValue() + "):\n"
                        + out + Files.readString(log) + more(context));
            }
            return out;
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static String more(Supplier<String> context) {
        String c = context.get();
        return c.isEmpty() ? "" : "\n" + c;
    }

    /** Whether {@code command} ends with status 0 (a script's {@code status}: the server runs). */
    public static boolean succeeds(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }

    /** {@code kill -s NAME pid} of the server {@code what}; fails when the signal cannot be sent. */
    public static void signal(String name, long pid, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("kill", "-s", name, Long.toString(pid)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("kill -s " + name + " " + pid + " (" + what + ") failed: " + out);
        }
    }

    /** The last {@code lines} lines of a log file ("" when there is none). */
    public static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "";
        }
    }

    /** Runs {@code stop} when the JVM ends (a test stopped early): never leave a server behind. */
    public static Thread stopAtExit(String name, Runnable stop) {
        Thread cleanup = new Thread(stop, name + "-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        return cleanup;
    }

    /** Removes a hook of {@link #stopAtExit} once the server is stopped. */
    public static void stoppedAlready(Thread cleanup) {
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException e) {
            // already shutting down
        }
    }
}
