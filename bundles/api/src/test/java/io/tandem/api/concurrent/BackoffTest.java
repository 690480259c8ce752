package io.tandem.api.concurrent;

import org.junit.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class BackoffTest {

    @Test
    public void doublesUpToTheMaximumEachDelayInTheUpperHalfOfItsNominalOneAndResets() {
        Backoff low = new Backoff(1000, 5000, () -> 0.0);
        assertEquals(List.of(500L, 1000L, 2000L, 2500L, 2500L), List.of(low.next(), low.next(), low.next(), low.next(), low.next()));
        Backoff high = new Backoff(1000, 5000, () -> 0.999_999);
        assertEquals(List.of(999L, 1999L, 3999L, 4999L, 4999L), List.of(high.next(), high.next(), high.next(), high.next(), high.next()));
        high.reset();
        assertEquals(999L, high.next());
    }

    @Test
    public void delaysAreSpreadSoThatNodesThatFailedTogetherDoNotRetryTogether() {
        Backoff b = new Backoff(1000, 1000);
        List<Long> seen = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            long d = b.next();
            assertTrue("delay " + d + " in [500, 1000]", d >= 500 && d <= 1000);
            seen.add(d);
        }
        assertTrue("200 draws are not all alike: " + seen.stream().distinct().count(), seen.stream().distinct().count() > 50);
    }

    @Test
    public void theDelayAfterSoManyFailuresIsTheSameWithoutAnInstanceAndNeverOverflows() {
        assertEquals(500L, Backoff.after(1, 1000, 60_000, 0.0));
        assertEquals(4000L, Backoff.after(4, 1000, 60_000, 0.0));
        assertEquals(30_000L, Backoff.after(10_000, 1000, 60_000, 0.0));
        assertEquals(59_999L, Backoff.after(Integer.MAX_VALUE, 1000, 60_000, 0.999_99));
    }

    @Test
    public void rejectsNonsenseNamingTheValues() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Backoff(0, 10)).getMessage().contains("0..10 ms"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Backoff(10, 5)).getMessage().contains("10..5 ms"));
        assertThrows(IllegalArgumentException.class, () -> Backoff.after(0, 1, 2, 0.5));
        assertThrows(IllegalArgumentException.class, () -> Backoff.after(3, 0, 2, 0.5));
        assertEquals("a random value out of range stays within the nominal delay", 1000L, Backoff.after(1, 1000, 2000, 7.0));
        assertEquals(500L, Backoff.after(1, 1000, 2000, -1.0));
    }
}
