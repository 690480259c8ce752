package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxNotFoundException;
import io.tandem.api.mailbox.Message;
import io.tandem.api.test.ConfigProxy;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * An acknowledged delivery survives kill -9 of its Mailstore: a child JVM delivers on the shipped default
 * database (an H2 file under {@code karaf.data}) and is killed with SIGKILL the moment it acknowledged its
 * last delivery; the database reopened holds every acknowledged message.
 */
public class AckedWritesSurviveKillTest {

    private static final int DELIVERIES = 40;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void everyAcknowledgedDeliverySurvivesKillNine() throws Exception {
        Path data = tmp.newFolder("data").toPath();
        UUID account = UUID.randomUUID();
        List<String> acked = ackedThenKilled(data, DeliveringChild.class, DELIVERIES, account.toString(), Integer.toString(DELIVERIES));
        Set<Long> ackedIds = acked.stream().skip(1).map(l -> Long.valueOf(l.split(" ")[2])).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(acked.toString(), DELIVERIES, ackedIds.size());

        MailstoreDatabase reopened = new MailstoreDatabase(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(MailstoreDatabase.Config.class,
                        Map.of("jdbc_url", MailstoreDatabase.DEFAULT_URL.replace("${karaf.data}", data.toString()))));
        try {
            Set<Long> stored;
            try {
                stored = reopened.messages(account, Folder.INBOX, 0, 10 * DELIVERIES).stream().map(Message::itemId)
                        .collect(Collectors.toCollection(TreeSet::new));
            } catch (MailboxNotFoundException e) {
                fail("kill -9 lost acknowledged writes: 0 of " + DELIVERIES + " acknowledged deliveries survived, "
                        + "and the acknowledged mailbox itself is gone");
                return;
            }
            Set<Long> lost = new TreeSet<>(ackedIds);
            lost.removeAll(stored);
            assertTrue("kill -9 lost acknowledged writes: " + (DELIVERIES - lost.size()) + " of " + DELIVERIES
                    + " acknowledged deliveries survived; lost item ids " + lost, lost.isEmpty());
            assertEquals("sequence: creation plus one per delivery", 1 + DELIVERIES, reopened.info(account).orElseThrow().sequence());
        } finally {
            reopened.deactivateForTest();
        }
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
