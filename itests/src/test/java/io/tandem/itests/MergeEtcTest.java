package io.tandem.itests;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/** The upgrade's carrying over of a node's etc/ (ansible/roles/tandem_upgrade/files/merge-etc.sh), on real files. */
public class MergeEtcTest {

    private static final Path SCRIPT = Path.of("..", "ansible", "roles", "tandem_upgrade", "files", "merge-etc.sh");
    private static final String LOGGING = "org.ops4j.pax.logging.cfg";
    private static final String OLD_LOGGING = "log4j2.out.pattern = %msg%n\nlog4j2.appender.console.layout.pattern = ${log4j2.out.pattern}\n";
    private static final String NEW_LOGGING = "log4j2.outpattern = %msg%n\nlog4j2.appender.console.layout.pattern = ${log4j2.outpattern}\n";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path node;
    private Path oldShipped;
    private Path newShipped;

    private String merge() throws Exception {
        Process p = new ProcessBuilder("sh", SCRIPT.toString(), node.toString(), oldShipped.toString(), newShipped.toString(), "2.0")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("merge-etc.sh did not end", p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(out, 0, p.exitValue());
        return out;
    }

    private void releases(String file, String before, String after) throws Exception {
        node = tmp.newFolder("node").toPath();
        oldShipped = tmp.newFolder("old").toPath();
        newShipped = tmp.newFolder("new").toPath();
        Files.writeString(oldShipped.resolve(file), before);
        Files.writeString(newShipped.resolve(file), after);
    }

    @Test
    public void aLoggingFileTheNodeChangedIsKeptWithKarafsRenamedKey() throws Exception {
        releases(LOGGING, OLD_LOGGING, NEW_LOGGING);
        String custom = OLD_LOGGING + "log4j2.logger.mine.name = org.example\nlog4j2.logger.mine.level = DEBUG\n";
        Files.writeString(node.resolve(LOGGING), custom);
        String out = merge();
        String kept = Files.readString(node.resolve(LOGGING));
        assertTrue(out, out.contains("kept    " + LOGGING));
        assertTrue(out, out.contains("renamed " + LOGGING + ": key log4j2.out.pattern is now log4j2.outpattern (Karaf 4.4.10)"));
        assertTrue("the node's own lines stay: " + kept, kept.contains("log4j2.logger.mine.level = DEBUG"));
        assertFalse(kept, kept.contains("log4j2.out.pattern"));
        assertEquals(custom.replace("log4j2.out.pattern", "log4j2.outpattern"), kept);
        assertEquals(NEW_LOGGING, Files.readString(node.resolve(LOGGING + ".dist-2.0")));
        String again = merge();
        assertFalse("renamed once: " + again, again.contains("renamed"));
        assertEquals(kept, Files.readString(node.resolve(LOGGING)));
    }

    @Test
    public void aFileLeftAsShippedIsTheNewReleases() throws Exception {
        releases(LOGGING, OLD_LOGGING, NEW_LOGGING);
        Files.writeString(node.resolve(LOGGING), OLD_LOGGING);
        assertEquals("updated " + LOGGING + "\n", merge());
        assertEquals(NEW_LOGGING, Files.readString(node.resolve(LOGGING)));
    }
}
