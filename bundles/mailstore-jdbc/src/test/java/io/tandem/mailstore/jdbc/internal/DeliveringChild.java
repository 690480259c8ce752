package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.blob.BlobRef;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxOp;
import io.tandem.api.test.ConfigProxy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The child JVM of {@link AckedWritesSurviveKillTest}: a Mailstore on its shipped default database
 * ({@code -Dkaraf.data} set by the parent) that creates a mailbox and delivers messages one by one, printing
 * {@code ACKED i itemId} after each delivery returned (line 0: the mailbox was created). Then it waits, the
 * database still open, to be killed; it never closes the database cleanly.
 *
 * <p>Arguments: account id, number of deliveries.
 */
public final class DeliveringChild {

    private static final UUID VOLUME = UUID.fromString("00000000-0000-0000-0000-0000000000aa");

    private DeliveringChild() {
    }

    public static void main(String[] args) throws Exception {
        UUID account = UUID.fromString(args[0]);
        int deliveries = Integer.parseInt(args[1]);
        MailstoreDatabase store = new MailstoreDatabase(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(MailstoreDatabase.Config.class, Map.of()));
        store.create(account, 0);
        ack("ACKED 0 created");
        for (int i = 1; i <= deliveries; i++) {
            int n = i;
            MailboxChange c = store.execute(account, 0, tx -> tx.addMessage(Folder.INBOX,
                    new BlobRef(VOLUME, "k/" + n, String.format("%064x", n), 100 + n), 100 + n, 1_700_000_000_000L + n,
                    "subject " + n, "from" + n + "@example.org", "alice@example.com", Set.of(), Set.of()));
            ack("ACKED " + i + " " + ((MailboxOp.AddMessage) c.ops().get(0)).itemId());
        }
        // until killed; if the parent went away (stdin closed), stop at once, still without closing anything
        while (System.in.read() != -1) {
            // ignore input
        }
        Runtime.getRuntime().halt(3);
    }

    private static void ack(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
