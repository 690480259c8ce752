package io.tandem.api.blob;

import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A stored blob: the volume it lives on, its key there, and the SHA-256 and size of its content.
 * Blobs are content-addressed: the key is derived from the digest, so equal content has one key
 * per volume. This is what replication events carry (never the bytes).
 *
 * @param sha256 lowercase hexadecimal SHA-256 of the content (64 characters)
 */
public record BlobRef(UUID volumeId, String key, String sha256, long size) {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public BlobRef {
        Objects.requireNonNull(volumeId, "volumeId");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(sha256, "sha256");
        if (key.isEmpty()) {
            throw new IllegalArgumentException("blob key must not be empty");
        }
        if (!SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256 '" + sha256 + "' is not 64 lowercase hex digits");
        }
        if (size < 0) {
            throw new IllegalArgumentException("size " + size + " is negative");
        }
    }
}
