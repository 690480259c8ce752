package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.api.blob.VolumeRules;
import io.tandem.blob.s3.internal.command.completers.BucketIdCompleter;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.completers.StringsCompleter;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;

/** Creates a volume (not current: see core:setCurrentVolume) and prints its id. */
@Service
@Command(scope = "core", name = "doCreateVolume",
        description = "Creates a volume on an S3 bucket or a local directory and prints its id (make it current with core:setCurrentVolume)")
public class DoCreateVolumeCommand extends CommandSupport {

    @Argument(index = 0, name = "name", required = true, description = "Volume name (letters, digits, . _ -)")
    String name;

    @Argument(index = 1, name = "kind", required = true, description = "primary or secondary")
    @Completion(values = {"primary", "secondary"}, value = StringsCompleter.class)
    String kind;

    @Argument(index = 2, name = "type", required = true, description = "s3 or local")
    @Completion(values = {"s3", "local"}, value = StringsCompleter.class)
    String type;

    @Argument(index = 3, name = "bucketId", required = true, description = "Bucket id for s3 (core:listBuckets), - for local")
    @Completion(BucketIdCompleter.class)
    String bucketId;

    @Argument(index = 4, name = "path", required = true,
            description = "s3: key prefix (e.g. mailstore/blobs); local: root directory (relative = under local.root)")
    String path;

    @Option(name = "--centralized", description = "Shared by every mailstore of the cluster (s3 only)")
    boolean centralized;

    @Argument(index = 5, name = "options", multiValued = true,
            description = "--centralized, also accepted after the arguments")
    List<String> trailing;

    @Reference
    VolumeAdminService volumes;

    @Override
    public String render() {
        Volume created = audited("volume " + name, () -> {
            boolean c = centralized
                    || TrailingOptions.parse(trailing, Set.of("--centralized"), Set.of()).containsKey("--centralized");
            Volume.Kind k = VolumeRules.kind(kind);
            Volume.Type t = VolumeRules.type(type);
            UUID bucket = "-".equals(bucketId) ? null : Ids.parse("bucket id", bucketId);
            return volumes.createVolume(name, k, t, bucket, path, c);
        }, v -> v.id().toString(), v -> "name=" + v.name()
                + " kind=" + v.kind().name().toLowerCase(Locale.ROOT)
                + " type=" + v.type().name().toLowerCase(Locale.ROOT)
                + " bucket=" + (v.bucketId() == null ? "-" : v.bucketId())
                + " path=" + v.path() + " centralized=" + v.centralized());
        return created.id() + "\n";
    }
}
