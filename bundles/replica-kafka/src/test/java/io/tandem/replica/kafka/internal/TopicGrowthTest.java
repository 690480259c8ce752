package io.tandem.replica.kafka.internal;

import org.junit.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The planning of {@link TopicGrowth}: which brokers each partition gets, and when min.insync.replicas rises. */
public class TopicGrowthTest {

    private static List<TopicGrowth.Broker> live(int... ids) {
        List<TopicGrowth.Broker> out = new ArrayList<>();
        for (int id : ids) {
            out.add(new TopicGrowth.Broker(id, null));
        }
        return out;
    }

    private static Map<Integer, List<Integer>> topic(List<?>... partitions) {
        Map<Integer, List<Integer>> out = new TreeMap<>();
        for (int p = 0; p < partitions.length; p++) {
            List<Integer> replicas = new ArrayList<>();
            partitions[p].forEach(id -> replicas.add((Integer) id));
            out.put(p, replicas);
        }
        return out;
    }

    @Test
    public void aTopicMadeWhileABrokerWasDownGetsItsThirdReplicaOnThatBroker() {
        // created on brokers 1 and 2 while 3 was down; 3 is back
        Map<Integer, List<Integer>> plan = TopicGrowth.plan(topic(List.of(1, 2), List.of(2, 1), List.of(1, 2)), live(1, 2, 3));
        assertEquals(Map.of(0, List.of(1, 2, 3), 1, List.of(2, 1, 3), 2, List.of(1, 2, 3)), plan);
    }

    @Test
    public void existingReplicasKeepTheirOrderSoThePreferredLeaderStays() {
        Map<Integer, List<Integer>> plan = TopicGrowth.plan(topic(List.of(3)), live(1, 2, 3));
        assertEquals(List.of(3, 1, 2), plan.get(0));
    }

    @Test
    public void nothingWhenEveryPartitionHasAsManyReplicasAsTheLiveBrokersAllowUpTo3() {
        assertEquals(Map.of(), TopicGrowth.plan(topic(List.of(1, 2), List.of(2, 1)), live(1, 2)));
        assertEquals(Map.of(), TopicGrowth.plan(topic(List.of(1, 2, 3), List.of(2, 3, 4)), live(1, 2, 3, 4, 5)));
        assertEquals(Map.of(), TopicGrowth.plan(topic(List.of(1)), live(1)));
        // never fewer: a topic with more replicas than live brokers (one is down) is left alone
        assertEquals(Map.of(), TopicGrowth.plan(topic(List.of(1, 2, 3)), live(1, 2)));
        assertEquals(Map.of(), TopicGrowth.plan(topic(List.of(1, 2, 3, 4)), live(1, 2, 3, 4)));
    }

    @Test
    public void onlyThePartitionsThatLackReplicasAreReassigned() {
        Map<Integer, List<Integer>> plan = TopicGrowth.plan(topic(List.of(1, 2, 3), List.of(1, 2), List.of(3, 1, 2)), live(1, 2, 3));
        assertEquals(Map.of(1, List.of(1, 2, 3)), plan);
    }

    @Test
    public void growsToTheLiveBrokersWhenFewerThan3() {
        assertEquals(Map.of(0, List.of(1, 2), 1, List.of(2, 1)), TopicGrowth.plan(topic(List.of(1), List.of(2)), live(1, 2)));
    }

    @Test
    public void addedReplicasAreSpreadOverTheLeastLoadedBrokers() {
        // 6 partitions on brokers 1 and 2; brokers 3, 4 and 5 joined: each gets 2 of the 6 new replicas
        List<List<Integer>> partitions = new ArrayList<>();
        for (int p = 0; p < 6; p++) {
            partitions.add(p % 2 == 0 ? List.of(1, 2) : List.of(2, 1));
        }
        Map<Integer, List<Integer>> plan = TopicGrowth.plan(topic(partitions.toArray(List[]::new)), live(1, 2, 3, 4, 5));
        assertEquals(6, plan.size());
        Map<Integer, Integer> added = new HashMap<>();
        plan.forEach((p, r) -> {
            assertEquals(3, r.size());
            assertEquals(partitions.get(p), r.subList(0, 2));
            added.merge(r.get(2), 1, Integer::sum);
        });
        assertEquals(Map.of(3, 2, 4, 2, 5, 2), added);
    }

    @Test
    public void twoMissingReplicasGoToTwoDifferentBrokers() {
        Map<Integer, List<Integer>> plan = TopicGrowth.plan(topic(List.of(1), List.of(1)), live(1, 2, 3, 4));
        assertEquals(List.of(1, 2, 3), plan.get(0));
        assertEquals(List.of(1, 4, 2), plan.get(1)); // 2 and 3 hold one already: 4 first, then the lowest id
    }

    @Test
    public void aReplicaOnABrokerThatIsDownIsKeptAndLiveBrokersAreAdded() {
        // broker 2 is down: partition keeps it (never removed) and gets a live broker; 2 is never chosen
        Map<Integer, List<Integer>> plan = TopicGrowth.plan(topic(List.of(1, 2)), live(1, 3, 4));
        assertEquals(List.of(1, 2, 3), plan.get(0));
    }

    @Test
    public void aRackWithoutAReplicaOfThePartitionIsPreferred() {
        List<TopicGrowth.Broker> brokers = List.of(new TopicGrowth.Broker(1, "a"), new TopicGrowth.Broker(2, "a"),
                new TopicGrowth.Broker(3, "b"), new TopicGrowth.Broker(4, "c"));
        Map<Integer, List<Integer>> plan = TopicGrowth.plan(topic(List.of(1)), brokers);
        assertEquals(List.of(1, 3, 4), plan.get(0));
    }

    @Test
    public void thePlanOnlyAddsAndDependsOnlyOnItsInput() {
        Map<Integer, List<Integer>> topic = topic(List.of(4, 1), List.of(2), List.of(3, 4), List.of(1, 2, 3), List.of(5));
        List<TopicGrowth.Broker> brokers = live(5, 3, 1, 4, 2);
        Map<Integer, List<Integer>> plan = TopicGrowth.plan(topic, brokers);
        assertEquals(plan, TopicGrowth.plan(topic, live(1, 2, 3, 4, 5))); // another node computes the same plan
        plan.forEach((p, r) -> {
            assertEquals(topic.get(p), r.subList(0, topic.get(p).size()));
            assertEquals(3, r.size());
            assertEquals(3, r.stream().distinct().count());
        });
        assertTrue(!plan.containsKey(3));
    }

    @Test
    public void minInsyncRisesTo2OnceEveryPartitionHas3InSyncReplicasAndNeverFalls() {
        assertEquals(Optional.of(2), TopicGrowth.raisedMinInsync(List.of(3, 3, 3), 1));
        assertEquals(Optional.of(2), TopicGrowth.raisedMinInsync(List.of(3, 4), 1));
        assertEquals(Optional.empty(), TopicGrowth.raisedMinInsync(List.of(3, 2, 3), 1)); // one partition not in sync yet
        assertEquals(Optional.empty(), TopicGrowth.raisedMinInsync(List.of(2, 2), 1));
        assertEquals(Optional.empty(), TopicGrowth.raisedMinInsync(List.of(3, 3), 2));
        assertEquals(Optional.empty(), TopicGrowth.raisedMinInsync(List.of(3, 3), 3)); // never lowered
        assertEquals(Optional.empty(), TopicGrowth.raisedMinInsync(List.of(), 1));
    }
}
