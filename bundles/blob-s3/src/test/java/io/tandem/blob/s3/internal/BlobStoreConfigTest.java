package io.tandem.blob.s3.internal;

import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.VolumeRegistryAdapter;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.util.HashMap;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** Invalid configuration fails activation naming the PID, the key and the value. */
public class BlobStoreConfigTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private String activationError(Map<String, Object> values) {
        Map<String, Object> all = new HashMap<>();
        all.put("local_root", tmp.getRoot().getAbsolutePath());
        all.put("spool_dir", tmp.getRoot().getAbsolutePath());
        all.putAll(values);
        return assertThrows(IllegalArgumentException.class,
                () -> new BlobStore(new VolumeRegistryAdapter(), ConfigProxy.of(BlobStore.Config.class, all))).getMessage();
    }

    @Test
    public void badValuesAreNamed() {
        assertEquals("tandem.blob: connect.timeout.ms = 0 must be >= 1", activationError(Map.of("connect_timeout_ms", "0")));
        assertEquals("tandem.blob: read.timeout.ms = -5 must be >= 1", activationError(Map.of("read_timeout_ms", "-5")));
        assertEquals("tandem.blob: spool.memory.bytes = -1 must be >= 0", activationError(Map.of("spool_memory_bytes", "-1")));
        assertEquals("tandem.blob: local.root = 'blobs' must be an absolute directory", activationError(Map.of("local_root", "blobs")));
        assertEquals("tandem.blob: spool.dir = 'x/y' must be an absolute directory", activationError(Map.of("spool_dir", "x/y")));
    }

    @Test
    public void emptyDirectoriesDefaultUnderKarafData() {
        String before = System.getProperty("karaf.data");
        try {
            System.clearProperty("karaf.data");
            String m = activationError(Map.of("local_root", ""));
            assertTrue(m, m.startsWith("tandem.blob: local.root = '' is empty and karaf.data is not set"));
            System.setProperty("karaf.data", tmp.getRoot().getAbsolutePath());
            BlobStore store = new BlobStore(new VolumeRegistryAdapter(),
                    ConfigProxy.of(BlobStore.Config.class, Map.of()));
            String s = store.toString();
            assertTrue(s, s.contains("local root " + tmp.getRoot().toPath().resolve("blobs")));
            assertTrue(s, s.contains("spool " + tmp.getRoot().toPath().resolve("tmp/blob-spool")));
            assertTrue(s, s.contains("connect 5000 ms / read 30000 ms"));
            store.deactivate();
        } finally {
            if (before == null) {
                System.clearProperty("karaf.data");
            } else {
                System.setProperty("karaf.data", before);
            }
        }
    }
}
