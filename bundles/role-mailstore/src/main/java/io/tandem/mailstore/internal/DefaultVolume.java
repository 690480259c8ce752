package io.tandem.mailstore.internal;

import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeAdminService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;

/**
 * The single-machine default: when no primary volume is current, a LOCAL volume {@value #NAME} (blobs
 * under each node's {@code local.root}, not centralized) is created and made current, so a fresh node
 * delivers mail at once. Clusters make an S3 volume current instead ({@code core:setCurrentVolume}),
 * which replaces it; Active Replica needs a centralized volume.
 */
final class DefaultVolume {

    static final String NAME = "local-primary";
    private static final Logger LOG = LoggerFactory.getLogger(DefaultVolume.class);

    private DefaultVolume() {
    }

    /** Idempotent; safe when several Mailstores start at once. Never throws: a failure is logged. */
    static void ensure(VolumeAdminService volumes) {
        try {
            if (volumes.current(Volume.Kind.PRIMARY).isPresent()) {
                return;
            }
            Volume local = named(volumes).orElseGet(() -> {
                try {
                    return volumes.createVolume(NAME, Volume.Kind.PRIMARY, Volume.Type.LOCAL, null, "primary", false);
                } catch (IllegalArgumentException e) {
                    return named(volumes).orElseThrow(() -> e); // another node created it first
                }
            });
            if (volumes.current(Volume.Kind.PRIMARY).isEmpty()) {
                volumes.setCurrent(local.id());
                LOG.info("No primary volume was current: made the local volume {} ({}) current", NAME, local.id());
            }
        } catch (RuntimeException e) {
            LOG.warn("Could not set up the default local volume (mail is deferred until a primary volume is current): {}",
                    e.getMessage());
        }
    }

    private static Optional<Volume> named(VolumeAdminService volumes) {
        return volumes.volumes().stream().filter(v -> v.name().equals(NAME)).findFirst();
    }
}
