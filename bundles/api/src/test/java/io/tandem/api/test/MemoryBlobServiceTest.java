package io.tandem.api.test;

import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.Volume;
import org.junit.Test;

import java.io.ByteArrayInputStream;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The in-memory blob service passes the blob service contract (on an S3 volume), and beyond it: */
public class MemoryBlobServiceTest extends BucketBlobServiceContract {

    private final VolumeRegistryAdapter registry = new VolumeRegistryAdapter();
    private final MemoryBlobService blobs = new MemoryBlobService(registry);
    private final BucketConfig bucket = registry.createBucket("MinIO", "http://127.0.0.1:9000", "mail-blobs", "",
            "AKIAEXAMPLEACCESS", "memory-secret-key");
    private final Volume volume = registry.createVolume("store1", Volume.Kind.PRIMARY, Volume.Type.S3, bucket.id(),
            "mailstore/blobs", true);

    @Override
    protected BlobService blobs() {
        return blobs;
    }

    @Override
    protected Volume volume() {
        return volume;
    }

    @Override
    protected Set<String> storedKeys() {
        return blobs.keys(volume.id());
    }

    @Override
    protected void replaceStored(BlobRef ref, byte[] content) {
        blobs.replace(ref, content);
    }

    @Override
    protected void makeUnreachable() {
        blobs.unreachable(true);
    }

    @Override
    protected void makeReachable() {
        blobs.unreachable(false);
    }

    @Override
    protected void makeRefusing() {
        blobs.refusing(true);
    }

    @Override
    protected void stopRefusing() {
        blobs.refusing(false);
    }

    @Override
    protected java.util.Collection<String> secrets() {
        return Set.of(bucket.secretKey(), bucket.accessKey());
    }

    @Test
    public void localVolumesAreKeyedWithoutPrefixAndKeptApartFromOtherVolumes() throws Exception {
        Volume local = registry.createVolume("archive", Volume.Kind.SECONDARY, Volume.Type.LOCAL, null, "/srv/archive", false);
        byte[] content = text("hello");
        BlobRef onS3 = blobs.put(volume.id(), new ByteArrayInputStream(content));
        BlobRef onDisk = blobs.put(local.id(), new ByteArrayInputStream(content));
        String sha = sha256(content);
        assertEquals(new BlobRef(local.id(), sha.substring(0, 2) + "/" + sha.substring(2, 4) + "/" + sha, sha, 5), onDisk);
        assertEquals("mailstore/blobs/" + onDisk.key(), onS3.key());
        blobs.delete(onDisk);
        assertFalse(blobs.exists(onDisk));
        assertTrue("a blob of another volume is another blob", blobs.exists(onS3));
    }

    @Test
    public void anS3VolumeWhoseBucketIsGoneIsAPermanentFailure() {
        Volume orphan = new Volume(java.util.UUID.randomUUID(), "orphan", Volume.Kind.SECONDARY, Volume.Type.S3,
                java.util.UUID.randomUUID(), "x", false, false);
        registry.putVolume(orphan);
        BlobException e = assertThrows(BlobException.class, () -> blobs.put(orphan.id(), new ByteArrayInputStream(text("x"))));
        assertFalse(e.temporary());
        assertTrue(e.getMessage(), e.getMessage().startsWith("volume orphan: no bucket "));
    }
}
