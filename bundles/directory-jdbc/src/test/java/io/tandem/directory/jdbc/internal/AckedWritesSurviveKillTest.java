package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.Account;
import io.tandem.api.test.ConfigProxy;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * An acknowledged ownership change survives kill -9 of the node that made it: a child JVM moves an account's
 * owner on the directory URL shipped in {@code etc/tandem.directory.cfg} (an H2 file under {@code karaf.data})
 * and is killed with SIGKILL the moment its last change returned; the database reopened is at that change.
 */
public class AckedWritesSurviveKillTest {

    private static final int CHANGES = 40;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void everyAcknowledgedOwnerChangeSurvivesKillNine() throws Exception {
        Path data = tmp.newFolder("data").toPath();
        String url = shippedUrl();
        List<String> acked = ackedThenKilled(data, OwnerMovingChild.class, CHANGES, url, Integer.toString(CHANGES));
        String[] last = acked.get(CHANGES).split(" ");
        String ackedHost = last[2];
        long ackedEpoch = Long.parseLong(last[3]);
        long createdEpoch = Long.parseLong(acked.get(0).split(" ")[3]);

        DirectoryComponent reopened = new DirectoryComponent(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(DirectoryComponent.Config.class, Map.of("jdbc_url", url.replace("${karaf.data}", data.toString()))));
        try {
            Optional<Account> account = reopened.account(OwnerMovingChild.ACCOUNT);
            if (account.isEmpty()) {
                fail("kill -9 lost acknowledged writes: 0 of " + CHANGES + " acknowledged ownership changes survived, "
                        + "and the acknowledged account " + OwnerMovingChild.ACCOUNT + " itself is gone");
            }
            Account a = account.get();
            assertTrue("kill -9 lost acknowledged writes: " + (a.epoch() - createdEpoch) + " of " + CHANGES
                            + " acknowledged ownership changes survived: " + a.name() + " is on " + a.mailHost() + " at epoch "
                            + a.epoch() + ", the last acknowledged change put it on " + ackedHost + " at epoch " + ackedEpoch,
                    a.epoch() == ackedEpoch && a.mailHost().equals(ackedHost));
        } finally {
            reopened.deactivateForTest();
        }
    }

    /** The {@code jdbc.url} of the shipped {@code etc/tandem.directory.cfg} (tests run in the module's folder). */
    private static String shippedUrl() throws Exception {
        Path cfg = Path.of("../../etc/tandem.directory.cfg").toAbsolutePath().normalize();
        assertTrue(cfg + " not found: run the test from bundles/directory-jdbc", Files.isRegularFile(cfg));
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(cfg)) {
            p.load(r);
        }
        String url = p.getProperty("jdbc.url");
        assertTrue(cfg + ": jdbc.url = " + url + " is not an H2 file under ${karaf.data}",
                url != null && url.startsWith("jdbc:h2:file:${karaf.data}/"));
        return url;
    }

    /**
     * Runs {@code main} in a child JVM (this JVM's java and class path, {@code karaf.data} = {@code data}), reads its
     * {@code ACKED} lines and kills it with SIGKILL as soon as it printed {@code ACKED last}.
     *
     * @return the ACKED lines, in order
     */
    static List<String> ackedThenKilled(Path data, Class<?> main, int last, String... args) throws Exception {
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
