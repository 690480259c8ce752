package io.tandem.api.test;

import org.junit.rules.ExternalResource;
import org.junit.rules.TemporaryFolder;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * A size-limited file system (tmpfs) that a test fills up: the fault harness's "full disk" under a store. Mounted
 * before the test and unmounted after it. Needs root (mount): the test fails, naming the reason, when it cannot mount.
 * Use it as a {@code @Rule} after the rule of the folder it mounts in (a {@link org.junit.rules.RuleChain} or field order).
 */
public final class SmallFileSystem extends ExternalResource {

    private final TemporaryFolder parent;
    private final int mebibytes;
    private Path root;

    public SmallFileSystem(TemporaryFolder parent, int mebibytes) {
        this.parent = parent;
        this.mebibytes = mebibytes;
    }

    @Override
    protected void before() throws Throwable {
        root = parent.newFolder("small-fs").toPath();
        run("mount", "-t", "tmpfs", "-o", "size=" + mebibytes + "m", "tandem-small-fs", root.toString());
    }

    @Override
    protected void after() {
        try {
            run("umount", "-l", root.toString());
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("cannot unmount " + root, e);
        }
    }

    /** The mount point. */
    public Path root() {
        return root;
    }

    /** Writes a file until the file system has no byte left; delete it to make room again. */
    public Path fill() throws IOException {
        Path filler = root.resolve("filler");
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
        // what is left is less than a block: take it byte by byte
        try (OutputStream out = Files.newOutputStream(filler, java.nio.file.StandardOpenOption.APPEND)) {
            while (true) {
                out.write(0);
                out.flush();
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left")) {
                throw e;
            }
        }
        return filler;
    }

    private static void run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(String.join(" ", command) + " did not finish", p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(String.join(" ", command) + " (a size-limited tmpfs needs root): " + out, 0, p.exitValue());
    }
}
