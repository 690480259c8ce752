package io.tandem.failover.internal;

import io.tandem.api.cluster.ClusterStatus;
import org.junit.Test;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class QuorumLeaseTest {

    private long now = 5_000_000_000L;
    private ClusterStatus status = new ClusterStatus("c", true, 1, 1, 3);
    private final QuorumLease lease = new QuorumLease(() -> status, () -> now, Duration.ofMillis(2000), false);

    private void pass(long millis) {
        now += TimeUnit.MILLISECONDS.toNanos(millis);
    }

    @Test
    public void notHeldBeforeAQuorumWasEverSeen() {
        lease.check();
        assertFalse(lease.valid());
        assertEquals("not held: no core quorum seen since this node started (1 of 3 core nodes visible)", lease.describe());
    }

    @Test
    public void heldWithTheQuorumThenForTheLeaseDurationThenExpired() {
        status = new ClusterStatus("c", true, 5, 3, 3);
        lease.check();
        assertTrue(lease.valid());
        assertEquals("held (3 of 3 core nodes visible)", lease.describe());
        pass(10_000);
        status = new ClusterStatus("c", true, 2, 1, 3);
        lease.check();
        assertFalse("the quorum was last seen 10 s ago, at the previous check", lease.valid());

        status = new ClusterStatus("c", true, 5, 2, 3);
        lease.check();
        assertTrue("2 of 3 is a quorum", lease.valid());
        status = new ClusterStatus("c", true, 2, 1, 3);
        pass(500);
        lease.check();
        assertTrue(lease.valid());
        assertEquals("held for 1500 ms more: core quorum lost (1 of 3 core nodes visible)", lease.describe());
        pass(1499);
        assertTrue(lease.valid());
        pass(1);
        assertFalse(lease.valid());
        pass(300);
        assertEquals("expired 300 ms ago: core quorum lost (1 of 3 core nodes visible)", lease.describe());
        status = new ClusterStatus("c", true, 5, 2, 3);
        lease.check();
        assertTrue("renewed as soon as the quorum is back", lease.valid());
    }
}
