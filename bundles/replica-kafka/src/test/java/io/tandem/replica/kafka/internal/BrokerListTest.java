package io.tandem.replica.kafka.internal;

import org.junit.Test;

import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class BrokerListTest {

    @Test
    public void blankIsNoBrokers() {
        assertEquals(List.of(), BrokerList.parse(null));
        assertEquals(List.of(), BrokerList.parse(""));
        assertEquals(List.of(), BrokerList.parse("  ,  "));
        assertEquals("", BrokerList.normalize(" "));
    }

    @Test
    public void normalisedSoThatSpacingIsNoChange() {
        assertEquals("k1:9092,k2:9092,10.0.0.3:9093", BrokerList.normalize(" k1:9092, k2:9092  10.0.0.3:9093,"));
        assertEquals("k1:9092", BrokerList.normalize("k1:9092,k1:9092"));
        assertEquals("[::1]:9092", BrokerList.normalize("[::1]:9092"));
    }

    @Test
    public void hostAndPort() {
        assertEquals("k1.example.com", BrokerList.host("k1.example.com:9092"));
        assertEquals(9092, BrokerList.port("k1.example.com:9092"));
        assertEquals("::1", BrokerList.host("[::1]:19092"));
        assertEquals(19092, BrokerList.port("[::1]:19092"));
    }

    @Test
    public void invalidEntriesAreNamed() {
        for (String bad : List.of("k1", "k1:", ":9092", "k1:0", "k1:65536", "k1:port", "::1:9092", "k1:9092,k2")) {
            IllegalArgumentException e = assertThrows(bad, IllegalArgumentException.class, () -> BrokerList.parse(bad));
            assertTrue(e.getMessage(), e.getMessage().startsWith("'"));
        }
        assertEquals("'k2' is not host:port (port 1..65535)",
                assertThrows(IllegalArgumentException.class, () -> BrokerList.parse("k1:9092,k2")).getMessage());
    }
}
