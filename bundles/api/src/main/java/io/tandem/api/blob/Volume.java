package io.tandem.api.blob;

import java.util.Objects;
import java.util.UUID;

/**
 * Where blobs are written: a key prefix in an S3 bucket, or a directory on the local filesystem.
 * One volume of each {@link Kind} is current: new blobs go to the current {@link Kind#PRIMARY}
 * volume; the current {@link Kind#SECONDARY} volume receives blobs moved off the primary tier.
 *
 * @param bucketId    the bucket of an {@link Type#S3} volume; {@code null} for a {@link Type#LOCAL} one
 * @param path        key prefix inside the bucket (S3), or root directory (LOCAL; a relative path is
 *                    resolved against the blob service's local root)
 * @param centralized shared by every mailstore of the cluster (S3 only); otherwise private to the
 *                    mailstore that writes it
 * @param current     the volume new blobs of its kind are written to
 */
public record Volume(UUID id, String name, Kind kind, Type type, UUID bucketId, String path,
                     boolean centralized, boolean current) {

    public enum Kind { PRIMARY, SECONDARY }

    public enum Type { S3, LOCAL }

    public Volume {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(path, "path");
        if (type == Type.S3 && bucketId == null) {
            throw new IllegalArgumentException("volume " + name + ": an S3 volume needs a bucket");
        }
        if (type == Type.LOCAL && bucketId != null) {
            throw new IllegalArgumentException("volume " + name + ": a LOCAL volume has no bucket (got " + bucketId + ")");
        }
    }

    /** The same volume with another {@code current} flag. */
    public Volume withCurrent(boolean newCurrent) {
        return new Volume(id, name, kind, type, bucketId, path, centralized, newCurrent);
    }
}
