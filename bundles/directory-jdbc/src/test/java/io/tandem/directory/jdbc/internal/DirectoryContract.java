package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.Operation;
import io.tandem.api.directory.Replica;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.AccountStatus;
import io.tandem.api.directory.Domain;
import io.tandem.api.directory.Notification;
import io.tandem.api.directory.OwnershipConflictException;
import io.tandem.api.directory.Server;
import io.tandem.api.node.Role;
import io.tandem.api.test.ConfigProxy;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import java.util.stream.Collectors;
import org.osgi.service.jdbc.DataSourceFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.UUID;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * Behaviour of the directory, run unchanged against every supported database (H2 and PostgreSQL):
 * the subclasses provide the database.
 */
public abstract class DirectoryContract {

    private final List<DirectoryComponent> open = new ArrayList<>();
    protected DirectoryComponent dir;

    /** A JDBC URL of an empty database, fresh for each test. */
    protected abstract String freshDatabase() throws Exception;

    protected abstract DataSourceFactory driver();

    /** What {@code databaseStatus().role()} is on this database. */
    protected abstract String expectedRole();

    private String url;

    @Before
    public void openDirectory() throws Exception {
        url = freshDatabase();
        dir = connect();
        dir.registerServer(new Server("mbox1", "mbox1.example.com", Set.of(Role.MAILSTORE), Instant.now()));
        dir.registerServer(new Server("mbox2", "mbox2.example.com", Set.of(Role.MAILSTORE, Role.MTA), Instant.now()));
        dir.registerServer(new Server("mta1", "mta1.example.com", Set.of(Role.MTA), Instant.now()));
    }

    /** Another node's view of the same database. */
    protected DirectoryComponent connect() {
        DirectoryComponent d = new DirectoryComponent(List.of(driver()),
                ConfigProxy.of(DirectoryComponent.Config.class, Map.of("jdbc_url", url, "owner_cache_ttl_seconds", 3600)));
        open.add(d);
        return d;
    }

    @After
    public void close() {
        open.forEach(DirectoryComponent::deactivateForTest);
    }

    @Test
    public void theDatabaseAnswersWithItsProductAndReplicationRole() {
        io.tandem.api.directory.DatabaseStatus s = dir.databaseStatus();
        assertTrue(s.error(), s.reachable());
        assertEquals("", s.error());
        assertEquals(expectedRole(), s.role());
        assertTrue(s.product(), s.product().toLowerCase(java.util.Locale.ROOT).contains(
                expectedRole().equals(io.tandem.api.directory.DatabaseStatus.STANDALONE) ? "h2" : "postgresql"));
        assertTrue("a lone server has no standby: " + s.standbys(), s.standbys().isEmpty());
        assertFalse("no credentials in " + s.url(), s.url().contains("password"));
    }

    @Test
    public void domainsAreCreatedListedAndDeleted() {
        Domain d = dir.createDomain("Example.COM");
        assertEquals("example.com", d.name());
        dir.createDomain("other.org");
        assertEquals(List.of("example.com", "other.org"), dir.domains().stream().map(Domain::name).toList());
        assertTrue(dir.domain("example.com").isPresent());
        dir.deleteDomain("other.org");
        assertFalse(dir.domain("other.org").isPresent());
    }

    @Test
    public void badDomainsAreRefusedNamingTheValue() {
        dir.createDomain("example.com");
        assertMessage(() -> dir.createDomain("example.com"), "'example.com' already exists");
        assertMessage(() -> dir.createDomain("ex*.com"), "'ex*.com' contains a wildcard");
        assertMessage(() -> dir.createDomain("nodot"), "'nodot' is invalid");
        assertMessage(() -> dir.deleteDomain("missing.com"), "'missing.com' does not exist");
        assertEquals(1, dir.domains().size());
    }

    @Test
    public void aDomainWithAccountsCannotBeDeleted() {
        dir.createDomain("example.com");
        dir.createAccount("a@example.com", "mbox1");
        assertMessage(() -> dir.deleteDomain("example.com"), "still has 1 account(s)");
        assertTrue(dir.domain("example.com").isPresent());
    }

    @Test
    public void accountsAreCreatedReadListedAndDeleted() {
        dir.createDomain("example.com");
        Account a = dir.createAccount("Alice@Example.com", "mbox1");
        assertEquals("alice@example.com", a.name());
        assertEquals("example.com", a.domain());
        assertEquals("mbox1", a.mailHost());
        assertEquals(1, a.epoch());
        assertEquals(AccountStatus.ACTIVE, a.status());
        assertEquals(a, dir.account("alice@example.com").orElseThrow());
        assertEquals(a, dir.account(a.id()).orElseThrow());
        dir.createAccount("bob@example.com", "mbox2");
        assertEquals(List.of("alice@example.com", "bob@example.com"),
                dir.accounts("example.com").stream().map(Account::name).toList());
        assertEquals(2, dir.accounts(null).size());
        dir.deleteAccount("bob@example.com");
        assertFalse(dir.account("bob@example.com").isPresent());
    }

    @Test
    public void badAccountsAreRefusedAndNothingChanges() {
        dir.createDomain("example.com");
        dir.createAccount("a@example.com", "mbox1");
        assertMessage(() -> dir.createAccount("a@example.com", "mbox1"), "'a@example.com' already exists");
        assertMessage(() -> dir.createAccount("b@missing.com", "mbox1"), "domain 'missing.com' of account 'b@missing.com' does not exist");
        assertMessage(() -> dir.createAccount("b*@example.com", "mbox1"), "'b*@example.com' contains a wildcard");
        assertMessage(() -> dir.createAccount("?ob@example.com", "mbox1"), "contains a wildcard");
        assertMessage(() -> dir.createAccount("noat.example.com", "mbox1"), "expected local@domain");
        assertMessage(() -> dir.createAccount("b@example.com", "nosuch"), "'nosuch' is not a registered server");
        assertMessage(() -> dir.createAccount("b@example.com", "mta1"), "'mta1' does not play the mailstore role");
        assertMessage(() -> dir.deleteAccount("zz@example.com"), "'zz@example.com' does not exist");
        assertMessage(() -> dir.accounts("missing.com"), "'missing.com' does not exist");
        assertEquals(1, dir.accounts(null).size());
    }

    @Test
    public void accountStatusIsSet() {
        dir.createDomain("example.com");
        dir.createAccount("a@example.com", "mbox1");
        assertEquals(AccountStatus.LOCKED, dir.setAccountStatus("a@example.com", AccountStatus.LOCKED).status());
        assertEquals(AccountStatus.LOCKED, dir.account("a@example.com").orElseThrow().status());
        assertMessage(() -> dir.setAccountStatus("x@example.com", AccountStatus.ACTIVE), "'x@example.com' does not exist");
        assertMessage(() -> AccountStatus.parse("frozen"), "unknown account status 'frozen'");
    }

    @Test
    public void ownershipIsCompareAndSetOnHostAndEpoch() throws Exception {
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        Account moved = dir.changeOwner(a.id(), "mbox1", 1, "mbox2");
        assertEquals("mbox2", moved.mailHost());
        assertEquals(2, moved.epoch());

        OwnershipConflictException stale = assertThrows(OwnershipConflictException.class,
                () -> dir.changeOwner(a.id(), "mbox1", 1, "mbox1"));
        assertTrue(stale.getMessage(), stale.getMessage().contains("owned by mbox2 under epoch 2"));
        assertEquals(2, stale.current().epoch());
        assertEquals("mbox2", dir.account(a.id()).orElseThrow().mailHost());

        assertThrows(OwnershipConflictException.class, () -> dir.changeOwner(a.id(), "mbox2", 1, "mbox1"));
        assertMessage(() -> dir.changeOwner(a.id(), "mbox2", 2, "mta1"), "does not play the mailstore role");
        assertEquals(2, dir.account(a.id()).orElseThrow().epoch());
    }

    @Test
    public void ownershipMovesInBulkEachChangeOnItsOwn() {
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        Account b = dir.createAccount("b@example.com", "mbox1");
        Account c = dir.createAccount("c@example.com", "mbox1");
        List<Account> moved = dir.changeOwners(List.of(
                new DirectoryAdminService.OwnerChange(a.id(), "mbox1", 1, "mbox2"),
                new DirectoryAdminService.OwnerChange(b.id(), "mbox1", 7, "mbox2"), // stale epoch: conflicts alone
                new DirectoryAdminService.OwnerChange(c.id(), "mbox1", 1, "mbox2")));
        assertEquals(3, moved.size());
        assertEquals("mbox2", moved.get(0).mailHost());
        assertEquals(2, moved.get(0).epoch());
        assertEquals(null, moved.get(1));
        assertEquals(2, moved.get(2).epoch());
        assertEquals("mbox1", dir.account(b.id()).orElseThrow().mailHost());
        assertEquals(1, dir.account(b.id()).orElseThrow().epoch());
        assertEquals("mbox2", dir.account(c.id()).orElseThrow().mailHost());
        // a destination that is not a Mailstore refuses the whole transaction: nothing moves
        assertMessage(() -> dir.changeOwners(List.of(new DirectoryAdminService.OwnerChange(b.id(), "mbox1", 1, "mbox2"),
                new DirectoryAdminService.OwnerChange(a.id(), "mbox2", 2, "mta1"))), "does not play the mailstore role");
        assertEquals("mbox1", dir.account(b.id()).orElseThrow().mailHost());
        assertEquals(List.of(), dir.changeOwners(List.of()));
    }

    @Test
    public void replicasOfManyAccountsAreRemovedTogether() {
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        Account b = dir.createAccount("b@example.com", "mbox1");
        dir.addReplica(a.id(), "mbox2", 10, null);
        dir.addReplica(b.id(), "mbox2", 10, null);
        dir.addReplica(a.id(), "mbox3", 20, null);
        assertEquals(2, dir.removeReplicas("mbox2", List.of(a.id(), b.id(), UUID.randomUUID())));
        assertEquals(List.of(), dir.replicasOn("mbox2"));
        assertEquals(1, dir.replicasOn("mbox3").size());
        assertEquals(0, dir.removeReplicas("mbox2", List.of()));

        // back in bulk: existing rows and deleted accounts are skipped, the rest added as initialising
        dir.deleteAccount("b@example.com");
        assertEquals(1, dir.addReplicas(List.of(
                new Replica(a.id(), "mbox2", 15, Replica.IN_SYNC, "", null, 0),
                new Replica(a.id(), "mbox3", 5, Replica.IN_SYNC, "", null, 0),   // exists already: kept as it was
                new Replica(b.id(), "mbox2", 15, Replica.IN_SYNC, "", null, 0)))); // account deleted
        Replica back = dir.replicasOn("mbox2").get(0);
        assertEquals(a.id(), back.accountId());
        assertEquals(15, back.priority());
        assertEquals(Replica.INITIALISING, back.state());
        assertEquals(20, dir.replicasOn("mbox3").get(0).priority());
        assertEquals(0, dir.addReplicas(List.of()));
    }

    /** A take-over not finished: the owner the directory names still keeps a replica row for the account. */
    @Test
    public void unfinishedTakeOversAreReplicaRowsOnTheAccountsOwnOwner() throws Exception {
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        Account b = dir.createAccount("b@example.com", "mbox1");
        dir.addReplica(a.id(), "mbox2", 10, null);
        dir.addReplica(b.id(), "mbox2", 10, null);
        dir.addReplica(b.id(), "mbox3", 20, null);
        assertEquals(List.of(), dir.unfinishedTakeOvers());
        dir.changeOwner(b.id(), "mbox1", b.epoch(), "mbox2");
        List<Replica> stuck = dir.unfinishedTakeOvers();
        assertEquals(1, stuck.size());
        assertEquals(b.id(), stuck.get(0).accountId());
        assertEquals("mbox2", stuck.get(0).destination());
        dir.removeReplicas("mbox2", List.of(b.id())); // taken over
        assertEquals(List.of(), dir.unfinishedTakeOvers());
    }

    /** A take-over counts only under the epoch the directory holds; the former owner comes back as a replica. */
    @Test
    public void aTakeOverIsRecordedOnlyUnderTheCurrentOwnerAndEpoch() throws Exception {
        dir.registerServer(new Server("mbox3", "mbox3.example.com", Set.of(Role.MAILSTORE), Instant.now()));
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        dir.addReplica(a.id(), "mbox2", 10, null);
        dir.addReplica(a.id(), "mbox3", 20, null);
        Account toMbox2 = dir.changeOwner(a.id(), "mbox1", a.epoch(), "mbox2");
        Account toMbox3 = dir.changeOwner(a.id(), "mbox2", toMbox2.epoch(), "mbox3");
        assertEquals("a stale take-over records nothing", Set.of(),
                dir.takeOver("mbox2", List.of(new DirectoryAdminService.TakeOver(a.id(), toMbox2.epoch(), "mbox1", 10))));
        assertEquals(Set.of("mbox2", "mbox3"), dir.replicas(a.id()).stream().map(Replica::destination).collect(Collectors.toSet()));
        assertEquals(Set.of(a.id()),
                dir.takeOver("mbox3", List.of(new DirectoryAdminService.TakeOver(a.id(), toMbox3.epoch(), "mbox2", 20))));
        assertEquals("mbox3's row gone; mbox2 kept its own", List.of("mbox2"),
                dir.replicas(a.id()).stream().map(Replica::destination).toList());
        assertEquals("no replica row on the owner itself", 0, dir.addReplicas(List.of(
                new Replica(a.id(), "mbox3", 5, Replica.IN_SYNC, "", null, 0))));
    }

    /**
     * Claims (decision 0027): an account's first owner holds its first epoch's claim; a promotion leaves the claim
     * where it was until the new owner claims; only an account whose owner never claimed its epoch is given back,
     * and only to its claimant.
     */
    @Test
    public void anEpochNeverClaimedIsGivenBackToItsClaimantAndAClaimedOneNever() throws Exception {
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        assertTrue("its first owner claimed its first epoch", a.claimed());
        assertEquals(a, dir.account(a.id()).orElseThrow());
        Account toMbox2 = dir.changeOwner(a.id(), "mbox1", a.epoch(), "mbox2");
        assertFalse("promoted, not claimed yet", toMbox2.claimed());
        assertEquals("mbox1", toMbox2.claimedHost());
        assertEquals(1, toMbox2.claimedEpoch());
        assertEquals("only the owner under that epoch claims it", Set.of(), dir.claim("mbox1", Map.of(a.id(), toMbox2.epoch())));
        assertEquals("not an epoch it does not own", Set.of(), dir.claim("mbox2", Map.of(a.id(), a.epoch())));
        assertEquals("not to anyone but the claimant", java.util.Arrays.asList((Account) null), dir.giveBack(List.of(
                new DirectoryAdminService.OwnerChange(a.id(), "mbox2", toMbox2.epoch(), "mbox2"))));
        List<Account> back = dir.giveBack(List.of(new DirectoryAdminService.OwnerChange(a.id(), "mbox2", toMbox2.epoch(), "mbox1")));
        assertEquals("mbox1", back.get(0).mailHost());
        assertEquals(3, back.get(0).epoch());
        assertFalse("its claimant claims the new epoch when it takes it over", back.get(0).claimed());
        assertEquals(1, back.get(0).claimedEpoch());
        assertEquals(Set.of(a.id()), dir.claim("mbox1", Map.of(a.id(), 3L)));
        assertTrue(dir.account(a.id()).orElseThrow().claimed());
        assertEquals("a claimed epoch is never given back", java.util.Arrays.asList((Account) null), dir.giveBack(List.of(
                new DirectoryAdminService.OwnerChange(a.id(), "mbox1", 3, "mbox1"))));
        assertEquals(3, dir.account(a.id()).orElseThrow().epoch());
    }

    /** A claim and a give-back of the same epoch, from two nodes at once: exactly one of them wins, every time. */
    @Test
    public void aClaimAndAGiveBackRacingHaveExactlyOneWinner() throws Exception {
        dir.createDomain("example.com");
        DirectoryComponent other = connect();
        for (int i = 0; i < 10; i++) {
            Account a = dir.createAccount("race" + i + "@example.com", "mbox1");
            Account promoted = dir.changeOwner(a.id(), "mbox1", a.epoch(), "mbox2");
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
            java.util.concurrent.atomic.AtomicReference<Set<UUID>> claimed = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicReference<List<Account>> given = new java.util.concurrent.atomic.AtomicReference<>();
            Thread claimer = new Thread(() -> {
                await(start);
                claimed.set(dir.claim("mbox2", Map.of(a.id(), promoted.epoch())));
            });
            Thread giver = new Thread(() -> {
                await(start);
                given.set(other.giveBack(List.of(new DirectoryAdminService.OwnerChange(a.id(), "mbox2", promoted.epoch(), "mbox1"))));
            });
            claimer.start();
            giver.start();
            claimer.join(30_000);
            giver.join(30_000);
            boolean claimWon = claimed.get().contains(a.id());
            boolean giveBackWon = given.get().get(0) != null;
            assertTrue("round " + i + ": claim " + claimWon + ", give-back " + giveBackWon, claimWon ^ giveBackWon);
            Account now = dir.account(a.id()).orElseThrow();
            assertEquals(claimWon ? "mbox2" : "mbox1", now.mailHost());
            assertEquals(claimWon, now.claimed());
        }
    }

    private static void await(java.util.concurrent.CyclicBarrier barrier) {
        try {
            barrier.await(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The applier's own transition loses against an operator's change made since it last read the row. */
    @Test
    public void aReplicaStateChangesByCompareAndSetOnStateAndTime() {
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        dir.addReplica(a.id(), "mbox2", 10, null);
        Replica seen = dir.replicas(a.id()).get(0);
        dir.setReplicaState(a.id(), "mbox2", Replica.PAUSED, "paused");
        Replica restarted = dir.setReplicaState(a.id(), "mbox2", Replica.INITIALISING, "restarted").orElseThrow();
        assertTrue("every change moves the time", restarted.updatedMillis() > seen.updatedMillis());
        assertEquals(Replica.INITIALISING, dir.compareAndSetReplicaState(seen, Replica.IN_SYNC, "").orElseThrow().state());
        assertEquals(Replica.IN_SYNC, dir.compareAndSetReplicaState(restarted, Replica.IN_SYNC, "").orElseThrow().state());
    }

    @Test
    public void concurrentOwnershipChangesHaveExactlyOneWinner() throws Exception {
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        DirectoryComponent other = connect();
        List<Thread> threads = new ArrayList<>();
        List<Account> winners = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Throwable> conflicts = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int i = 0; i < 8; i++) {
            DirectoryComponent d = i % 2 == 0 ? dir : other;
            Thread t = new Thread(() -> {
                try {
                    winners.add(d.changeOwner(a.id(), "mbox1", 1, "mbox2"));
                } catch (OwnershipConflictException e) {
                    conflicts.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(30_000);
        }
        assertEquals("winners: " + winners, 1, winners.size());
        assertEquals(7, conflicts.size());
        assertEquals(2, dir.account(a.id()).orElseThrow().epoch());
    }

    @Test
    public void theOwnerCacheNeverServesAnEpochOlderThanTheLastNotification() throws Exception {
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        DirectoryComponent otherNode = connect();
        assertEquals("mbox1", dir.owner(a.id()).orElseThrow().mailHost()); // cached now (TTL is an hour)

        otherNode.changeOwner(a.id(), "mbox1", 1, "mbox2"); // another node moves it
        // until this node hears of it, its cache may still answer mbox1 — that is what the notification is for
        dir.onMessage(JdbcDirectory.OWNER_TOPIC, a.id() + " 2");
        Account seen = dir.owner(a.id()).orElseThrow();
        assertEquals("mbox2", seen.mailHost());
        assertEquals(2, seen.epoch());

        // a notification about an older epoch does not evict a newer entry; malformed ones are ignored
        dir.onMessage(JdbcDirectory.OWNER_TOPIC, a.id() + " 1");
        dir.onMessage(JdbcDirectory.OWNER_TOPIC, "garbage");
        assertEquals(2, dir.owner(a.id()).orElseThrow().epoch());

        // the node that made the change never serves the old owner
        Account back = otherNode.changeOwner(a.id(), "mbox2", 2, "mbox1");
        assertEquals(back, otherNode.owner(a.id()).orElseThrow());
    }

    @Test
    public void accountsOfOneMailstoreAndReplicasOfSomeAccounts() {
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        Account b = dir.createAccount("b@example.com", "mbox2");
        Account c = dir.createAccount("c@example.com", "mbox1");
        assertEquals(List.of(a.id(), c.id()), dir.accountsOn("mbox1").stream().map(Account::id).toList());
        assertEquals(List.of(), dir.accountsOn("nowhere"));
        dir.addReplica(a.id(), "ms3", 20, null);
        dir.addReplica(a.id(), "ms2", 10, null);
        dir.addReplica(b.id(), "ms2", 10, null);
        dir.addReplica(c.id(), "ms3", 10, null);
        List<Replica> of = dir.replicasOf(List.of(a.id(), c.id(), a.id(), UUID.randomUUID()));
        assertEquals(3, of.size());
        assertEquals(List.of("ms2", "ms3"), of.stream().filter(r -> r.accountId().equals(a.id())).map(Replica::destination).toList());
        assertTrue(of.stream().noneMatch(r -> r.accountId().equals(b.id())));
        assertEquals(List.of(), dir.replicasOf(List.of()));
    }

    @Test
    public void oneNotificationAnnouncesAWholeBulkMove() {
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        Account b = dir.createAccount("b@example.com", "mbox1");
        DirectoryComponent otherNode = connect();
        assertEquals("mbox1", dir.owner(a.id()).orElseThrow().mailHost()); // both cached now
        assertEquals("mbox1", dir.owner(b.id()).orElseThrow().mailHost());

        otherNode.changeOwners(List.of(new DirectoryAdminService.OwnerChange(a.id(), "mbox1", 1, "mbox2"),
                new DirectoryAdminService.OwnerChange(b.id(), "mbox1", 1, "mbox2")));
        // what the other node publishes for a bulk move: a line per account; a malformed line spoils only itself
        dir.onMessage(JdbcDirectory.OWNER_TOPIC, a.id() + " 2\nnot an announcement\n" + b.id() + " 2");
        assertEquals("mbox2", dir.owner(a.id()).orElseThrow().mailHost());
        assertEquals("mbox2", dir.owner(b.id()).orElseThrow().mailHost());
    }

    @Test
    public void replicasAreAddedWithStateAndRemoved() {
        dir.createDomain("example.com");
        Account a = dir.createAccount("a@example.com", "mbox1");
        UUID op = UUID.randomUUID();
        dir.addReplica(a.id(), "ms3", 20, op);
        Replica b = dir.addReplica(a.id(), "ms2", 10, null);
        assertEquals(Replica.INITIALISING, b.state());
        assertEquals(List.of("ms2", "ms3"), dir.replicas(a.id()).stream().map(Replica::destination).toList());
        assertEquals(op, dir.replicasOn("ms3").get(0).operationId());
        assertMessage(() -> dir.addReplica(a.id(), "ms2", 5, null), "already replicates to ms2");
        assertMessage(() -> dir.addReplica(UUID.randomUUID(), "ms2", 5, null), "no such account");

        Replica failed = dir.setReplicaState(a.id(), "ms2", Replica.FAILED, "gap: expected 4, got 6").orElseThrow();
        assertEquals("gap: expected 4, got 6", failed.detail());
        assertEquals(Replica.FAILED, dir.replicas(a.id()).get(0).state());
        assertTrue(dir.setReplicaState(a.id(), "nowhere", Replica.IN_SYNC, "").isEmpty());
        assertEquals(2, dir.replicas().size());

        assertTrue(dir.removeReplica(a.id(), "ms2"));
        assertFalse(dir.removeReplica(a.id(), "ms2"));
        assertEquals(List.of("ms3"), dir.replicas(a.id()).stream().map(Replica::destination).toList());
        assertTrue(dir.replicasOn("ms2").isEmpty());
    }

    @Test
    public void operationsFinishExactlyOnceWhenEveryItemIsCounted() {
        Operation op = dir.startOperation("setAccountDestination", "core1", 3, "3 accounts to ms2");
        assertEquals(Operation.RUNNING, op.state());
        assertFalse(dir.progress(op.id(), 1, 0, "").finished());
        assertFalse(dir.progress(op.id(), 0, 1, "b@example.com: no replica").finished());
        DirectoryAdminService.Progress last = dir.progress(op.id(), 1, 0, null);
        assertTrue(last.finished());
        assertEquals(Operation.FAILED, last.operation().state());
        assertFalse("a late count does not finish it again", dir.progress(op.id(), 1, 0, null).finished());
        Operation seen = connect().operation(op.id()).orElseThrow();
        assertEquals(3, seen.done());
        assertEquals(1, seen.failed());
        assertTrue(seen.detail(), seen.detail().contains("b@example.com: no replica"));
        assertEquals(op.id(), dir.operations(5).get(0).id());
        assertEquals(Operation.DONE, dir.startOperation("pauseReplicas", "core1", 0, "").state());
    }

    @Test
    public void globalConfigurationIsSetReadAndRemoved() {
        dir.setGlobal("brokers", "h1:9092,h2:9092");
        assertEquals("h1:9092,h2:9092", dir.global("brokers").orElseThrow());
        dir.setGlobal("brokers", "h3:9092");
        assertEquals(Map.of("brokers", "h3:9092"), dir.globals());
        dir.setGlobal("brokers", null);
        assertFalse(dir.global("brokers").isPresent());
        assertMessage(() -> dir.setGlobal("bad key", "x"), "global key 'bad key' is invalid");
    }

    @Test
    public void notificationsAreKeptNewestFirst() {
        Notification first = dir.notify(Notification.Severity.INFO, "replica in sync", "a@example.com on mbox2");
        Notification second = dir.notify(Notification.Severity.WARNING, "promotion", "a@example.com promoted");
        assertNotEquals(first.id(), second.id());
        assertEquals(List.of("promotion", "replica in sync"), dir.notifications(10).stream().map(Notification::subject).toList());
        assertEquals(1, dir.notifications(1).size());
        assertMessage(() -> dir.notify(Notification.Severity.INFO, "", "x"), "subject");
    }

    @Test
    public void serversAreRegisteredWithTheirRoles() {
        dir.registerServer(new Server("mbox1", "mbox1.example.com", Set.of(Role.MAILSTORE, Role.CORE), Instant.now()));
        Server s = dir.servers().stream().filter(x -> x.name().equals("mbox1")).findFirst().orElseThrow();
        assertEquals(Set.of(Role.MAILSTORE, Role.CORE), s.roles());
        assertEquals(3, dir.servers().size());
    }

    @Test
    public void aSecondNodeOnTheSameDatabaseMigratesNothingAndSeesTheData() {
        dir.createDomain("example.com");
        DirectoryComponent second = connect();
        assertEquals(1, second.domains().size());
    }

    @Test
    public void bucketsAndVolumesArePersistedAndSeenByEveryNode() {
        io.tandem.api.blob.BucketConfig b = dir.createBucket("MinIO", "http://127.0.0.1:9000/", "mail", null, "tandemkey", "s3cr3tkey");
        io.tandem.api.blob.Volume s3 = dir.createVolume("s3-primary", io.tandem.api.blob.Volume.Kind.PRIMARY,
                io.tandem.api.blob.Volume.Type.S3, b.id(), "store1", true);
        io.tandem.api.blob.Volume local = dir.createVolume("local-primary", io.tandem.api.blob.Volume.Kind.PRIMARY,
                io.tandem.api.blob.Volume.Type.LOCAL, null, "/var/tandem/blobs", false);
        dir.setCurrent(s3.id());
        DirectoryComponent other = connect();
        assertEquals(List.of(b), other.buckets());
        assertEquals("http://127.0.0.1:9000", other.bucket(b.id()).orElseThrow().endpoint());
        assertEquals(List.of("s3-primary", "local-primary"), other.volumes().stream().map(io.tandem.api.blob.Volume::name).toList());
        assertEquals(s3.id(), other.current(io.tandem.api.blob.Volume.Kind.PRIMARY).orElseThrow().id());

        other.setCurrent(local.id());
        assertEquals(local.id(), dir.current(io.tandem.api.blob.Volume.Kind.PRIMARY).orElseThrow().id());
        assertFalse(dir.volume(s3.id()).orElseThrow().current());
        assertEquals("s3-main", dir.updateVolume(s3.id(), "s3-main", null).name());
        assertEquals("s3-main", other.volume(s3.id()).orElseThrow().name());
        dir.deleteVolume(s3.id());
        dir.deleteBucket(b.id());
        assertTrue(other.buckets().isEmpty());
    }

    @Test
    public void refusedVolumeChangesChangeNothing() {
        io.tandem.api.blob.BucketConfig b = dir.createBucket("MinIO", "http://127.0.0.1:9000", "mail", "", "tandemkey", "s3cr3tkey");
        io.tandem.api.blob.Volume v = dir.createVolume("s3-primary", io.tandem.api.blob.Volume.Kind.PRIMARY,
                io.tandem.api.blob.Volume.Type.S3, b.id(), "store1", true);
        dir.setCurrent(v.id());
        assertMessage(() -> dir.createBucket("MinIO", "http://127.0.0.1:9000", "mail", "", "k2key", "s2"), "already registered");
        assertMessage(() -> dir.deleteBucket(b.id()), "is used by volume s3-primary");
        assertMessage(() -> dir.deleteVolume(v.id()), "is the current primary volume");
        assertMessage(() -> dir.createVolume("S3-PRIMARY", io.tandem.api.blob.Volume.Kind.SECONDARY,
                io.tandem.api.blob.Volume.Type.S3, b.id(), "other", true), "already used");
        assertMessage(() -> dir.createVolume("loc", io.tandem.api.blob.Volume.Kind.PRIMARY,
                io.tandem.api.blob.Volume.Type.LOCAL, null, "/x", true), "cannot be centralized");
        assertEquals(1, dir.buckets().size());
        assertEquals(List.of(v.withCurrent(true)), dir.volumes());
    }

    @Test
    public void concurrentVolumeChangesFromTwoNodesAreSerialised() throws Exception {
        io.tandem.api.blob.BucketConfig b = dir.createBucket("MinIO", "http://127.0.0.1:9000", "mail", "", "tandemkey", "s3cr3tkey");
        DirectoryComponent other = connect();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> refused = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int i = 0; i < 6; i++) {
            DirectoryComponent d = i % 2 == 0 ? dir : other;
            Thread t = new Thread(() -> {
                try {
                    d.createVolume("same-name", io.tandem.api.blob.Volume.Kind.PRIMARY, io.tandem.api.blob.Volume.Type.S3,
                            b.id(), "p" + Thread.currentThread().getId(), true);
                } catch (IllegalArgumentException e) {
                    refused.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(30_000);
        }
        assertEquals("one volume named same-name: " + dir.volumes(), 1, dir.volumes().size());
        assertEquals(5, refused.size());
    }

    protected static void assertMessage(ThrowingRunnable r, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue("message '" + e.getMessage() + "' should contain '" + expected + "'", e.getMessage().contains(expected));
    }

    @FunctionalInterface
    protected interface ThrowingRunnable {
        void run() throws Throwable;
    }
}
