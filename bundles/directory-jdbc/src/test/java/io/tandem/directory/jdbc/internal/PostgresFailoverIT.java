package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.DatabaseStatus;
import io.tandem.api.test.Await;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.PostgresFixture;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * The directory on a real PostgreSQL primary with a streaming standby, failed over the way an operator's tooling does
 * it: the primary crashes (kill -9 of all its processes) and the standby is promoted; the directory's URL names both
 * servers ({@code targetServerType=primary}), so its pool reconnects to the new primary by itself.
 *
 * <p>With an asynchronous standby an ownership change the directory acknowledged can be lost (the standby had not
 * received it): that is the epoch regression the Mailstores guard against (decision 0023) and why the admin guide and
 * {@code cluster:check} ask for a synchronous standby, which {@link DatabaseStatus#failoverSafe()} reports here from
 * the real server. With a synchronous standby the change is not acknowledged before the standby has it, and survives.
 */
public class PostgresFailoverIT {

    private static final Duration FAILOVER = Duration.ofSeconds(90);

    private Path root;
    private PostgresFixture primary;
    private PostgresFixture standby;
    private final List<DirectoryComponent> opened = new ArrayList<>();

    @Before
    public void startPrimary() throws Exception {
        // not a temporary directory: its mode (700, root's) would keep the postgres user out
        root = Path.of("target", "pgf-" + java.util.UUID.randomUUID().toString().substring(0, 8)).toAbsolutePath(); // short: socket paths
        Files.createDirectories(root);
        primary = PostgresFixture.start(root.resolve("primary"));
    }

    @After
    public void stopServers() throws Exception {
        for (DirectoryComponent d : opened) {
            d.deactivateForTest();
        }
        if (standby != null) {
            standby.close();
        }
        if (primary != null) {
            primary.close();
        }
    }

    /** A directory on both servers, created on the primary; then the standby, from a base backup that holds it. */
    private DirectoryComponent directoryOnBothServers() throws Exception {
        String single = primary.createDatabase("dir_");
        String database = single.substring(single.lastIndexOf('/') + 1, single.indexOf('?'));
        DirectoryComponent first = open(single);
        first.createDomain("example.com");
        for (String n : List.of("ms1", "ms2")) {
            first.registerServer(new io.tandem.api.directory.Server(n, n + ".example.com", java.util.Set.of(io.tandem.api.node.Role.MAILSTORE),
                    java.time.Instant.now()));
        }
        first.deactivateForTest();
        opened.remove(first);
        standby = primary.startStandby(root.resolve("standby"));
        return open("jdbc:postgresql://127.0.0.1:" + primary.port() + ",127.0.0.1:" + standby.port() + "/" + database
                + "?user=postgres&targetServerType=primary");
    }

    private DirectoryComponent open(String url) {
        DirectoryComponent d = new DirectoryComponent(List.of(new org.postgresql.osgi.PGDataSourceFactory()),
                ConfigProxy.of(DirectoryComponent.Config.class, Map.of("jdbc_url", url, "connect_timeout_seconds", 2,
                        "socket_timeout_seconds", 10, "owner_cache_ttl_seconds", 0)));
        opened.add(d);
        return d;
    }

    /** The primary crashes, the standby is promoted, and the directory answers again (from the new primary). */
    private Account afterFailover(DirectoryComponent directory, Account account) throws Exception {
        primary.crash();
        standby.promote();
        Account[] seen = new Account[1];
        Await.until("the directory answers from the promoted standby", FAILOVER, () -> {
            try {
                Optional<Account> a = directory.account(account.id());
                seen[0] = a.orElseThrow();
                return true;
            } catch (RuntimeException e) {
                return false; // its connections to the crashed primary fail until the pool opens new ones
            }
        });
        return seen[0];
    }

    @Test
    public void withAnAsynchronousStandbyAFailoverCanLoseAnAcknowledgedOwnershipChange() throws Exception {
        DirectoryComponent directory = directoryOnBothServers();
        Account alice = directory.createAccount("alice@example.com", "ms1");
        primary.awaitStandbysCaughtUp(Duration.ofSeconds(30));
        DatabaseStatus status = directory.databaseStatus();
        assertEquals(DatabaseStatus.PRIMARY, status.role());
        assertEquals(status.toString(), 1, status.standbys().size());
        assertEquals("async", status.standbys().get(0).syncState());
        assertFalse("an asynchronous standby is reported unsafe", status.failoverSafe());

        primary.pauseWalSenders(); // the standby receives nothing more
        Account moved = directory.changeOwner(alice.id(), "ms1", alice.epoch(), "ms2");
        assertEquals("acknowledged by the primary", alice.epoch() + 1, moved.epoch());

        Account after = afterFailover(directory, alice);
        assertEquals("the promoted standby never had the change", "ms1", after.mailHost());
        assertEquals(alice.epoch(), after.epoch());
    }

    @Test
    public void withASynchronousStandbyAnOwnershipChangeIsAcknowledgedOnlyOnceTheStandbyHasItAndSurvivesAFailover() throws Exception {
        DirectoryComponent directory = directoryOnBothServers();
        Account alice = directory.createAccount("alice@example.com", "ms1");
        primary.synchronousStandbys(true);
        Await.until("the standby is synchronous", Duration.ofSeconds(30), () -> directory.databaseStatus().failoverSafe());
        assertEquals("sync", directory.databaseStatus().standbys().get(0).syncState());

        List<Long> senders = primary.pauseWalSenders();
        CompletableFuture<Account> moving = CompletableFuture.supplyAsync(() -> {
            try {
                return directory.changeOwner(alice.id(), "ms1", alice.epoch(), "ms2");
            } catch (io.tandem.api.directory.OwnershipConflictException e) {
                throw new IllegalStateException(e);
            }
        });
        // the commit waits for the standby: not acknowledged while it cannot have it (3 s is the bound of this look)
        assertThrows(TimeoutException.class, () -> moving.get(3, TimeUnit.SECONDS));
        primary.resume(senders);
        Account moved = moving.get(30, TimeUnit.SECONDS);
        assertEquals(alice.epoch() + 1, moved.epoch());

        Account after = afterFailover(directory, alice);
        assertEquals("the acknowledged change survived the failover", "ms2", after.mailHost());
        assertEquals(moved.epoch(), after.epoch());
        assertTrue("the promoted standby is a primary without standbys", directory.databaseStatus().standbys().isEmpty());
    }
}
