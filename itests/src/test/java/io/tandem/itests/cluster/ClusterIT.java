package io.tandem.itests.cluster;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * Three real Tandem nodes started by the harness (scripts/cluster.sh) from the built distribution,
 * each on its own loopback address: membership with roles, role propagation, kill -9, SIGSTOP,
 * resume and restart. The steps build on each other, hence the fixed order.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ClusterIT {

    /** failure.detection.seconds (5) + heartbeat.interval.seconds (1) of the shipped configuration. */
    private static final Duration HUNG_NODE_BOUND = Duration.ofSeconds(6);
    /** Log timestamps have millisecond resolution but the two sides are written by different JVMs. */
    private static final Duration CLOCK_SLACK = Duration.ofMillis(500);

    private static Harness harness;

    @BeforeClass
    public static void up() {
        harness = Harness.fromSystemProperties("it-cluster");
        harness.tryRun(60, "clean");
        Path spec = Path.of(System.getProperty("tandem.repo"), "itests/src/test/resources/cluster-it.spec");
        harness.run(300, "up", spec.toString());
    }

    @AfterClass
    public static void down() {
        if (harness != null) {
            harness.tryRun(60, "down");
        }
    }

    private static Map<String, List<String>> members(String node) {
        return harness.membersSeenBy(node).orElseThrow(() -> new AssertionError(node + " does not answer cluster:node-list"));
    }

    @Test
    public void a_everyNodeSeesTheOthersWithTheirRoles() {
        for (String node : List.of("n1", "n2", "n3")) {
            Map<String, List<String>> seen = members(node);
            assertEquals(node + " sees", List.of("n1", "n2", "n3"), List.copyOf(seen.keySet()));
            assertEquals(List.of("core", "mailstore"), seen.get("n1"));
            assertEquals(List.of("core", "mta"), seen.get("n2"));
            assertEquals(List.of("core", "proxy"), seen.get("n3"));
        }
        String status = harness.exec("n1", "cluster", "status");
        assertTrue(status, status.contains("3 live of 3 expected"));
        assertTrue(status, status.contains("PRESENT"));
        String local = harness.exec("n2", "cluster", "node-list", "--no-format");
        assertTrue("local marker on n2: " + local, local.lines().anyMatch(l -> l.startsWith("*") && l.contains("n2")));
    }

    @Test
    public void b_roleChangeReachesTheOtherNodesWithinTwoSeconds() {
        Instant before = Instant.now().minusSeconds(1);
        harness.exec("n3", "node", "set-roles", "core,proxy,files");
        Harness.await("n1 sees files on n3", Duration.ofSeconds(30),
                () -> members("n1").get("n3").contains("files"));
        Harness.await("n2 sees files on n3", Duration.ofSeconds(30),
                () -> members("n2").get("n3").contains("files"));
        Instant active = harness.logTime("n3", "Started role files", before)
                .orElseThrow(() -> new AssertionError("n3 never started the files role"));
        for (String observer : List.of("n1", "n2")) {
            Instant seen = harness.logTime(observer, "NODE_UPDATED n3 .*files", before)
                    .orElseThrow(() -> new AssertionError(observer + " logged no update of n3 with files"));
            Duration lag = Duration.between(active, seen);
            assertTrue(observer + " saw the role change " + lag.toMillis() + " ms after it was active on n3",
                    lag.compareTo(Duration.ofSeconds(2).plus(CLOCK_SLACK)) <= 0);
        }
    }

    @Test
    public void c_killedNodeDisappearsFromTheOthers() {
        harness.run(30, "kill", "n2");
        for (String observer : List.of("n1", "n3")) {
            Harness.await(observer + " no longer lists n2", Duration.ofSeconds(15),
                    () -> !members(observer).containsKey("n2"));
        }
        assertEquals(List.of("n1", "n3"), List.copyOf(members("n1").keySet()));
    }

    @Test
    public void d_pausedNodeIsRemovedWithinTheConfiguredBound() {
        Instant paused = Instant.now();
        harness.run(30, "pause", "n3");
        Harness.await("n1 no longer lists the hung n3", Duration.ofSeconds(30),
                () -> !members("n1").containsKey("n3"));
        Instant removed = harness.logTime("n1", "NODE_LEFT n3", paused)
                .orElseThrow(() -> new AssertionError("n1 logged no NODE_LEFT for n3"));
        Duration took = Duration.between(paused, removed);
        assertTrue("hung n3 removed after " + took.toMillis() + " ms, bound " + HUNG_NODE_BOUND.toMillis() + " ms",
                took.compareTo(HUNG_NODE_BOUND.plus(CLOCK_SLACK)) <= 0);
        String status = harness.exec("n1", "cluster", "status");
        assertTrue("1 of 3 core nodes is no quorum: " + status, status.contains("ABSENT"));
    }

    @Test
    public void e_resumedAndRestartedNodesRejoin() {
        harness.run(30, "resume", "n3");
        harness.run(90, "start", "n2");
        for (String node : List.of("n1", "n2", "n3")) {
            Harness.await(node + " sees all three nodes again", Duration.ofSeconds(120), () -> {
                Optional<Map<String, List<String>>> seen = harness.membersSeenBy(node);
                return seen.isPresent() && seen.get().keySet().equals(java.util.Set.of("n1", "n2", "n3"));
            });
        }
        Map<String, List<String>> seen = members("n1");
        assertEquals(List.of("core", "mta"), seen.get("n2"));
        assertEquals(List.of("core", "proxy", "files"), seen.get("n3"));
        assertFalse(harness.exec("n2", "cluster", "status").contains("ABSENT"));
    }
}
