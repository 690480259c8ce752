package io.tandem.api.cluster;

import org.junit.Test;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class ClusterStatusTest {

    private static boolean quorum(int live, int expected) {
        return new ClusterStatus("c", true, live, live, expected).quorum();
    }

    @Test
    public void majorityOfThree() {
        assertFalse("0 of 3", quorum(0, 3));
        assertFalse("1 of 3", quorum(1, 3));
        assertTrue("2 of 3", quorum(2, 3));
        assertTrue("3 of 3", quorum(3, 3));
    }

    @Test
    public void evenCountsNeedMoreThanHalf() {
        assertFalse("1 of 2", quorum(1, 2));
        assertTrue("2 of 2", quorum(2, 2));
        assertFalse("2 of 4", quorum(2, 4));
        assertTrue("3 of 4", quorum(3, 4));
    }

    @Test
    public void singleCoreNode() {
        assertFalse("0 of 1", quorum(0, 1));
        assertTrue("1 of 1", quorum(1, 1));
    }

    @Test
    public void noQuorumWhenNoCoreNodeIsExpected() {
        assertFalse("0 of 0", quorum(0, 0));
        assertFalse("2 of 0", quorum(2, 0));
    }
}
