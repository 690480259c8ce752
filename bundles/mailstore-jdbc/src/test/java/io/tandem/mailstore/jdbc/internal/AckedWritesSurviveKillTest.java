package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxNotFoundException;
import io.tandem.api.mailbox.Message;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.KilledChild;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
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
        List<String> acked = KilledChild.ackedThenKilled(data, DeliveringChild.class, DELIVERIES, account.toString(), Integer.toString(DELIVERIES));
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
}
