package io.tandem.role.mta.internal.delivery;

import io.tandem.api.test.ClusterServiceAdapter;
import io.tandem.role.mta.internal.spool.Spool;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

public class DelivererTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void theBackoffDoublesFromTheInitialDelayUpToTheCapWithJitter() throws Exception {
        Spool spool = Spool.open(tmp.newFolder().toPath()).spool();
        try (Deliverer d = new Deliverer(spool, List.of(), null, new ClusterServiceAdapter(), new LmtpClient("mta1", 1000, 1000),
                new Deliverer.Settings(1, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofHours(1)),
                Clock.systemUTC())) {
            assertEquals("the lower half of each nominal delay", List.of(500L, 1000L, 2000L, 4000L, 8000L, 16000L, 30000L, 30000L),
                    List.of(d.backoff(1, 0), d.backoff(2, 0), d.backoff(3, 0), d.backoff(4, 0), d.backoff(5, 0), d.backoff(6, 0),
                            d.backoff(7, 0), d.backoff(8, 0)));
            assertEquals("at most the nominal delay", 59_999L, d.backoff(7, 0.99999));
            assertEquals("no overflow after many attempts", 30000L, d.backoff(10_000, 0));
            for (int attempts = 1; attempts < 10; attempts++) {
                long nominal = Math.min(60_000L, 1000L << (attempts - 1));
                long delay = d.backoff(attempts);
                assertTrue("attempt " + attempts + ": " + delay + " ms in [" + nominal / 2 + ", " + nominal + "]",
                        delay >= nominal / 2 && delay <= nominal);
            }
        }
    }
}
