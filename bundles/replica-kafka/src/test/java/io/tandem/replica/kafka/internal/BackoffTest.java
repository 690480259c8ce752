package io.tandem.replica.kafka.internal;

import org.junit.Test;

import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

public class BackoffTest {

    @Test
    public void doublesUpToTheMaximumAndResets() {
        Backoff b = new Backoff(1000, 5000);
        assertEquals(List.of(1000L, 2000L, 4000L, 5000L, 5000L), List.of(b.next(), b.next(), b.next(), b.next(), b.next()));
        b.reset();
        assertEquals(1000L, b.next());
    }

    @Test
    public void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new Backoff(0, 10));
        assertThrows(IllegalArgumentException.class, () -> new Backoff(10, 5));
    }
}
