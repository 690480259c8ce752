package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.blob.s3.internal.command.completers.BucketIdCompleter;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.UUID;

/** Removes a bucket registration (refused while a volume uses it); the bucket's objects are not touched. */
@Service
@Command(scope = "core", name = "deleteBucket",
        description = "Removes a bucket registration (refused while a volume uses it; objects are not touched)")
public class DeleteBucketCommand extends CommandSupport {

    @Argument(index = 0, name = "bucketId", required = true, description = "Bucket id (core:listBuckets)")
    @Completion(BucketIdCompleter.class)
    String bucketId;

    @Reference
    VolumeAdminService volumes;

    @Override
    public String render() {
        BucketConfig bucket = audited(bucketId, () -> {
            UUID id = Ids.parse("bucket id", bucketId);
            BucketConfig b = volumes.bucket(id).orElseThrow(() -> new IllegalArgumentException("no bucket " + id));
            volumes.deleteBucket(id);
            return b;
        }, b -> b.id().toString(), b -> "bucket=" + b.bucket() + " endpoint=" + b.endpoint());
        return "Bucket " + bucket.id() + " (" + bucket.bucket() + " at " + bucket.endpoint() + ") deleted\n";
    }
}
