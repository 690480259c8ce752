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

import java.util.Locale;
import java.util.UUID;

/** Makes a volume the current one of its kind: new blobs of that kind are written there from now on. */
@Service
@Command(scope = "core", name = "setCurrentVolume",
        description = "Makes a volume the current one of its kind (new blobs go there; the previous one stops being current)")
public class SetCurrentVolumeCommand extends AdminCommandSupport {

    static final String ACTION = "core:setCurrentVolume";

    @Argument(index = 0, name = "volumeId", required = true, description = "Volume id (core:listVolumes)")
    @Completion(VolumeIdCompleter.class)
    String volumeId;

    @Reference
    VolumeAdminService volumes;

    /** Where the directory runs: a non-centralized primary volume is refused while accounts are replicated. */
    @Reference(optional = true)
    io.tandem.api.directory.DirectoryService directory;

    @Override
    protected String run() {
        Volume volume;
        String previous;
        try {
            UUID id = id("volume id", volumeId);
            volume = volumes.volume(id).orElseThrow(() -> new IllegalArgumentException("no volume " + id));
            previous = volumes.current(volume.kind()).map(v -> v.name() + " (" + v.id() + ")").orElse("none");
            ReplicatedVolumes.requireShared(volume, directory);
            volumes.setCurrent(id);
        } catch (IllegalArgumentException e) {
            throw refused(ACTION, String.valueOf(volumeId), "Current volume not changed", e);
        }
        String kind = volume.kind().name().toLowerCase(Locale.ROOT);
        Audit.done(ACTION, volume.id().toString(), "name=" + volume.name() + " kind=" + kind + " previous=" + previous);
        return "Volume " + volume.name() + " (" + volume.id() + ") is now the current " + kind + " volume (was "
                + previous + ")\n";
    }
}
