package io.tandem.itests.cluster;

import io.tandem.itests.cluster.Nemesis.Kind;
import io.tandem.itests.cluster.Nemesis.Schedule;
import io.tandem.itests.cluster.Nemesis.Step;
import org.junit.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

/** The nemesis schedule without a cluster: a seed decides every fault, and every kind is drawn with its target. */
public class NemesisScheduleTest {

    private static final List<String> NODES = List.of("n1", "n2", "n3");

    @Test
    public void aSeedDecidesTheWholeSchedule() {
        assertEquals(Schedule.first(42, NODES, 200), Schedule.first(42, NODES, 200));
        assertNotEquals(Schedule.first(42, NODES, 20), Schedule.first(43, NODES, 20));
    }

    @Test
    public void everyKindIsDrawnWithItsTargetAndWithinItsBounds() {
        Set<Kind> seen = EnumSet.noneOf(Kind.class);
        for (Step s : Schedule.first(7, NODES, 500)) {
            seen.add(s.kind());
            assertTrue(s.toString(), s.holdMillis() >= 4_000 && s.holdMillis() < 20_000);
            assertTrue(s.toString(), s.gapMillis() >= 0 && s.gapMillis() < 4_000);
            switch (s.kind()) {
                case KAFKA_KILL, KAFKA_PAUSE -> assertEquals(s.toString(), "kafka", s.target());
                case DB_STOP -> assertEquals(s.toString(), "postgres", s.target());
                case S3_OUTAGE -> assertEquals(s.toString(), "s3", s.target());
                default -> assertTrue(s.toString(), NODES.contains(s.target()));
            }
            switch (s.kind()) {
                case ONE_WAY -> assertTrue(s.toString(), s.detail().matches("-> n[123]") && !s.detail().endsWith(s.target()));
                case CLOCK -> assertTrue(s.toString(), s.detail().matches("[+-](90s|10m|1h)"));
                default -> assertEquals(s.toString(), "", s.detail());
            }
        }
        assertEquals(EnumSet.allOf(Kind.class), seen);
    }

    /** Prints the first faults of {@code -Dtandem.nemesis.seed} (to choose a seed): {@code mvn test -Dtest=NemesisScheduleTest}. */
    @Test
    public void printsTheScheduleOfTheSeedAsked() {
        String seed = System.getProperty("tandem.nemesis.seed", "");
        if (!seed.isBlank()) {
            Schedule.first(Long.parseLong(seed.trim()), NODES, 12).forEach(s -> System.out.println("[nemesis] planned: " + s));
        }
    }

    @Test
    public void aFasterPaceKeepsItsBoundsAndABadOneIsRefusedNamingIt() {
        Nemesis.Pace fast = Nemesis.Pace.parse("1000-6000/1000");
        for (Step s : Schedule.first(7, NODES, fast, 500)) {
            assertTrue(s.toString(), s.holdMillis() >= 1_000 && s.holdMillis() < 6_000);
            assertTrue(s.toString(), s.gapMillis() >= 0 && s.gapMillis() < 1_000);
        }
        assertEquals("the default pace is the default schedule", Schedule.first(42, NODES, 50),
                Schedule.first(42, NODES, Nemesis.Pace.parse(""), 50));
        IllegalArgumentException e = org.junit.Assert.assertThrows(IllegalArgumentException.class, () -> Nemesis.Pace.parse("6000-1000/10"));
        assertTrue(e.getMessage(), e.getMessage().contains("6000-1000"));
        e = org.junit.Assert.assertThrows(IllegalArgumentException.class, () -> Nemesis.Pace.parse("fast"));
        assertTrue(e.getMessage(), e.getMessage().contains("'fast'"));
    }
}
