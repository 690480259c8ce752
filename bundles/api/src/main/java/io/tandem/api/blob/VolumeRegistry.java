package io.tandem.api.blob;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Read side of the blob storage configuration: buckets and volumes, as the directory holds them. */
public interface VolumeRegistry {

    /** Every bucket, in creation order. */
    List<BucketConfig> buckets();

    Optional<BucketConfig> bucket(UUID id);

    /** Every volume, in creation order. */
    List<Volume> volumes();

    Optional<Volume> volume(UUID id);

    /** The volume new blobs of this kind are written to, if one is set. */
    Optional<Volume> current(Volume.Kind kind);
}
