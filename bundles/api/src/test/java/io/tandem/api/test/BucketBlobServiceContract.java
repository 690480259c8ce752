package io.tandem.api.test;

import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.ProbeReport;
import org.junit.Test;

import java.io.ByteArrayInputStream;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/**
 * {@link BlobServiceContract} for a volume in a bucket (S3 and the in-memory double), which also has credentials
 * that the storage can refuse and a bucket that {@code core:testS3Connection} probes. LOCAL volumes have
 * neither: their refusals (permissions, a read-only file system) are classified by blob-s3's own test, since a
 * node running as root is refused nothing by permissions.
 */
public abstract class BucketBlobServiceContract extends BlobServiceContract {

    /** Makes the storage refuse this node (wrong credentials). */
    protected abstract void makeRefusing() throws Exception;

    /** Undoes {@link #makeRefusing()}. */
    protected abstract void stopRefusing() throws Exception;

    @Test
    public void refusedAccessIsAPermanentFailure() throws Exception {
        BlobRef stored = blobs().put(volume().id(), new ByteArrayInputStream(text("before the refusal")));
        makeRefusing();
        try {
            BlobException put = assertThrows(BlobException.class,
                    () -> blobs().put(volume().id(), new ByteArrayInputStream(text("refused"))));
            BlobException open = assertThrows(BlobException.class, () -> blobs().open(stored).close());
            BlobException exists = assertThrows(BlobException.class, () -> blobs().exists(stored));
            for (BlobException e : List.of(put, open, exists)) {
                assertFalse("refused: permanent (" + e.getMessage() + ")", e.temporary());
                assertNamesTheVolume(e);
            }
        } finally {
            stopRefusing();
        }
        assertTrue(blobs().exists(stored));
    }

    @Test
    public void probeOfTheVolumesBucketPassesEveryStepAndLeavesNoBlob() throws Exception {
        assertNotNull("volume " + volume().name() + " has a bucket", volume().bucketId());
        ProbeReport report = blobs().probe(volume().bucketId());
        assertTrue(report.toString(), report.ok());
        assertEquals(volume().bucketId(), report.bucketId());
        assertEquals(List.of("put", "stat", "get", "delete"), report.steps().stream().map(ProbeReport.Step::name).toList());
        assertTrue("nothing left on the volume", storedKeys().isEmpty());
    }
}
