package io.tandem.api.blob;

import java.io.InputStream;
import java.util.UUID;

/**
 * Stores and reads content-addressed blobs on volumes (S3 or local filesystem).
 *
 * <p>Keys are derived from the content's SHA-256: {@code <path>/<aa>/<bb>/<sha256>} on S3 volumes
 * (where {@code aa} and {@code bb} are the first two bytes of the digest in hex), {@code <aa>/<bb>/<sha256>}
 * under the root directory of LOCAL volumes. Storing the same content twice on a volume stores it once.
 * A reference whose key is not the key of its SHA-256 on its volume is refused with a permanent
 * {@link BlobException} by {@link #open}, {@link #exists} and {@link #delete}: nothing outside the content
 * addressing is ever read or removed.
 */
public interface BlobService {

    /**
     * Stores the content (read to its end; the stream is not closed) on the volume. Writing content
     * that is already there is a no-op returning the same reference.
     *
     * @throws BlobException unknown volume (permanent), storage unreachable (temporary), credentials
     *                       refused or bucket missing (permanent), reading {@code data} failed (permanent)
     */
    BlobRef put(UUID volumeId, InputStream data) throws BlobException;

    /**
     * Opens the blob for reading. The stream checks size and SHA-256 as it is read: if the stored
     * content is longer, shorter or different, reading fails with an {@link java.io.IOException}
     * naming the key (at the latest when the end is reached). The caller closes the stream.
     *
     * @throws BlobException the blob does not exist (permanent), storage unreachable (temporary) ...
     */
    InputStream open(BlobRef ref) throws BlobException;

    /**
     * Whether the blob is stored (by key, with the expected size).
     *
     * @throws BlobException when the storage cannot tell (unreachable: temporary; refused: permanent)
     */
    boolean exists(BlobRef ref) throws BlobException;

    /** Removes the blob; removing a missing blob is not an error. */
    void delete(BlobRef ref) throws BlobException;

    /**
     * Checks a bucket end to end with a small probe object: put, stat, get (content verified),
     * delete, each timed. Never throws for storage failures: they are reported in the steps with a
     * reason an operator can act on.
     *
     * @throws IllegalArgumentException no bucket with that id
     */
    ProbeReport probe(UUID bucketId);
}
