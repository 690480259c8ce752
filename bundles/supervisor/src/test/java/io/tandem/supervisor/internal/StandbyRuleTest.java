package io.tandem.supervisor.internal;

import io.tandem.api.cluster.ClusterNode;
import io.tandem.supervisor.internal.StandbyRule.Decision;
import io.tandem.supervisor.internal.StandbyRule.Peer;
import org.junit.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class StandbyRuleTest {

    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final Duration LONG_AGO = Duration.ofMinutes(5);

    static ClusterNode node(String name, boolean local, Map<String, String> endpoints) {
        return new ClusterNode(name + "-id", name, name + ".test", "127.0.0.1", "1", Set.of(), Set.of(), endpoints, local);
    }

    @Test
    public void readsAnnouncementsOfTheOtherNodes() {
        List<ClusterNode> view = List.of(
                node("s1", true, Map.of("service.bridge", "tcp://a:1#since=5")),
                node("s2", false, Map.of("service.bridge", "tcp://b:1#since=7", "health", "http://b/health")),
                node("s3", false, Map.of("standby.bridge", "tcp://c:1")),
                node("s4", false, Map.of("service.other", "tcp://d:1#since=1")));
        assertEquals(List.of(new Peer("s2", true, 7), new Peer("s3", false, 0)), StandbyRule.peers(view, "bridge"));
    }

    @Test
    public void aStandbyWaitsForTheHolderAndTheLowestCandidateTakesOver() {
        Decision d = StandbyRule.decide("s2", -1, List.of(new Peer("s1", true, 100)), LONG_AGO, GRACE);
        assertFalse(d.run());
        assertEquals("active on s1", d.reason());
        // the holder left: s2 is the lowest candidate
        assertTrue(StandbyRule.decide("s2", -1, List.of(new Peer("s3", false, 0)), LONG_AGO, GRACE).run());
        // s1 is a lower candidate: s2 leaves it the service
        Decision wait = StandbyRule.decide("s2", -1, List.of(new Peer("s1", false, 0)), LONG_AGO, GRACE);
        assertFalse(wait.run());
        assertTrue(wait.reason(), wait.reason().contains("s1 takes over first"));
    }

    @Test
    public void aNodeThatJustJoinedWaitsForTheGrace() {
        assertFalse(StandbyRule.decide("s1", -1, List.of(), Duration.ofSeconds(2), GRACE).run());
        assertFalse(StandbyRule.decide("s1", -1, List.of(), null, GRACE).run());
        assertTrue(StandbyRule.decide("s1", -1, List.of(), GRACE, GRACE).run());
    }

    @Test
    public void twoHoldersThatSeeEachOtherKeepTheOlderOne() {
        // s1 took it at 200, s2 at 100: s1 yields, s2 keeps it, whatever the names
        Decision s1 = StandbyRule.decide("s1", 200, List.of(new Peer("s2", true, 100)), LONG_AGO, GRACE);
        Decision s2 = StandbyRule.decide("s2", 100, List.of(new Peer("s1", true, 200)), LONG_AGO, GRACE);
        assertFalse(s1.run());
        assertTrue(s1.reason(), s1.reason().startsWith("yielded to s2"));
        assertTrue(s2.run());
        // same time: the lower name keeps it
        assertTrue(StandbyRule.decide("s1", 100, List.of(new Peer("s2", true, 100)), LONG_AGO, GRACE).run());
        assertFalse(StandbyRule.decide("s2", 100, List.of(new Peer("s1", true, 100)), LONG_AGO, GRACE).run());
        // a holder keeps the service against standbys, even lower-named ones, and during the grace
        assertTrue(StandbyRule.decide("s2", 100, List.of(new Peer("s1", false, 0)), Duration.ZERO, GRACE).run());
    }

    @Test
    public void sinceIsReadFromTheUriFragment() {
        assertEquals(1763811600123L, StandbyRule.since("http://h:1/x?a=b#since=1763811600123"));
        assertEquals(0, StandbyRule.since("tcp://h:1"));
        assertEquals(0, StandbyRule.since("tcp://h:1#since=garbage"));
    }
}
