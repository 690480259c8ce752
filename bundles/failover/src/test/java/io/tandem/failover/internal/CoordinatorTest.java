package io.tandem.failover.internal;

import io.tandem.api.cluster.ClusterEvent;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.Notification;
import io.tandem.api.directory.Operation;
import io.tandem.api.directory.Replica;
import io.tandem.api.directory.Server;
import io.tandem.api.node.Role;
import io.tandem.api.replication.Promotions;
import io.tandem.api.test.ClusterServiceAdapter;
import io.tandem.api.test.ConfigProxy;
import io.tandem.directory.jdbc.internal.DirectoryComponent;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.lang.reflect.Method;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.tandem.api.test.ClusterServiceAdapter.node;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The coordinator's decisions on a real directory (H2), with the cluster view and the clock in the test's hands. */
public class CoordinatorTest {

    private static final Timing TIMING = new Timing(Duration.ofMillis(2000), Duration.ofMillis(3000), 8, Duration.ofMillis(200),
            Duration.ofSeconds(90));

    private DirectoryComponent dir;
    private final ClusterServiceAdapter cluster = new ClusterServiceAdapter().setExpected(Role.CORE, 3);
    private final List<String> promoted = new ArrayList<>();
    private long now = 1_000_000_000L;
    private Coordinator core2;
    private final ClusterNode c1 = node("core1", "127.0.0.1", false, Role.CORE);
    private final ClusterNode c2 = node("core2", "127.0.0.2", true, Role.CORE);
    private final ClusterNode c3 = node("core3", "127.0.0.3", false, Role.CORE);
    private final ClusterNode ms1 = node("ms1", "127.0.0.4", false, Role.MAILSTORE);
    private final ClusterNode ms2 = node("ms2", "127.0.0.5", false, Role.MAILSTORE);
    private Account alice;
    private Account bob;

    /** Records the call and starts the operation, as the replication service does; the test plays the promotions. */
    private final Promotions promotions = new Promotions() {
        @Override
        public Operation promoteAllOf(String source, int threads, String kind) {
            promoted.add(source + " " + threads + " " + kind);
            return dir.startOperation(kind, "core2", (int) dir.accounts(null).stream().filter(a -> a.mailHost().equals(source)).count(),
                    "accounts of " + source);
        }

        @Override
        public Operation finishTakeOvers(List<String> names, int threads, String kind) {
            promoted.add(names + " " + threads + " " + kind);
            return dir.startOperation(kind, "core2", names.size(), names.size() + " account(s)");
        }
    };

    @Before
    public void open() {
        dir = new DirectoryComponent(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(DirectoryComponent.Config.class, Map.of("jdbc_url", "jdbc:h2:mem:failover-" + UUID.randomUUID()
                        + ";DB_CLOSE_DELAY=-1", "owner_cache_ttl_seconds", 3600)));
        for (String n : List.of("ms1", "ms2")) {
            dir.registerServer(new Server(n, n + ".example.com", Set.of(Role.MAILSTORE), Instant.now()));
        }
        dir.registerServer(new Server("core1", "core1.example.com", Set.of(Role.CORE), Instant.now()));
        dir.createDomain("example.com");
        alice = dir.createAccount("alice@example.com", "ms1");
        bob = dir.createAccount("bob@example.com", "ms1");
        dir.addReplica(alice.id(), "ms2", 10, null);
        dir.setReplicaState(alice.id(), "ms2", Replica.IN_SYNC, "");
        dir.addReplica(bob.id(), "ms2", 10, null);
        dir.setReplicaState(bob.id(), "ms2", Replica.IN_SYNC, "");
        cluster.setNodes(c1, c2, c3, ms1, ms2);
        core2 = new Coordinator("core2", cluster, dir, promotions, TIMING, () -> now, Clock.systemUTC());
    }

    @After
    public void close() throws Exception {
        Method m = DirectoryComponent.class.getDeclaredMethod("deactivate");
        m.setAccessible(true);
        m.invoke(dir);
    }

    private void leave(Coordinator c, ClusterNode node) {
        List<ClusterNode> rest = new ArrayList<>(cluster.nodes());
        rest.removeIf(n -> n.name().equals(node.name()));
        cluster.setNodes(rest);
        c.clusterChanged(new ClusterEvent(ClusterEvent.Type.NODE_LEFT, node));
    }

    private void pass(long millis) {
        now += TimeUnit.MILLISECONDS.toNanos(millis);
    }

    /**
     * A promotion moved alice to ms2, but ms2 never took her over (the marker was not written, or ms2's copy
     * failed): ms2 refuses her writes. The coordinator promotes her again once the take-over is overdue, tells
     * the administrator, and again after another period if it still did not finish.
     */
    @Test
    public void aTakeOverThatDoesNotFinishIsPromotedAgainAndTheAdministratorIsTold() throws Exception {
        leave(core2, c1); // core2 coordinates
        dir.changeOwner(alice.id(), "ms1", alice.epoch(), "ms2"); // ms2 keeps its replica row: not taken over
        assertEquals(List.of(alice.id()), dir.unfinishedTakeOvers().stream().map(Replica::accountId).toList());
        core2.tick();
        pass(89_000);
        core2.tick();
        assertTrue("not before takeover.heal.ms", promoted.isEmpty());
        pass(6_000);
        core2.tick();
        assertEquals(List.of("[alice@example.com] 8 healTakeOver"), promoted);
        assertTrue(dir.notifications(5).stream().anyMatch(n -> n.severity() == Notification.Severity.WARNING
                && n.subject().contains("Take-over of 1 account(s) not finished") && n.body().contains("alice@example.com: owner ms2")));
        pass(30_000);
        core2.tick();
        assertEquals("not again before another period", 1, promoted.size());
        pass(65_000);
        core2.tick();
        assertEquals("still stuck: promoted again", 2, promoted.size());

        dir.removeReplicas("ms2", List.of(alice.id())); // the take-over finished
        assertTrue(dir.unfinishedTakeOvers().isEmpty());
        pass(200_000);
        core2.tick();
        assertEquals("nothing left to heal", 2, promoted.size());
    }

    @Test
    public void aNodeThatIsNotTheCoordinatorHealsNothing() throws Exception {
        dir.changeOwner(alice.id(), "ms1", alice.epoch(), "ms2");
        core2.tick(); // core1 is the lowest live core node
        pass(200_000);
        core2.tick();
        assertEquals("core1", core2.coordinator());
        assertTrue(promoted.isEmpty());
    }

    @Test
    public void onlyTheCoordinatorPromotesAndOnlyAfterTheGrace() {
        leave(core2, c1); // core2 is now the lowest live core node
        leave(core2, ms1);
        core2.tick();
        assertEquals("core2", core2.coordinator());
        pass(2999);
        core2.tick();
        assertTrue("nothing before the grace", promoted.isEmpty());
        assertTrue(core2.departures().get(0).get("state").toString().startsWith("pending: promotion in 1 ms"));
        pass(1);
        core2.tick();
        assertEquals(List.of("ms1 8 autoFailover"), promoted);
        pass(10_000);
        core2.tick();
        assertEquals("started once", 1, promoted.size());
    }

    @Test
    public void aCoreNodeThatIsNotTheCoordinatorWaitsAndTakesOverWhenTheCoordinatorDies() {
        leave(core2, ms1);
        pass(5000);
        core2.tick();
        assertEquals("core1", core2.coordinator());
        assertTrue("core1 coordinates", promoted.isEmpty());
        leave(core2, c1);
        core2.tick();
        assertEquals("the next coordinator finds the accounts still on ms1", List.of("ms1 8 autoFailover"), promoted);
    }

    @Test
    public void withoutACoreQuorumNobodyPromotes() {
        leave(core2, ms1);
        leave(core2, c1);
        leave(core2, c3); // core2 alone: 1 of 3
        pass(60_000);
        core2.tick();
        assertEquals("", core2.coordinator());
        assertTrue(promoted.isEmpty());
        assertTrue(core2.departures().get(0).get("state").toString().startsWith("due: waiting for the coordinator"));
    }

    @Test
    public void aMailstoreBackWithinTheGraceKeepsItsAccounts() {
        leave(core2, c1);
        leave(core2, ms1);
        pass(2000);
        core2.tick();
        cluster.setNodes(c2, c3, ms1, ms2);
        core2.clusterChanged(new ClusterEvent(ClusterEvent.Type.NODE_JOINED, ms1));
        pass(5000);
        core2.tick();
        assertTrue(promoted.isEmpty());
        assertTrue(core2.departures().isEmpty());
    }

    @Test
    public void disabledOrExcludedMeansNotPromotedAndTheAdminIsTold() {
        leave(core2, c1);
        dir.setGlobal(Policy.EXCLUDED, "ms1");
        leave(core2, ms1);
        pass(3000);
        core2.tick();
        assertTrue(promoted.isEmpty());
        Notification n = dir.notifications(1).get(0);
        assertEquals(Notification.Severity.WARNING, n.severity());
        assertTrue(n.body(), n.body().contains("ms1 is excluded from automatic failover"));
        pass(3000);
        core2.tick();
        assertEquals("told once", 1, dir.notifications(10).size());

        dir.setGlobal(Policy.EXCLUDED, null);
        dir.setGlobal(Policy.ENABLED, "false");
        leave(core2, ms2);
        pass(3000);
        core2.tick();
        assertTrue(promoted.isEmpty());
        assertTrue(dir.notifications(1).get(0).body().contains("automatic failover is disabled"));
    }

    @Test
    public void accountsWithoutAnAvailableReplicaAreReportedNotPromoted() {
        leave(core2, c1);
        leave(core2, ms2); // the only replica's Mailstore is gone too
        leave(core2, ms1);
        pass(3000);
        core2.tick();
        assertTrue(promoted.stream().noneMatch(p -> p.startsWith("ms1")));
        Notification n = dir.notifications(10).stream().filter(x -> x.subject().contains("ms1")).findFirst().orElseThrow();
        assertTrue(n.body(), n.body().contains("none of its 2 account(s) has an in-sync replica on a live Mailstore"));
        assertTrue(n.body(), n.body().contains("alice@example.com") && n.body().contains("bob@example.com"));
    }

    /**
     * alice went from ms1 to ms2 (which claimed her epoch) and back to ms1, which never took her over (never
     * claimed) before it died. ms2, her claimant, is an initialising replica: not in sync, but it holds every
     * acknowledged change, so the failover of ms1 starts, to give her back to ms2 (decision 0027). bob's only copy
     * is initialising and ms1 claimed his epoch: he alone would not be promotable.
     */
    @Test
    public void anAccountItsOwnerNeverTookOverCountsAsPromotableToItsClaimant() throws Exception {
        Account toMs2 = dir.changeOwner(alice.id(), "ms1", alice.epoch(), "ms2");
        dir.claim("ms2", Map.of(alice.id(), toMs2.epoch()));
        dir.addReplica(alice.id(), "ms1", 5, null);
        Account back = dir.changeOwner(alice.id(), "ms2", toMs2.epoch(), "ms1"); // ms1 keeps its row: not taken over
        assertFalse(back.claimed());
        dir.setReplicaState(alice.id(), "ms2", Replica.INITIALISING, "");
        dir.setReplicaState(bob.id(), "ms2", Replica.INITIALISING, "");
        leave(core2, c1); // core2 is now the coordinator
        leave(core2, ms1);
        pass(3000);
        core2.tick();
        assertEquals(List.of("ms1 8 " + Coordinator.KIND), promoted);
    }

    @Test
    public void theSummarySaysWhatWasPromotedWhereAndWhatWasNot() throws Exception {
        leave(core2, c1);
        leave(core2, ms1);
        pass(3000);
        core2.tick();
        Operation op = dir.operations(1).get(0);
        // the replication service promotes alice and fails bob
        dir.changeOwner(alice.id(), "ms1", alice.epoch(), "ms2");
        dir.progress(op.id(), 1, 0, null);
        core2.tick();
        assertFalse("no summary before the operation finished",
                dir.notifications(10).stream().anyMatch(n -> n.subject().startsWith("Automatic failover of ms1")));
        dir.progress(op.id(), 0, 1, "bob@example.com: new owner ms2 did not take over within 60 s");
        pass(250);
        core2.tick();
        Notification n = dir.notifications(10).stream().filter(x -> x.subject().startsWith("Automatic failover of ms1")).findFirst()
                .orElseThrow();
        assertEquals("Automatic failover of ms1: 1 of 2 account(s) promoted", n.subject());
        assertEquals(Notification.Severity.WARNING, n.severity());
        assertTrue(n.body(), n.body().startsWith("1 of 2 account(s) promoted (to ms2: 1) in 250 ms; writable "));
        assertTrue(n.body(), n.body().contains("bob@example.com: new owner ms2 did not take over"));
        assertEquals(op.id().toString(), core2.runs().get(0).get("operation"));
    }

    @Test
    public void timingRefusesAGraceShorterThanTheLeasePlusOneHeartbeat() {
        FailoverConfig bad = ConfigProxy.of(FailoverConfig.class, Map.of("lease_ms", 2000L, "grace_ms", 2500L));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Timing.of(bad));
        assertEquals("tandem.failover: grace.ms = 2500 must be at least lease.ms + 1000 (3000) and at most 3600000", e.getMessage());
        FailoverConfig threads = ConfigProxy.of(FailoverConfig.class, Map.of("threads", 0));
        assertEquals("tandem.failover: threads = 0 is not from 1 to 64",
                assertThrows(IllegalArgumentException.class, () -> Timing.of(threads)).getMessage());
        assertEquals(Duration.ofMillis(2000), Timing.of(ConfigProxy.of(FailoverConfig.class, Map.of())).grace());
    }

    @Test
    public void setAutoFailoverValidatesEverythingBeforeChangingAnything() {
        assertEquals("Automatic failover disabled for ms1 (excluded Mailstores: ms1)",
                FailoverStatus.setAutoFailover(dir, List.of("disable", "mailstores", "ms1")));
        assertEquals("ms1", dir.global(Policy.EXCLUDED).orElseThrow());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> FailoverStatus.setAutoFailover(dir, List.of("disable", "mailstores", "ms2,ms9")));
        assertTrue(unknown.getMessage(), unknown.getMessage().startsWith("unknown Mailstore ms9 (servers: "));
        assertEquals("nothing changed", "ms1", dir.global(Policy.EXCLUDED).orElseThrow());
        assertEquals("core1 is not a Mailstore", assertThrows(IllegalArgumentException.class,
                () -> FailoverStatus.setAutoFailover(dir, List.of("disable", "mailstores", "core1"))).getMessage());
        assertEquals("expected 'enable' or 'disable' first, got 'off'", assertThrows(IllegalArgumentException.class,
                () -> FailoverStatus.setAutoFailover(dir, List.of("off"))).getMessage());
        assertEquals("Automatic failover enabled for ms1 (excluded Mailstores: none)",
                FailoverStatus.setAutoFailover(dir, List.of("enable", "mailstores", "ms1")));
        assertTrue(dir.global(Policy.EXCLUDED).isEmpty());
        assertEquals("Automatic failover disabled cluster-wide", FailoverStatus.setAutoFailover(dir, List.of("disable")));
        assertFalse(Policy.read(dir).enabled());
    }
}
