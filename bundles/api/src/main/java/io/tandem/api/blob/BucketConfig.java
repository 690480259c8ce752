package io.tandem.api.blob;

import java.util.Objects;
import java.util.UUID;

/**
 * An S3 bucket Tandem can store blobs in, with the credentials to reach it.
 *
 * <p>{@link #toString()} never prints the secret key and masks the access key (only its first four
 * characters are shown): a {@code BucketConfig} may be logged or put into a message safely.
 *
 * @param provider  a label for operators ({@code MinIO}, {@code S3}, {@code Ceph} ...); it does not
 *                  change how the bucket is accessed
 * @param endpoint  {@code http(s)://host[:port]}, no path
 * @param bucket    the bucket name on that endpoint
 * @param region    signing region; empty (never {@code null}) lets the client ask the endpoint
 * @param accessKey access key id
 * @param secretKey secret key
 */
public record BucketConfig(UUID id, String provider, String endpoint, String bucket, String region,
                           String accessKey, String secretKey) {

    public BucketConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(bucket, "bucket");
        region = region == null ? "" : region;
        Objects.requireNonNull(accessKey, "accessKey");
        Objects.requireNonNull(secretKey, "secretKey");
    }

    /** The access key as it may be shown: its first four characters, then {@code ****}. */
    public String maskedAccessKey() {
        return mask(accessKey);
    }

    /** {@code AKIA****} for {@code AKIAIOSFODNN7EXAMPLE}; only {@code ****} for keys of four characters or less. */
    public static String mask(String accessKey) {
        if (accessKey == null) {
            return "null";
        }
        return accessKey.length() <= 4 ? "****" : accessKey.substring(0, 4) + "****";
    }

    @Override
    public String toString() {
        return "BucketConfig[id=" + id + ", provider=" + provider + ", endpoint=" + endpoint + ", bucket=" + bucket
                + ", region=" + region + ", accessKey=" + maskedAccessKey() + ", secretKey=****]";
    }
}
