package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.Account;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.KilledChild;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

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
        List<String> acked = KilledChild.ackedThenKilled(data, OwnerMovingChild.class, CHANGES, url, Integer.toString(CHANGES));
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

    /** The {@code jdbc.url} of the shipped {@code etc/tandem.directory.cfg}, kept in the bundle's src/main/cfg (tests run in the module's folder). */
    private static String shippedUrl() throws Exception {
        Path cfg = Path.of("src/main/cfg/tandem.directory.cfg").toAbsolutePath().normalize();
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
}
