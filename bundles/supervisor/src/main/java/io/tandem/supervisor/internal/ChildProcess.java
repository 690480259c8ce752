package io.tandem.supervisor.internal;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One run of a supervised service's process, started through the watchdog script in its own process
 * group (see docs/decisions/0013-supervised-services.md): the service dies with the JVM, and stopping
 * it reaches everything it forked.
 */
final class ChildProcess {

    private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);
    static final String WATCHDOG = "service-watchdog.sh";

    private final Process process;
    private final long pgid;

    private ChildProcess(Process process) {
        this.process = process;
        this.pgid = process.pid();
    }

    /** Karaf's data directory ({@code karaf.data}). */
    static Path dataDirectory() {
        return Path.of(System.getProperty("karaf.data", "data"));
    }

    /**
     * Writes the watchdog script into {@code data/tandem} and returns its path.
     *
     * @param who named in the error when the script cannot be written
     */
    static Path installWatchdog(String who) {
        Path dir = dataDirectory().resolve("tandem");
        try {
            return installWatchdog(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(who + ": cannot install the watchdog script in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes the watchdog script into {@code dir} (atomically, once per content) and returns its path. */
    static Path installWatchdog(Path dir) throws IOException {
        byte[] script;
        try (InputStream in = ChildProcess.class.getResourceAsStream(WATCHDOG)) {
            if (in == null) {
                throw new IOException("resource " + WATCHDOG + " missing from the bundle");
            }
            script = in.readAllBytes();
        }
        Files.createDirectories(dir);
        Path target = dir.resolve(WATCHDOG);
        if (Files.isRegularFile(target) && java.util.Arrays.equals(Files.readAllBytes(target), script)) {
            return target;
        }
        Path tmp = Files.createTempFile(dir, WATCHDOG, ".tmp");
        Files.write(tmp, script);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    /**
     * Starts {@code command} under the watchdog: {@code setsid sh watchdog JVM_PID GRACE command...}.
     *
     * @param output file the service's stdout and stderr are appended to, or null to discard them
     */
    static ChildProcess start(Path watchdog, List<String> command, Path workingDirectory, Map<String, String> environment,
                              Path output, Duration killGrace) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add("setsid");
        argv.add("/bin/sh");
        argv.add(watchdog.toString());
        argv.add(Long.toString(ProcessHandle.current().pid()));
        argv.add(Long.toString(Math.max(1, (killGrace.toMillis() + 999) / 1000)));
        argv.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (workingDirectory != null) {
            pb.directory(workingDirectory.toFile());
        }
        pb.environment().putAll(environment);
        if (output != null) {
            Files.createDirectories(output.toAbsolutePath().getParent());
            pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        } else {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        return new ChildProcess(pb.start());
    }

    long pid() {
        return pgid;
    }

    boolean alive() {
        return process.isAlive();
    }

    /** The exit code once the process ended. */
    int exitCode() {
        return process.exitValue();
    }

    java.util.concurrent.CompletableFuture<Process> onExit() {
        return process.onExit();
    }

    /**
     * Stops the service: the stop command if there is one (else SIGTERM to the process group), waits up
     * to {@code timeout} for it to end, then SIGKILLs the group. Returns once the process has ended.
     */
    void stop(List<String> stopCommand, Path workingDirectory, Map<String, String> environment, Duration timeout) {
        if (process.isAlive()) {
            if (stopCommand.isEmpty()) {
                signalGroup("TERM");
            } else {
                runStopCommand(stopCommand, workingDirectory, environment, timeout);
            }
            try {
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("Service process {} did not end within {} ms: killing its process group", pgid, timeout.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        // what is left of the group (children the service did not stop, the watcher)
        signalGroup("KILL");
        try {
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** After the main process ended by itself: removes whatever it left in its group. */
    void reapGroup() {
        signalGroup("KILL");
    }

    private void runStopCommand(List<String> stopCommand, Path workingDirectory, Map<String, String> environment, Duration timeout) {
        ProcessBuilder pb = new ProcessBuilder(stopCommand).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        if (workingDirectory != null) {
            pb.directory(workingDirectory.toFile());
        }
        pb.environment().putAll(environment);
        pb.environment().put("TANDEM_SERVICE_PID", Long.toString(pgid));
        try {
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                LOG.warn("stop.command of service process {} did not finish within {} ms", pgid, timeout.toMillis());
            }
        } catch (IOException e) {
            LOG.warn("stop.command {} could not run: {}; sending SIGTERM instead", stopCommand, e.getMessage());
            signalGroup("TERM");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code kill -s SIG -- -pgid} (the JDK signals single processes only). */
    private void signalGroup(String signal) {
        try {
            Process p = new ProcessBuilder("/bin/sh", "-c", "kill -s " + signal + " -- \"-$0\" 2>/dev/null", Long.toString(pgid))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            LOG.warn("Could not signal process group {}: {}", pgid, e.getMessage());
            if (signal.equals("KILL")) {
                process.destroyForcibly();
            } else {
                process.destroy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
