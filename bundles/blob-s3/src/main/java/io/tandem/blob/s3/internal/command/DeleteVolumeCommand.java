package io.tandem.blob.s3.internal.command;

import io.tandem.api.audit.Audit;
import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.blob.s3.internal.command.completers.VolumeIdCompleter;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.UUID;

/** Removes a volume (refused while it is current); the blobs stored on it are not touched. */
@Service
@Command(scope = "core", name = "deleteVolume",
        description = "Removes a volume (refused while it is current; its blobs are not touched)")
public class DeleteVolumeCommand extends AdminCommandSupport {

    static final String ACTION = "core:deleteVolume";

    @Argument(index = 0, name = "volumeId", required = true, description = "Volume id (core:listVolumes)")
    @Completion(VolumeIdCompleter.class)
    String volumeId;

    @Reference
    VolumeAdminService volumes;

    @Override
    protected String run() {
        Volume volume;
        try {
            UUID id = id("volume id", volumeId);
            volume = volumes.volume(id).orElseThrow(() -> new IllegalArgumentException("no volume " + id));
            volumes.deleteVolume(id);
        } catch (IllegalArgumentException e) {
            throw refused(ACTION, String.valueOf(volumeId), "Volume not deleted", e);
        }
        Audit.done(ACTION, volume.id().toString(), "name=" + volume.name() + " path=" + volume.path());
        return "Volume " + volume.name() + " (" + volume.id() + ") deleted\n";
    }
}
