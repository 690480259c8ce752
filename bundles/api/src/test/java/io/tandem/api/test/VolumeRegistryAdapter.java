package io.tandem.api.test;

import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.api.blob.VolumeCatalog;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * In-memory {@link VolumeAdminService} for unit tests: the rules of {@link VolumeCatalog} (shared with
 * the directory's database implementation), creation order kept. Thread-safe. Ids are random unless the test
 * queues the next ones ({@link #nextIds}) to get stable output.
 */
public class VolumeRegistryAdapter implements VolumeAdminService {

    private VolumeCatalog catalog = new VolumeCatalog(List.of(), List.of());
    private final List<UUID> nextIds = new ArrayList<>();

    /** The ids the next created buckets and volumes get, in order (then random ones). */
    public synchronized VolumeRegistryAdapter nextIds(UUID... ids) {
        nextIds.addAll(List.of(ids));
        return this;
    }

    /** Stores the bucket as given (no rule checked): for tests that need a broken or fixed config. */
    public synchronized VolumeRegistryAdapter putBucket(BucketConfig bucket) {
        Map<UUID, BucketConfig> all = new LinkedHashMap<>();
        catalog.buckets().forEach(b -> all.put(b.id(), b));
        all.put(bucket.id(), bucket);
        catalog = new VolumeCatalog(all.values(), catalog.volumes());
        return this;
    }

    /** Stores the volume as given (no rule checked, the current flag of the others untouched). */
    public synchronized VolumeRegistryAdapter putVolume(Volume volume) {
        Map<UUID, Volume> all = new LinkedHashMap<>();
        catalog.volumes().forEach(v -> all.put(v.id(), v));
        all.put(volume.id(), volume);
        catalog = new VolumeCatalog(catalog.buckets(), all.values());
        return this;
    }

    private UUID newId() {
        return nextIds.isEmpty() ? UUID.randomUUID() : nextIds.remove(0);
    }

    @Override
    public synchronized List<BucketConfig> buckets() {
        return catalog.buckets();
    }

    @Override
    public synchronized Optional<BucketConfig> bucket(UUID id) {
        return catalog.bucket(id);
    }

    @Override
    public synchronized List<Volume> volumes() {
        return catalog.volumes();
    }

    @Override
    public synchronized Optional<Volume> volume(UUID id) {
        return catalog.volume(id);
    }

    @Override
    public synchronized Optional<Volume> current(Volume.Kind kind) {
        return catalog.current(kind);
    }

    @Override
    public synchronized BucketConfig createBucket(String provider, String endpoint, String bucket, String region,
                                                  String accessKey, String secretKey) {
        UUID id = newId();
        try {
            return catalog.createBucket(id, provider, endpoint, bucket, region, accessKey, secretKey);
        } catch (IllegalArgumentException e) {
            nextIds.add(0, id);
            throw e;
        }
    }

    @Override
    public synchronized void deleteBucket(UUID id) {
        catalog.deleteBucket(id);
    }

    @Override
    public synchronized Volume createVolume(String name, Volume.Kind kind, Volume.Type type, UUID bucketId,
                                            String path, boolean centralized) {
        UUID id = newId();
        try {
            return catalog.createVolume(id, name, kind, type, bucketId, path, centralized);
        } catch (IllegalArgumentException e) {
            nextIds.add(0, id);
            throw e;
        }
    }

    @Override
    public synchronized Volume updateVolume(UUID id, String name, Boolean centralized) {
        return catalog.updateVolume(id, name, centralized);
    }

    @Override
    public synchronized void setCurrent(UUID volumeId) {
        catalog.setCurrent(volumeId);
    }

    @Override
    public synchronized void deleteVolume(UUID id) {
        catalog.deleteVolume(id);
    }
}
