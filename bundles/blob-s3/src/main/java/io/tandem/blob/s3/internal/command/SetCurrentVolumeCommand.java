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

import java.util.Locale;
import java.util.UUID;

/** Makes a volume the current one of its kind: new blobs of that kind are written there from now on. */
@Service
@Command(scope = "core", name = "setCurrentVolume",
        description = "Makes a volume the current one of its kind (new blobs go there; the previous one stops being current)")
public class SetCurrentVolumeCommand extends CommandSupport {

    @Argument(index = 0, name = "volumeId", required = true, description = "Volume id (core:listVolumes)")
    @Completion(VolumeIdCompleter.class)
    String volumeId;

    @Reference
    VolumeAdminService volumes;

    /** Where the directory runs: a non-centralized primary volume is refused while accounts are replicated. */
    @Reference(optional = true)
    io.tandem.api.directory.DirectoryService directory;

    @Override
    public String render() {
        Switch done = audited(volumeId, () -> {
            UUID id = Ids.parse("volume id", volumeId);
            Volume volume = volumes.volume(id).orElseThrow(() -> new IllegalArgumentException("no volume " + id));
            String previous = volumes.current(volume.kind()).map(v -> v.name() + " (" + v.id() + ")").orElse("none");
            ReplicatedVolumes.requireShared(volume, directory);
            volumes.setCurrent(id);
            return new Switch(volume, previous);
        }, s -> s.volume().id().toString(), s -> "name=" + s.volume().name() + " kind=" + s.kind() + " previous=" + s.previous());
        return "Volume " + done.volume().name() + " (" + done.volume().id() + ") is now the current " + done.kind() + " volume (was "
                + done.previous() + ")\n";
    }

    /** The volume made current and the one it replaced. */
    private record Switch(Volume volume, String previous) {
        String kind() {
            return volume.kind().name().toLowerCase(Locale.ROOT);
        }
    }
}
