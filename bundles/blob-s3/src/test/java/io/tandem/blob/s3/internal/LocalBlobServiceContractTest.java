package io.tandem.blob.s3.internal;

import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.Volume;
import io.tandem.api.test.BlobServiceContract;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.VolumeRegistryAdapter;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.rules.TemporaryFolder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The blob service contract on a LOCAL volume of the real adapter. Unreachable storage is the volume's root
 * directory replaced by a regular file: every access fails with an I/O error that is not a permission problem
 * (as a lost mount or a failing disk gives). Refused access is the root directory made inaccessible (mode 000);
 * permissions mean nothing to root, so when the tests run as root the refusal test is skipped.
 */
public class LocalBlobServiceContractTest extends BlobServiceContract {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final VolumeRegistryAdapter registry = new VolumeRegistryAdapter();
    private BlobStore store;
    private Volume volume;
    private Path root;
    private Path away;

    @Before
    public void setUp() throws IOException {
        root = tmp.getRoot().toPath().resolve("volume");
        away = tmp.getRoot().toPath().resolve("volume-away");
        store = new BlobStore(registry, ConfigProxy.of(BlobStore.Config.class, Map.of(
                "local_root", tmp.newFolder("local-root").toString(), "spool_dir", tmp.newFolder("spool").toString())));
        volume = registry.createVolume("local1", Volume.Kind.PRIMARY, Volume.Type.LOCAL, null, root.toString(), false);
    }

    @After
    public void tearDown() {
        store.deactivate();
    }

    @Override
    protected BlobService blobs() {
        return store;
    }

    @Override
    protected Volume volume() {
        return volume;
    }

    @Override
    protected Set<String> storedKeys() throws IOException {
        Set<String> keys = new TreeSet<>();
        if (!Files.isDirectory(root)) {
            return keys;
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.filter(Files::isRegularFile)
                    .map(root::relativize)
                    .filter(p -> !p.startsWith(LocalStore.TMP))
                    .forEach(p -> keys.add(p.toString().replace(java.io.File.separatorChar, '/')));
        }
        return keys;
    }

    @Override
    protected void replaceStored(BlobRef ref, byte[] content) throws IOException {
        Files.write(root.resolve(ref.key()), content);
    }

    @Override
    protected void makeUnreachable() throws IOException {
        Files.move(root, away);
        Files.writeString(root, "not a directory");
    }

    @Override
    protected void makeReachable() throws IOException {
        Files.delete(root);
        Files.move(away, root);
    }
}
