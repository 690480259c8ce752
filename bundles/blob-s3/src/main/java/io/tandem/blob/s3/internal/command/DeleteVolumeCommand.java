package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.blob.s3.internal.command.completers.VolumeIdCompleter;
import io.tandem.shell.CommandSupport;
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
public class DeleteVolumeCommand extends CommandSupport {

    @Argument(index = 0, name = "volumeId", required = true, description = "Volume id (core:listVolumes)")
    @Completion(VolumeIdCompleter.class)
    String volumeId;

    @Reference
    VolumeAdminService volumes;

    @Override
    public String render() {
        Volume volume = audited(volumeId, () -> {
            UUID id = Ids.parse("volume id", volumeId);
            Volume v = volumes.volume(id).orElseThrow(() -> new IllegalArgumentException("no volume " + id));
            volumes.deleteVolume(id);
            return v;
        }, v -> v.id().toString(), v -> "name=" + v.name() + " path=" + v.path());
        return "Volume " + volume.name() + " (" + volume.id() + ") deleted\n";
    }
}
