package io.tandem.directory.jdbc.internal;

import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.api.blob.VolumeCatalog;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * Buckets and volumes in the directory database. Every change runs in one transaction that first
 * takes the catalog lock (so concurrent changes from several nodes are serialised), loads the
 * catalog, applies the operation with the shared rules of {@link VolumeCatalog}, and writes back
 * what changed.
 */
final class JdbcVolumes implements VolumeAdminService {

    private final Sql sql;

    JdbcVolumes(Sql sql) {
        this.sql = sql;
    }

    private static VolumeCatalog load(Connection c) throws SQLException {
        return new VolumeCatalog(
                Sql.list(c, "SELECT id, provider, endpoint, bucket, region, access_key, secret_key FROM buckets ORDER BY position",
                        JdbcVolumes::bucketRow),
                Sql.list(c, "SELECT id, name, kind, type, bucket_id, path, centralized, current_volume FROM volumes ORDER BY position",
                        JdbcVolumes::volumeRow));
    }

    private VolumeCatalog read() {
        return sql.tx(JdbcVolumes::load);
    }

    private <T> T change(Function<VolumeCatalog, T> operation) {
        return sql.tx(c -> {
            Sql.update(c, "UPDATE catalog_lock SET version = version + 1 WHERE id = 1");
            long version = Sql.one(c, "SELECT version FROM catalog_lock WHERE id = 1", rs -> rs.getLong(1)).orElseThrow();
            VolumeCatalog catalog = load(c);
            Map<UUID, BucketConfig> bucketsBefore = index(catalog.buckets(), BucketConfig::id);
            Map<UUID, Volume> volumesBefore = index(catalog.volumes(), Volume::id);
            T result = operation.apply(catalog); // validates first; throws without changing anything
            persist(c, version, bucketsBefore, index(catalog.buckets(), BucketConfig::id),
                    volumesBefore, index(catalog.volumes(), Volume::id));
            return result;
        });
    }

    private static <T> Map<UUID, T> index(List<T> items, Function<T, UUID> id) {
        Map<UUID, T> out = new HashMap<>();
        items.forEach(i -> out.put(id.apply(i), i));
        return out;
    }

    private static void persist(Connection c, long version, Map<UUID, BucketConfig> bucketsBefore, Map<UUID, BucketConfig> bucketsAfter,
                                Map<UUID, Volume> volumesBefore, Map<UUID, Volume> volumesAfter) throws SQLException {
        for (UUID id : volumesBefore.keySet()) {
            if (!volumesAfter.containsKey(id)) {
                Sql.update(c, "DELETE FROM volumes WHERE id = ?", id);
            }
        }
        for (UUID id : bucketsBefore.keySet()) {
            if (!bucketsAfter.containsKey(id)) {
                Sql.update(c, "DELETE FROM buckets WHERE id = ?", id);
            }
        }
        for (BucketConfig b : bucketsAfter.values()) {
            if (!bucketsBefore.containsKey(b.id())) {
                Sql.update(c, "INSERT INTO buckets (id, provider, endpoint, bucket, region, access_key, secret_key, position) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", b.id(), b.provider(), b.endpoint(), b.bucket(), b.region(),
                        b.accessKey(), b.secretKey(), version);
            }
        }
        for (Volume v : volumesAfter.values()) {
            Volume before = volumesBefore.get(v.id());
            if (before == null) {
                Sql.update(c, "INSERT INTO volumes (id, name, kind, type, bucket_id, path, centralized, current_volume, position) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", v.id(), v.name(), v.kind().name(), v.type().name(), v.bucketId(),
                        v.path(), v.centralized(), v.current(), version);
            } else if (!Objects.equals(before, v)) {
                Sql.update(c, "UPDATE volumes SET name = ?, centralized = ?, current_volume = ? WHERE id = ?",
                        v.name(), v.centralized(), v.current(), v.id());
            }
        }
    }

    @Override
    public List<BucketConfig> buckets() {
        return read().buckets();
    }

    @Override
    public Optional<BucketConfig> bucket(UUID id) {
        return read().bucket(id);
    }

    @Override
    public List<Volume> volumes() {
        return read().volumes();
    }

    @Override
    public Optional<Volume> volume(UUID id) {
        return read().volume(id);
    }

    @Override
    public Optional<Volume> current(Volume.Kind kind) {
        return read().current(kind);
    }

    @Override
    public BucketConfig createBucket(String provider, String endpoint, String bucket, String region, String accessKey, String secretKey) {
        UUID id = UUID.randomUUID();
        return change(c -> c.createBucket(id, provider, endpoint, bucket, region, accessKey, secretKey));
    }

    @Override
    public void deleteBucket(UUID id) {
        change(c -> {
            c.deleteBucket(id);
            return null;
        });
    }

    @Override
    public Volume createVolume(String name, Volume.Kind kind, Volume.Type type, UUID bucketId, String path, boolean centralized) {
        UUID id = UUID.randomUUID();
        return change(c -> c.createVolume(id, name, kind, type, bucketId, path, centralized));
    }

    @Override
    public Volume updateVolume(UUID id, String name, Boolean centralized) {
        return change(c -> c.updateVolume(id, name, centralized));
    }

    @Override
    public void setCurrent(UUID volumeId) {
        change(c -> c.setCurrent(volumeId));
    }

    @Override
    public void deleteVolume(UUID id) {
        change(c -> {
            c.deleteVolume(id);
            return null;
        });
    }

    private static BucketConfig bucketRow(ResultSet rs) throws SQLException {
        return new BucketConfig(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4),
                rs.getString(5), rs.getString(6), rs.getString(7));
    }

    private static Volume volumeRow(ResultSet rs) throws SQLException {
        return new Volume(rs.getObject(1, UUID.class), rs.getString(2), Volume.Kind.valueOf(rs.getString(3)),
                Volume.Type.valueOf(rs.getString(4)), rs.getObject(5, UUID.class), rs.getString(6), rs.getBoolean(7), rs.getBoolean(8));
    }
}
