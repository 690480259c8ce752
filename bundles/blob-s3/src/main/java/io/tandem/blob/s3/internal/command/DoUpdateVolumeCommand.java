package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.blob.s3.internal.command.completers.VolumeIdCompleter;
import io.tandem.shell.CommandSupport;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.StringsCompleter;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** Renames a volume or changes its centralized flag (kind, type, bucket and path never change). */
@Service
@Command(scope = "core", name = "doUpdateVolume",
        description = "Renames a volume and/or sets its centralized flag (kind, type, bucket and path never change)")
public class DoUpdateVolumeCommand extends CommandSupport {

    @Argument(index = 0, name = "volumeId", required = true, description = "Volume id (core:listVolumes)")
    @Completion(VolumeIdCompleter.class)
    String volumeId;

    @Option(name = "--name", description = "New name")
    String name;

    @Option(name = "--centralized", description = "true or false")
    @Completion(values = {"true", "false"}, value = StringsCompleter.class)
    String centralized;

    @Argument(index = 1, name = "options", multiValued = true,
            description = "--name N and --centralized true|false, also accepted after the volume id")
    List<String> trailing;

    @Reference
    VolumeAdminService volumes;

    /** Where the directory runs: the current primary volume cannot stop being centralized while accounts are replicated. */
    @Reference(optional = true)
    io.tandem.api.directory.DirectoryService directory;

    @Override
    public String render() {
        Change change = audited(volumeId, () -> {
            UUID id = Ids.parse("volume id", volumeId);
            Map<String, String> after = TrailingOptions.parse(trailing, Set.of(), Set.of("--name", "--centralized"));
            String newName = after.getOrDefault("--name", name);
            String central = after.getOrDefault("--centralized", centralized);
            Boolean c = null;
            if (central != null) {
                if (!central.equalsIgnoreCase("true") && !central.equalsIgnoreCase("false")) {
                    throw new IllegalArgumentException("--centralized '" + central + "' must be true or false");
                }
                c = Boolean.valueOf(central.equalsIgnoreCase("true"));
            }
            if (newName == null && c == null) {
                throw new IllegalArgumentException("nothing to change: give --name and/or --centralized");
            }
            Volume before = volumes.volume(id).orElseThrow(() -> new IllegalArgumentException("no volume " + id));
            if (before.current() && c != null) {
                ReplicatedVolumes.requireShared(new Volume(before.id(), before.name(), before.kind(), before.type(), before.bucketId(),
                        before.path(), c, true), directory);
            }
            return new Change(before, volumes.updateVolume(id, newName, c));
        }, u -> u.updated().id().toString(), Change::text);
        return "Volume " + change.updated().id() + " updated: " + change.text() + "\n";
    }

    /** A volume before and after the update. */
    private record Change(Volume before, Volume updated) {
        String text() {
            return "name=" + updated.name() + (before.name().equals(updated.name()) ? "" : " (was " + before.name() + ")")
                    + " centralized=" + updated.centralized()
                    + (before.centralized() == updated.centralized() ? "" : " (was " + before.centralized() + ")");
        }
    }
}
