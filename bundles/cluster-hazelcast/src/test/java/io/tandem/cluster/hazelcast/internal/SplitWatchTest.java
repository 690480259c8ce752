package io.tandem.cluster.hazelcast.internal;

import org.junit.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class SplitWatchTest {

    private static final long S = 1_000_000_000L;

    @Test
    public void rejoinsOnlyAfterLosingTheQuorumForTheWaitWhileAStrangerAnswersAndBacksOff() {
        SplitWatch w = new SplitWatch(15 * S, 0);
        AtomicInteger asked = new AtomicInteger();
        assertFalse("never had the quorum (the cluster is starting): never", w.check(0, false, () -> true));
        assertFalse(w.check(100 * S, false, () -> true));

        assertFalse(w.check(101 * S, true, () -> true));
        assertFalse("lost just now", w.check(102 * S, false, () -> true));
        assertFalse("14 s without", w.check(116 * S, false, () -> {
            asked.incrementAndGet();
            return true;
        }));
        assertEquals("the seeds are probed only when it is time", 0, asked.get());
        assertFalse("a real partition: no seed outside answers", w.check(117 * S, false, () -> false));
        assertFalse("the seeds are probed again only 5 s later", w.check(121 * S, false, () -> {
            asked.incrementAndGet();
            return true;
        }));
        assertEquals(0, asked.get());
        assertTrue("a seed outside answers", w.check(122 * S, false, () -> true));

        // still cut off after the rejoin: the next attempt waits twice as long
        assertEquals(30 * S, w.waitNanos());
        assertFalse(w.check(151 * S, false, () -> true));
        assertTrue(w.check(152 * S, false, () -> true));
        assertEquals(60 * S, w.waitNanos());
        for (int i = 0; i < 5; i++) {
            assertTrue(w.check(152 * S + (i + 1) * 300 * S, false, () -> true));
        }
        assertEquals("at most 16 times the wait", 240 * S, w.waitNanos());

        // back with the majority: the wait starts over
        assertFalse(w.check(2000 * S, true, () -> true));
        assertEquals(15 * S, w.waitNanos());
    }

    @Test
    public void eachNodeWaitsItsOwnShareLongerAndZeroDisables() {
        assertEquals(15 * S + 3 * S, new SplitWatch(15 * S, 0.4).waitNanos());
        SplitWatch off = new SplitWatch(0, 0);
        off.check(0, true, () -> true);
        off.check(1, false, () -> true);
        assertFalse(off.check(1000 * S, false, () -> true));
    }
}
