package io.tandem.blob.s3.internal;

import io.tandem.api.blob.BlobException;
import io.tandem.api.blob.Volume;
import org.junit.Test;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.util.UUID;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * How a LOCAL volume's file-system failures are told apart: what needs an operator (a permission refused, a
 * read-only file system) is permanent, the rest (a full disk, an I/O error) may pass. The refusals cannot be
 * produced on a node running as root (permissions refuse root nothing), so the contract test of bucket
 * volumes' refusals is not run on LOCAL volumes and the classification is checked here, with the exceptions
 * the JDK throws for them.
 */
public class LocalStoreFailureTest {

    private final Volume volume = new Volume(UUID.randomUUID(), "local1", Volume.Kind.PRIMARY, Volume.Type.LOCAL, null,
            "/srv/blobs", false, true);

    private BlobException failure(IOException e) {
        BlobException b = LocalStore.failure("put", volume, "blob ab/cd/abcd", e);
        assertTrue(b.getMessage(), b.getMessage().startsWith("put of blob ab/cd/abcd on volume local1 failed: "));
        return b;
    }

    @Test
    public void whatNeedsAnOperatorIsPermanent() {
        assertFalse(failure(new AccessDeniedException("/srv/blobs/ab")).temporary());
        assertFalse(failure(new FileSystemException("/srv/blobs/ab/cd", null, "Read-only file system")).temporary());
    }

    @Test
    public void whatMayPassIsTemporary() {
        assertTrue(failure(new FileSystemException("/srv/blobs/ab/cd", null, "No space left on device")).temporary());
        assertTrue(failure(new IOException("Input/output error")).temporary());
    }
}
