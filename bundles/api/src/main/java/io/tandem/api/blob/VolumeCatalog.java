package io.tandem.api.blob;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The rules of {@link VolumeAdminService} as one mutable, in-memory catalog of buckets and volumes.
 * Implementations load the catalog, apply an operation (which validates everything first and throws
 * {@link IllegalArgumentException} naming the bad value, leaving the catalog unchanged), then persist
 * what changed. Not thread-safe: callers serialise operations (a lock, a database transaction).
 */
public final class VolumeCatalog {

    private final Map<UUID, BucketConfig> buckets = new LinkedHashMap<>();
    private final Map<UUID, Volume> volumes = new LinkedHashMap<>();

    public VolumeCatalog(Collection<BucketConfig> buckets, Collection<Volume> volumes) {
        buckets.forEach(b -> this.buckets.put(b.id(), b));
        volumes.forEach(v -> this.volumes.put(v.id(), v));
    }

    public List<BucketConfig> buckets() {
        return List.copyOf(buckets.values());
    }

    public Optional<BucketConfig> bucket(UUID id) {
        return Optional.ofNullable(id == null ? null : buckets.get(id));
    }

    public List<Volume> volumes() {
        return List.copyOf(volumes.values());
    }

    public Optional<Volume> volume(UUID id) {
        return Optional.ofNullable(id == null ? null : volumes.get(id));
    }

    public Optional<Volume> current(Volume.Kind kind) {
        return volumes.values().stream().filter(v -> v.kind() == kind && v.current()).findFirst();
    }

    public BucketConfig createBucket(UUID id, String provider, String endpoint, String bucket, String region,
                                     String accessKey, String secretKey) {
        String p = VolumeRules.provider(provider);
        String e = VolumeRules.endpoint(endpoint);
        String b = VolumeRules.bucketName(bucket);
        String r = VolumeRules.region(region);
        String a = VolumeRules.accessKey(accessKey);
        String s = VolumeRules.secretKey(secretKey);
        for (BucketConfig other : buckets.values()) {
            if (other.endpoint().equals(e) && other.bucket().equals(b)) {
                throw new IllegalArgumentException("bucket '" + b + "' on " + e + " is already registered as " + other.id());
            }
        }
        BucketConfig created = new BucketConfig(id, p, e, b, r, a, s);
        buckets.put(created.id(), created);
        return created;
    }

    public void deleteBucket(UUID id) {
        BucketConfig bucket = existingBucket(id);
        List<String> users = volumes.values().stream().filter(v -> id.equals(v.bucketId())).map(Volume::name).toList();
        if (!users.isEmpty()) {
            throw new IllegalArgumentException("bucket " + id + " (" + bucket.bucket() + ") is used by volume"
                    + (users.size() > 1 ? "s " : " ") + String.join(", ", users) + ": delete them first");
        }
        buckets.remove(id);
    }

    public Volume createVolume(UUID id, String name, Volume.Kind kind, Volume.Type type, UUID bucketId,
                               String path, boolean centralized) {
        String n = VolumeRules.volumeName(name);
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(type, "type");
        checkNameFree(n, null);
        String p = VolumeRules.path(type, path);
        if (type == Volume.Type.S3) {
            if (bucketId == null) {
                throw new IllegalArgumentException("an S3 volume needs a bucket (got none)");
            }
            existingBucket(bucketId);
        } else {
            if (bucketId != null) {
                throw new IllegalArgumentException("a LOCAL volume has no bucket (got " + bucketId + ")");
            }
            if (centralized) {
                throw new IllegalArgumentException("LOCAL volume " + n + " cannot be centralized (only S3 volumes are shared)");
            }
        }
        for (Volume other : volumes.values()) {
            if (other.type() == type && Objects.equals(other.bucketId(), bucketId) && other.path().equals(p)) {
                throw new IllegalArgumentException("path '" + p + "'" + (bucketId == null ? "" : " in bucket " + bucketId)
                        + " is already used by volume " + other.name());
            }
        }
        Volume created = new Volume(id, n, kind, type, bucketId, p, centralized, false);
        volumes.put(created.id(), created);
        return created;
    }

    public Volume updateVolume(UUID id, String name, Boolean centralized) {
        Volume v = existingVolume(id);
        String n = v.name();
        if (name != null) {
            n = VolumeRules.volumeName(name);
            checkNameFree(n, id);
        }
        boolean c = centralized == null ? v.centralized() : centralized;
        if (c && v.type() == Volume.Type.LOCAL) {
            throw new IllegalArgumentException("LOCAL volume " + v.name() + " cannot be centralized (only S3 volumes are shared)");
        }
        Volume updated = new Volume(v.id(), n, v.kind(), v.type(), v.bucketId(), v.path(), c, v.current());
        volumes.put(id, updated);
        return updated;
    }

    /** Makes the volume current; returns the volumes of its kind as they are now. */
    public List<Volume> setCurrent(UUID volumeId) {
        Volume v = existingVolume(volumeId);
        volumes.replaceAll((id, other) -> other.kind() == v.kind() ? other.withCurrent(id.equals(volumeId)) : other);
        return volumes.values().stream().filter(o -> o.kind() == v.kind()).toList();
    }

    public void deleteVolume(UUID id) {
        Volume v = existingVolume(id);
        if (v.current()) {
            throw new IllegalArgumentException("volume " + v.name() + " (" + id + ") is the current "
                    + v.kind().name().toLowerCase(Locale.ROOT) + " volume: make another one current first");
        }
        volumes.remove(id);
    }

    private BucketConfig existingBucket(UUID id) {
        BucketConfig b = id == null ? null : buckets.get(id);
        if (b == null) {
            throw new IllegalArgumentException("no bucket " + id);
        }
        return b;
    }

    private Volume existingVolume(UUID id) {
        Volume v = id == null ? null : volumes.get(id);
        if (v == null) {
            throw new IllegalArgumentException("no volume " + id);
        }
        return v;
    }

    private void checkNameFree(String name, UUID self) {
        for (Volume other : volumes.values()) {
            if (other.name().equalsIgnoreCase(name) && !other.id().equals(self)) {
                throw new IllegalArgumentException("volume name '" + name + "' is already used by " + other.id());
            }
        }
    }
}
