package io.tandem.api.test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * A child JVM killed with SIGKILL right after it acknowledged a given write: the kill -9 tests of the
 * mailbox store and the directory. The child prints one {@code ACKED n ...} line per acknowledged write.
 */
public final class KilledChild {

    private KilledChild() {
    }

    /**
     * Runs {@code main} in a child JVM (this JVM's java and class path, {@code karaf.data} = {@code data}), reads its
     * {@code ACKED} lines and kills it with SIGKILL as soon as it printed {@code ACKED last}.
     *
     * @return the ACKED lines, in order
     */
    public static List<String> ackedThenKilled(Path data, Class<?> main, int last, String... args) throws Exception {
        Path stderr = data.resolveSibling("child.err");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-Dkaraf.data=" + data, main.getName()));
        cmd.addAll(List.of(args));
        Process child = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try {
            Future<List<String>> lines = reader.submit(() -> {
                List<String> acked = new ArrayList<>();
                BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    if (line.startsWith("ACKED ")) {
                        acked.add(line);
                        if (line.equals("ACKED " + last) || line.startsWith("ACKED " + last + " ")) {
                            child.destroyForcibly(); // SIGKILL, right after the last acknowledgement
                            break;
                        }
                    }
                }
                return acked;
            });
            List<String> acked;
            try {
                acked = lines.get(60, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("the child did not acknowledge write " + last + " within 60 s: " + Files.readString(stderr), e);
            }
            assertTrue("the child did not exit within 30 s of SIGKILL", child.waitFor(30, TimeUnit.SECONDS));
            assertEquals("the child ended by SIGKILL (128 + 9) after " + acked + ": " + Files.readString(stderr), 137, child.exitValue());
            assertEquals(acked.toString(), last + 1, acked.size());
            return acked;
        } finally {
            reader.shutdownNow();
            child.destroyForcibly();
        }
    }
}
