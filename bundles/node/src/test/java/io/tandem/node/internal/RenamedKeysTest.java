package io.tandem.node.internal;

import org.junit.Test;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

/** Keys of earlier releases ending in .millis reach the components as .ms keys, with a warning naming file and key. */
public class RenamedKeysTest {

    private static Dictionary<String, Object> config(String pid, Object... keyValues) {
        Dictionary<String, Object> d = new Hashtable<>();
        d.put("service.pid", pid);
        d.put("felix.fileinstall.filename", "file:/opt/tandem/etc/" + pid + ".cfg");
        for (int i = 0; i < keyValues.length; i += 2) {
            d.put((String) keyValues[i], keyValues[i + 1]);
        }
        return d;
    }

    @Test
    public void anOldKeyIsReadUnderItsCurrentNameWithAWarning() {
        Dictionary<String, Object> d = config("tandem.failover", "grace.millis", "2500", "lease.ms", "1000");
        List<String> warnings = new RenamedKeys().rename(d);
        assertEquals("2500", d.get("grace.ms"));
        assertNull(d.get("grace.millis"));
        assertEquals("1000", d.get("lease.ms"));
        assertEquals(List.of("file:/opt/tandem/etc/tandem.failover.cfg: key 'grace.millis' is read as 'grace.ms', its current name: rename it"),
                warnings);
    }

    @Test
    public void theCurrentKeyWinsOverTheOldOne() {
        Dictionary<String, Object> d = config("tandem.cluster", "publish.interval.millis", "900", "publish.interval.ms", "500");
        List<String> warnings = new RenamedKeys().rename(d);
        assertEquals("500", d.get("publish.interval.ms"));
        assertNull(d.get("publish.interval.millis"));
        assertEquals(1, warnings.size());
        assertEquals("file:/opt/tandem/etc/tandem.cluster.cfg: key 'publish.interval.millis' is ignored, 'publish.interval.ms' is set too: "
                + "remove 'publish.interval.millis'", warnings.get(0));
    }

    @Test
    public void factoryConfigurationsAreRenamedAndOtherPidsLeftAlone() {
        Dictionary<String, Object> service = config("tandem.service.1234", "start.timeout.millis", 10);
        service.put("service.factoryPid", "tandem.service");
        service.put("service.pid", "not-tandem-generated.1234");
        new RenamedKeys().rename(service);
        assertEquals(10, service.get("start.timeout.ms"));

        Dictionary<String, Object> karaf = config("org.apache.karaf.shell", "idle.millis", "5");
        assertEquals(List.of(), new RenamedKeys().rename(karaf));
        assertEquals("5", karaf.get("idle.millis"));
        assertNull(karaf.get("idle.ms"));
    }
}
