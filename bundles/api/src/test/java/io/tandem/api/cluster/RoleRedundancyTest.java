package io.tandem.api.cluster;

import io.tandem.api.node.Role;
import org.junit.Test;

import java.util.List;

import static org.junit.Assert.assertEquals;

public class RoleRedundancyTest {

    private static RoleRedundancy.Level level(int healthy, int expected) {
        return new RoleRedundancy(Role.MAILSTORE, List.of(), healthy, expected).level();
    }

    @Test
    public void noneExpectedAndNoneThere() {
        assertEquals(RoleRedundancy.Level.NONE_EXPECTED, level(0, 0));
    }

    @Test
    public void downWhenNoHealthyNodeButSomeExpected() {
        assertEquals(RoleRedundancy.Level.DOWN, level(0, 1));
        assertEquals(RoleRedundancy.Level.DOWN, level(0, 2));
    }

    @Test
    public void degradedWhenFewerHealthyThanExpected() {
        assertEquals(RoleRedundancy.Level.DEGRADED, level(1, 2));
        assertEquals(RoleRedundancy.Level.DEGRADED, level(2, 3));
    }

    @Test
    public void okWhenAtLeastTheExpectedAreHealthy() {
        assertEquals(RoleRedundancy.Level.OK, level(2, 2));
        assertEquals(RoleRedundancy.Level.OK, level(3, 2));
        assertEquals(RoleRedundancy.Level.OK, level(1, 0));
    }
}
