package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.Volume;
import io.tandem.api.directory.DirectoryService;

/**
 * Replicas read mail bodies from the volume their source wrote them to, so while accounts are replicated the
 * current primary volume must stay centralized (shared by every Mailstore). Checked by the commands that
 * could change that.
 */
final class ReplicatedVolumes {

    private ReplicatedVolumes() {
    }

    /**
     * Refuses a current primary volume that is not centralized while any replica (not paused) exists.
     *
     * @param volume    the volume as it would be after the command
     * @param directory the directory, or {@code null} where it does not run (nothing to check against)
     */
    static void requireShared(Volume volume, DirectoryService directory) {
        if (volume.kind() != Volume.Kind.PRIMARY || volume.centralized() || directory == null) {
            return;
        }
        long replicas = directory.replicas().stream().filter(r -> !r.paused()).count();
        if (replicas > 0) {
            throw new IllegalArgumentException("volume " + volume.name() + " would be a current primary volume that is not "
                    + "centralized while " + replicas + " replica(s) read mail bodies from the current primary volume "
                    + "(ha:getAccountStatus): use a centralized S3 volume, or remove the replicas first");
        }
    }
}
