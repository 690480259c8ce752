package io.tandem.api.concurrent;

import org.junit.Test;

import java.util.concurrent.ThreadFactory;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class ThreadsTest {

    @Test
    public void namedThreadsAreDaemonsWithTheName() {
        Thread t = Threads.named("tandem-x").newThread(() -> { });
        assertEquals("tandem-x", t.getName());
        assertTrue(t.isDaemon());
    }

    @Test
    public void aPoolsThreadsAreNumberedFromOne() {
        ThreadFactory f = Threads.numbered("tandem-pool");
        assertEquals("tandem-pool-1", f.newThread(() -> { }).getName());
        Thread second = f.newThread(() -> { });
        assertEquals("tandem-pool-2", second.getName());
        assertTrue(second.isDaemon());
    }

    @Test
    public void aThreadWithoutANameIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Threads.named(" "));
        assertThrows(IllegalArgumentException.class, () -> Threads.daemon(() -> { }, null));
    }
}
