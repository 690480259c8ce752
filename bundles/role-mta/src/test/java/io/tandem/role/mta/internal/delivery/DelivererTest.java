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

public class DelivererTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void theBackoffDoublesFromTheInitialDelayUpToTheCap() throws Exception {
        Spool spool = Spool.open(tmp.newFolder().toPath()).spool();
        try (Deliverer d = new Deliverer(spool, List.of(), null, new ClusterServiceAdapter(), new LmtpClient("mta1", 1000, 1000),
                new Deliverer.Settings(1, Duration.ofSeconds(1), Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofHours(1)),
                Clock.systemUTC())) {
            assertEquals(List.of(1000L, 2000L, 4000L, 8000L, 16000L, 32000L, 60000L, 60000L),
                    List.of(d.backoff(1), d.backoff(2), d.backoff(3), d.backoff(4), d.backoff(5), d.backoff(6), d.backoff(7), d.backoff(8)));
            assertEquals("no overflow after many attempts", 60000L, d.backoff(10_000));
        }
    }
}
