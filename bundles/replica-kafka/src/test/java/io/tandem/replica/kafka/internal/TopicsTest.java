package io.tandem.replica.kafka.internal;

import org.junit.Test;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

public class TopicsTest {

    @Test
    public void replicationFollowsTheLiveBrokers() {
        assertEquals(new Topics.Plan(1, 1), Topics.Plan.forBrokers(1));
        assertEquals(new Topics.Plan(2, 1), Topics.Plan.forBrokers(2));
        assertEquals(new Topics.Plan(3, 2), Topics.Plan.forBrokers(3));
        assertEquals(new Topics.Plan(3, 2), Topics.Plan.forBrokers(7));
        assertThrows(IllegalArgumentException.class, () -> Topics.Plan.forBrokers(0));
    }
}
