package io.tandem.cluster.hazelcast.internal;

import io.tandem.api.test.Await;
import io.tandem.api.cluster.ClusterEvent;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.cluster.RoleRedundancy;
import io.tandem.api.node.Health;
import io.tandem.api.node.Role;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.LocalNodeAdapter;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** Two real Hazelcast members on the loopback address, in a cluster of their own. */
public class HazelcastClusterServiceTest {

    private static final Duration JOIN = Duration.ofSeconds(30);
    private static final Duration CHANGE = Duration.ofSeconds(5);
    private static final Duration LEAVE = Duration.ofSeconds(15);

    private final String clusterName = "tandem-test-" + UUID.randomUUID().toString().substring(0, 8);
    private final LocalNodeAdapter alphaNode = new LocalNodeAdapter("alpha", "127.0.0.1").setRoles(Role.CORE, Role.MAILSTORE);
    private final LocalNodeAdapter betaNode = new LocalNodeAdapter("beta", "127.0.0.1").setRoles(Role.MTA);
    private final List<ClusterEvent> events = new CopyOnWriteArrayList<>();
    private final List<HazelcastClusterService> started = new ArrayList<>();
    private int alphaPort;
    private int betaPort;

    @Before
    public void freePorts() throws IOException {
        // both open at once, so they differ
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            alphaPort = a.getLocalPort();
            betaPort = b.getLocalPort();
        }
    }

    @After
    public void stop() {
        started.forEach(HazelcastClusterService::deactivate);
    }

    private HazelcastClusterService.Config config(int port) {
        Map<String, Object> values = new HashMap<>();
        values.put("cluster_name", clusterName);
        values.put("port", port);
        values.put("seeds", "127.0.0.1:" + alphaPort + ",127.0.0.1:" + betaPort);
        values.put("failure_detection_seconds", 5);
        values.put("publish_interval_ms", 100);
        values.put("record_refresh_ms", 300);
        values.put("expected_roles", "core=3,mailstore=1,mta=1");
        return ConfigProxy.of(HazelcastClusterService.Config.class, values);
    }

    private HazelcastClusterService start(LocalNodeAdapter node, int port) {
        HazelcastClusterService service = new HazelcastClusterService(node, config(port));
        started.add(service);
        return service;
    }

    /** Polls the condition until it holds or the timeout passes (then fails with the message). */
    private static void await(BooleanSupplier condition, Duration timeout, Supplier<String> message) {
        Await.until("", timeout, Duration.ofMillis(50), condition, message);
    }

    private static Optional<ClusterNode> find(HazelcastClusterService service, String name) {
        return service.nodes().stream().filter(n -> n.name().equals(name)).findFirst();
    }

    private static boolean sees(HazelcastClusterService service, String name, EnumSet<Role> roles) {
        return find(service, name).map(n -> n.roles().equals(roles)).orElse(false);
    }

    private boolean hasEvent(ClusterEvent.Type type, String name) {
        return events.stream().anyMatch(e -> e.type() == type && e.node().name().equals(name));
    }

    private void awaitBothJoined(HazelcastClusterService alpha, HazelcastClusterService beta) throws InterruptedException {
        for (HazelcastClusterService s : List.of(alpha, beta)) {
            await(() -> s.nodes().size() == 2 && sees(s, "alpha", EnumSet.of(Role.CORE, Role.MAILSTORE))
                            && sees(s, "beta", EnumSet.of(Role.MTA)),
                    JOIN, () -> "both members with their roles, seen from " + (s == alpha ? "alpha" : "beta") + ": " + s.nodes());
        }
    }

    /**
     * A listener of the whiteboard is not got on the thread that binds it: most listeners reference the cluster
     * service, and getting one while SCR created the service for it was a cycle (an ERROR in the log at some
     * starts). It is got on a thread of its own, which may wait on SCR (the component being created) without
     * holding up the dispatch of events; the events that came meanwhile reach it afterwards, in order. It is
     * given back when it is unbound.
     */
    @Test
    public void aWhiteboardListenerIsGotOffTheBindingAndDispatchThreadsAndMissesNoEventMeanwhile() throws Exception {
        List<String> calls = new CopyOnWriteArrayList<>();
        java.util.concurrent.CountDownLatch created = new java.util.concurrent.CountDownLatch(1);
        org.osgi.service.component.ComponentServiceObjects<io.tandem.api.cluster.ClusterListener> objects =
                new org.osgi.service.component.ComponentServiceObjects<>() {
                    @Override
                    public io.tandem.api.cluster.ClusterListener getService() {
                        calls.add("get on " + Thread.currentThread().getName());
                        try {
                            // SCR still creating the listener's component
                            assertTrue(created.await(60, java.util.concurrent.TimeUnit.SECONDS));
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        return events::add;
                    }

                    @Override
                    public void ungetService(io.tandem.api.cluster.ClusterListener service) {
                        calls.add("unget");
                    }

                    @Override
                    public org.osgi.framework.ServiceReference<io.tandem.api.cluster.ClusterListener> getServiceReference() {
                        return null;
                    }
                };
        List<ClusterEvent> direct = new CopyOnWriteArrayList<>();
        HazelcastClusterService alpha = start(alphaNode, alphaPort);
        alpha.addClusterListener(direct::add);
        alpha.bindClusterListener(objects); // returns although the listener cannot be had yet

        // the dispatch goes on meanwhile: another listener hears alpha's own join, the pending one keeps it
        await(() -> direct.stream().anyMatch(e -> e.type() == ClusterEvent.Type.NODE_JOINED && e.node().name().equals("alpha")),
                JOIN, () -> "alpha's own join, heard by the listener given directly: " + direct);
        assertEquals("nothing reached the listener not got yet", List.of(), events);
        created.countDown();
        await(() -> hasEvent(ClusterEvent.Type.NODE_JOINED, "alpha"), JOIN, () -> "the kept join, once the listener is got: " + events);
        assertEquals("got once, on the resolver thread", List.of("get on tandem-cluster-listeners"), calls);
        assertEquals("the same events, in the same order", direct.subList(0, events.size()), events);

        alpha.unbindClusterListener(objects);
        assertEquals(List.of("get on tandem-cluster-listeners", "unget"), calls);
        int heard = events.size();
        HazelcastClusterService beta = start(betaNode, betaPort);
        awaitBothJoined(alpha, beta);
        await(() -> direct.stream().anyMatch(e -> e.type() == ClusterEvent.Type.NODE_JOINED && e.node().name().equals("beta")),
                JOIN, () -> "beta's join, heard by the listener given directly: " + direct);
        assertEquals("an unbound listener hears nothing more", heard, events.size());
    }

    @Test
    public void twoMembersSeeEachOtherTheirRolesAndTheirChanges() throws Exception {
        HazelcastClusterService alpha = start(alphaNode, alphaPort);
        alpha.addClusterListener(events::add);
        HazelcastClusterService beta = start(betaNode, betaPort);

        awaitBothJoined(alpha, beta);

        List<ClusterNode> fromAlpha = alpha.nodes();
        assertEquals(List.of("alpha", "beta"), fromAlpha.stream().map(ClusterNode::name).toList());
        assertTrue("alpha is local on alpha", fromAlpha.get(0).local());
        assertFalse("beta is remote on alpha", fromAlpha.get(1).local());
        assertEquals("127.0.0.1", fromAlpha.get(1).address());
        assertEquals("beta.test", fromAlpha.get(1).fqdn());
        assertEquals(LocalNodeAdapter.VERSION, fromAlpha.get(1).version());
        assertEquals("127.0.0.1:" + betaPort, fromAlpha.get(1).endpoints().get("cluster"));
        assertEquals(ClusterNode.State.UP, fromAlpha.get(1).state());
        assertTrue("beta is local on beta", find(beta, "beta").orElseThrow().local());
        assertEquals("the same membership id on both sides",
                find(alpha, "beta").orElseThrow().id(), find(beta, "beta").orElseThrow().id());

        ClusterStatus status = alpha.status();
        assertEquals(new ClusterStatus(clusterName, true, 2, 1, 3), status);
        assertFalse("1 of 3 core nodes", status.quorum());
        RoleRedundancy mta = alpha.redundancy().get(Role.MTA.ordinal());
        assertEquals(new RoleRedundancy(Role.MTA, List.of("beta"), 1, 1), mta);
        assertEquals(List.of(find(alpha, "beta").orElseThrow()), alpha.nodes(Role.MTA));

        await(() -> hasEvent(ClusterEvent.Type.NODE_JOINED, "beta"), CHANGE, () -> "NODE_JOINED of beta: " + events);

        // beta changes roles: alpha sees it within a few seconds, and its listener is told
        betaNode.setRoles(Role.MTA, Role.PROXY);
        await(() -> sees(alpha, "beta", EnumSet.of(Role.MTA, Role.PROXY)), CHANGE, () -> "beta's new roles on alpha: " + alpha.nodes());
        await(() -> events.stream().anyMatch(e -> e.type() == ClusterEvent.Type.NODE_UPDATED
                        && e.node().name().equals("beta") && e.node().plays(Role.PROXY)),
                CHANGE, () -> "NODE_UPDATED of beta with proxy: " + events);

        // a role going DOWN on beta shows as DEGRADED on alpha
        betaNode.setRoleActive(Role.PROXY, Health.down("backend unreachable"));
        await(() -> find(alpha, "beta").map(n -> n.state() == ClusterNode.State.DEGRADED
                        && n.unhealthy().equals(EnumSet.of(Role.PROXY))).orElse(false),
                CHANGE, () -> "beta degraded on alpha: " + alpha.nodes());

        // beta leaves
        beta.deactivate();
        await(() -> alpha.nodes().size() == 1, LEAVE, () -> "only alpha left: " + alpha.nodes());
        assertEquals("alpha", alpha.nodes().get(0).name());
        await(() -> hasEvent(ClusterEvent.Type.NODE_LEFT, "beta"), CHANGE, () -> "NODE_LEFT of beta: " + events);

        List<ClusterEvent.Type> betaEvents = events.stream().filter(e -> e.node().name().equals("beta"))
                .map(ClusterEvent::type).toList();
        assertEquals("first event of beta: " + betaEvents, ClusterEvent.Type.NODE_JOINED, betaEvents.get(0));
        assertEquals("last event of beta: " + betaEvents, ClusterEvent.Type.NODE_LEFT, betaEvents.get(betaEvents.size() - 1));
        assertEquals("one join and one leave: " + betaEvents, 1,
                betaEvents.stream().filter(t -> t == ClusterEvent.Type.NODE_JOINED).count());
        assertTrue("alpha was announced to its own listener: " + events, hasEvent(ClusterEvent.Type.NODE_JOINED, "alpha"));
        assertFalse("alpha never left: " + events, hasEvent(ClusterEvent.Type.NODE_LEFT, "alpha"));
    }

    @Test
    public void messagesReachTheListenersOfTheirTopicOnEveryMember() throws Exception {
        HazelcastClusterService alpha = start(alphaNode, alphaPort);
        HazelcastClusterService beta = start(betaNode, betaPort);
        awaitBothJoined(alpha, beta);
        List<String> onBeta = new CopyOnWriteArrayList<>();
        List<String> onAlpha = new CopyOnWriteArrayList<>();
        List<String> otherTopic = new CopyOnWriteArrayList<>();
        beta.addMessageListener((t, m) -> onBeta.add(m), Map.of("tandem.topic", "owner"));
        alpha.addMessageListener((t, m) -> onAlpha.add(m), Map.of("tandem.topic", "owner"));
        beta.addMessageListener((t, m) -> otherTopic.add(m), Map.of("tandem.topic", "other"));

        alpha.publish("owner", "acc-1 epoch=2\nsecond line");
        alpha.publish("owner", "acc-2 epoch=5");

        await(() -> onBeta.size() == 2, CHANGE, () -> "messages on beta: " + onBeta);
        await(() -> onAlpha.size() == 2, CHANGE, () -> "messages on alpha (the sender): " + onAlpha);
        assertEquals(List.of("acc-1 epoch=2\nsecond line", "acc-2 epoch=5"), onBeta);
        assertTrue("a listener of another topic hears nothing: " + otherTopic, otherTopic.isEmpty());
    }

    /**
     * The records map is replicated asynchronously and a copy can miss a write (a split, a lost update):
     * each member writes its unchanged record again every record.refresh.ms, so the other members'
     * copies receive it again although nothing changed.
     */
    @Test
    public void anUnchangedRecordIsWrittenAgainSoACopyThatMissedItHeals() throws Exception {
        HazelcastClusterService alpha = start(alphaNode, alphaPort);
        HazelcastClusterService beta = start(betaNode, betaPort);
        awaitBothJoined(alpha, beta);
        String alphaId = find(alpha, "alpha").orElseThrow().id();
        beta.addClusterListener(events::add);
        com.hazelcast.core.HazelcastInstance betaMember = com.hazelcast.core.Hazelcast.getAllHazelcastInstances().stream()
                .filter(i -> "beta".equals(i.getCluster().getLocalMember().getAttribute("tandem.name"))).findFirst().orElseThrow();
        com.hazelcast.replicatedmap.ReplicatedMap<String, String> betaCopy = betaMember.getReplicatedMap(HazelcastClusterService.NODES_MAP);
        String record = betaCopy.get(alphaId);
        List<String> writes = new CopyOnWriteArrayList<>();
        betaCopy.addEntryListener(new com.hazelcast.core.EntryAdapter<>() {
            @Override
            public void onEntryEvent(com.hazelcast.core.EntryEvent<String, String> e) {
                writes.add(e.getEventType() + " " + e.getValue());
            }
        }, alphaId);

        await(() -> writes.size() >= 2, CHANGE, () -> "alpha's record written again on beta's copy: " + writes);
        events.clear(); // beta's view has long caught up with the join by now
        await(() -> writes.size() >= 5, CHANGE, () -> "alpha's record written again on beta's copy: " + writes);
        assertTrue("the same record each time: " + writes, writes.stream().allMatch(w -> w.endsWith(" " + record)));
        assertFalse("a rewrite is no change: no NODE_UPDATED of alpha on beta: " + events,
                hasEvent(ClusterEvent.Type.NODE_UPDATED, "alpha"));
        assertEquals(EnumSet.of(Role.CORE, Role.MAILSTORE), find(beta, "alpha").orElseThrow().roles());
    }

    /**
     * A hung node accepts a connection (the kernel completes it) and never answers: such a connection is closed
     * once nothing came back for UNANSWERED_MILLIS, because Hazelcast's network thread would spin on it and
     * starve the other connections it serves. Stood in for by a socket that is never accepted.
     */
    @Test
    public void aClusterConnectionOnWhichNothingComesBackIsClosed() throws Exception {
        HazelcastClusterService alpha = start(alphaNode, alphaPort);
        await(() -> alpha.status().connected(), JOIN, () -> "alpha started");
        com.hazelcast.instance.impl.HazelcastInstanceProxy member = (com.hazelcast.instance.impl.HazelcastInstanceProxy)
                com.hazelcast.core.Hazelcast.getAllHazelcastInstances().stream()
                        .filter(i -> "alpha".equals(i.getCluster().getLocalMember().getAttribute("tandem.name"))).findFirst().orElseThrow();
        com.hazelcast.internal.server.ServerConnectionManager connections = member.getOriginal().node.getServer()
                .getConnectionManager(com.hazelcast.instance.EndpointQualifier.MEMBER);
        try (ServerSocket hung = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = hung.getLocalPort();
            java.util.function.Supplier<Optional<com.hazelcast.internal.server.ServerConnection>> toHung = () -> connections.getConnections()
                    .stream().filter(c -> c.getRemoteSocketAddress() != null && c.getRemoteSocketAddress().getPort() == port).findFirst();
            connections.getOrConnect(new com.hazelcast.cluster.Address("127.0.0.1", port));
            await(() -> toHung.get().isPresent(), CHANGE, () -> "a connection to the hung port: " + connections.getConnections());
            com.hazelcast.internal.server.ServerConnection c = toHung.get().orElseThrow();
            await(() -> !c.isAlive(), Duration.ofSeconds(10), () -> "closed: " + c);
            long closedAfter = System.currentTimeMillis() - c.getStartTime();
            assertTrue("not before " + HazelcastClusterService.UNANSWERED_MILLIS + " ms: " + closedAfter,
                    closedAfter >= HazelcastClusterService.UNANSWERED_MILLIS);
            assertTrue(c.getCloseReason(), c.getCloseReason().contains("nothing received"));
        }
        assertTrue("alpha's own cluster is untouched", alpha.status().connected());
    }

    @Test
    public void invalidConfigurationIsRefusedNamingTheKeyAndValue() {
        Map<String, Object> bad = new HashMap<>();
        bad.put("cluster_name", "no spaces");
        assertRefused(bad, "cluster.name = 'no spaces'");
        bad.clear();
        bad.put("port", 70000);
        assertRefused(bad, "port = 70000");
        bad.clear();
        bad.put("failure_detection_seconds", 1);
        assertRefused(bad, "failure.detection.seconds = 1");
        bad.clear();
        bad.put("seeds", "127.0.0.1:5701, host name");
        assertRefused(bad, "seeds entry 'host name'");
        bad.clear();
        bad.put("expected_roles", "core=x");
        assertRefused(bad, "expected.roles entry 'core=x'");
        bad.clear();
        bad.put("publish_interval_ms", 10);
        assertRefused(bad, "publish.interval.ms = 10");
        bad.clear();
        bad.put("record_refresh_ms", 100);
        assertRefused(bad, "record.refresh.ms = 100 must be >= publish.interval.ms (500)");
    }

    /**
     * The distribution as it ships (no seeds, no expected.roles) is a cluster of this node alone: it expects one node
     * of each role the node plays, so a core node has its quorum and the embedded broker its single voter. With seeds
     * the counts must be given: a guessed core count is a quorum base each side of a split could meet.
     */
    @Test
    public void withoutSeedsAndExpectedRolesTheNodeIsAHealthyClusterOfOne() {
        Map<String, Object> alone = new HashMap<>();
        alone.put("cluster_name", clusterName);
        alone.put("port", alphaPort);
        HazelcastClusterService service = new HazelcastClusterService(alphaNode, ConfigProxy.of(HazelcastClusterService.Config.class, alone));
        started.add(service);
        await(() -> service.status().connected(), JOIN, () -> "the member of one to start: " + service.status());
        ClusterStatus status = service.status();
        assertEquals(1, status.coreExpected());
        assertTrue("a quorum of one: " + status, status.quorum());
        assertEquals(Integer.valueOf(1), service.expected().get(Role.MAILSTORE));
        assertEquals(Integer.valueOf(0), service.expected().get(Role.MTA));
        // the roles of the node, live: node:set-roles adds mta, the cluster of one expects it
        alphaNode.setRoles(Role.CORE, Role.MAILSTORE, Role.MTA);
        assertEquals(Integer.valueOf(1), service.expected().get(Role.MTA));

        Map<String, Object> seeded = new HashMap<>(alone);
        seeded.put("seeds", "127.0.0.1:" + betaPort);
        assertRefused(seeded, "expected.roles is empty while seeds = '127.0.0.1:" + betaPort + "' name other nodes");
    }

    private void assertRefused(Map<String, Object> values, String expected) {
        HazelcastClusterService.Config c = ConfigProxy.of(HazelcastClusterService.Config.class, values);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> started.add(new HazelcastClusterService(alphaNode, c)));
        assertTrue(e.getMessage(), e.getMessage().startsWith("tandem.cluster: "));
        assertTrue(e.getMessage(), e.getMessage().contains(expected));
    }
}
