package io.tandem.api.blob;

import java.util.UUID;

/**
 * Changes to buckets and volumes. Every method validates all its arguments first (with
 * {@link VolumeRules} for the values, and against the stored buckets and volumes for references
 * and uniqueness) and throws {@link IllegalArgumentException} naming the bad value, changing nothing.
 * Messages never contain a secret key, and show access keys masked.
 *
 * <p>Rules every implementation keeps:
 * <ul>
 * <li>A bucket is identified by (endpoint, bucket name): registering the same pair twice is refused.</li>
 * <li>A bucket used by a volume cannot be deleted.</li>
 * <li>Volume names are unique (ignoring case).</li>
 * <li>An S3 volume names an existing bucket; no two S3 volumes share a bucket and a path. A LOCAL
 *     volume has no bucket ({@code null}) and cannot be centralized; no two LOCAL volumes share a path.</li>
 * <li>A new volume is never current by itself: {@link #setCurrent} makes it so, and the volume of the
 *     same kind that was current stops being current, in one change.</li>
 * <li>The current volume of a kind cannot be deleted (make another one current first).</li>
 * </ul>
 */
public interface VolumeAdminService extends VolumeRegistry {

    /**
     * Registers a bucket; nothing is contacted (see {@link BlobService#probe}).
     *
     * @param region empty or {@code null} for "ask the endpoint"
     * @return the stored bucket with its new id
     */
    BucketConfig createBucket(String provider, String endpoint, String bucket, String region,
                              String accessKey, String secretKey);

    /** Removes a bucket; refused (naming the volumes) while a volume uses it, or when it does not exist. */
    void deleteBucket(UUID id);

    /**
     * Creates a volume (not current).
     *
     * @param bucketId the bucket of an S3 volume, {@code null} for a LOCAL one
     * @param path     key prefix (S3) or root directory (LOCAL), see {@link VolumeRules}
     */
    Volume createVolume(String name, Volume.Kind kind, Volume.Type type, UUID bucketId, String path,
                        boolean centralized);

    /**
     * Renames a volume and/or changes its centralized flag; a {@code null} argument keeps the value.
     * Kind, type, bucket and path never change: blobs already written stay where they are.
     */
    Volume updateVolume(UUID id, String name, Boolean centralized);

    /** Makes the volume the current one of its kind (the previous current one of that kind no longer is). */
    void setCurrent(UUID volumeId);

    /** Removes a volume; refused when it is current or does not exist. */
    void deleteVolume(UUID id);
}
