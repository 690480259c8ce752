package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.Server;
import io.tandem.api.node.Role;
import io.tandem.api.test.ConfigProxy;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The child JVM of {@link AckedWritesSurviveKillTest}: a directory on the given URL ({@code -Dkaraf.data} set by
 * the parent) that creates an account and then moves its ownership back and forth between two Mailstores with
 * the compare-and-set {@link DirectoryComponent#changeOwner}, printing {@code ACKED i mailHost epoch} after each
 * returned (and announced) change (line 0: the account was created). Then it waits, the database still open,
 * to be killed; it never closes the database cleanly.
 *
 * <p>Arguments: JDBC URL, number of ownership changes.
 */
public final class OwnerMovingChild {

    static final String ACCOUNT = "alice@example.com";

    private OwnerMovingChild() {
    }

    public static void main(String[] args) throws Exception {
        String url = args[0];
        int changes = Integer.parseInt(args[1]);
        DirectoryComponent dir = new DirectoryComponent(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(DirectoryComponent.Config.class, Map.of("jdbc_url", url)));
        for (String n : List.of("ms1", "ms2")) {
            dir.registerServer(new Server(n, n + ".example.com", Set.of(Role.MAILSTORE), Instant.now()));
        }
        dir.createDomain("example.com");
        Account a = dir.createAccount(ACCOUNT, "ms1");
        ack("ACKED 0 " + a.mailHost() + " " + a.epoch());
        for (int i = 1; i <= changes; i++) {
            a = dir.changeOwner(a.id(), a.mailHost(), a.epoch(), a.mailHost().equals("ms1") ? "ms2" : "ms1");
            ack("ACKED " + i + " " + a.mailHost() + " " + a.epoch());
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
