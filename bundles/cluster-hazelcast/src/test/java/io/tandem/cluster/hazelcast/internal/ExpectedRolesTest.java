package io.tandem.cluster.hazelcast.internal;

import io.tandem.api.node.Role;
import org.junit.Test;

import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class ExpectedRolesTest {

    private static final String PID = "tandem.cluster";

    @Test
    public void parsesCountsAndDefaultsTheRestToZero() {
        Map<Role, Integer> m = ExpectedRoles.parse(PID, " core=3, mailstore = 2 ,MTA=0,,");
        assertEquals(Integer.valueOf(3), m.get(Role.CORE));
        assertEquals(Integer.valueOf(2), m.get(Role.MAILSTORE));
        assertEquals(Integer.valueOf(0), m.get(Role.MTA));
        assertEquals(Integer.valueOf(0), m.get(Role.CHATS));
        assertEquals("every role has a count", Role.values().length, m.size());
    }

    @Test
    public void laterEntriesWin() {
        assertEquals(Integer.valueOf(5), ExpectedRoles.parse(PID, "core=3,core=5").get(Role.CORE));
    }

    @Test
    public void emptyMeansNoneExpected() {
        for (String text : new String[] {null, "", "  "}) {
            Map<Role, Integer> m = ExpectedRoles.parse(PID, text);
            assertEquals(Role.values().length, m.size());
            assertTrue(m.values().stream().allMatch(v -> v == 0));
        }
    }

    @Test
    public void invalidEntriesAreNamed() {
        for (String bad : new String[] {"webmail=2", "core", "core=", "core=three", "core=-1", "=3", "core=2=3"}) {
            IllegalArgumentException e = assertThrows(bad, IllegalArgumentException.class,
                    () -> ExpectedRoles.parse(PID, "mailstore=2," + bad));
            String m = e.getMessage();
            assertTrue(m, m.startsWith(PID + ": expected.roles entry '" + bad + "' is invalid"));
            assertTrue(m, m.contains("core,mailstore,mta,proxy,files,video,chats"));
        }
    }
}
