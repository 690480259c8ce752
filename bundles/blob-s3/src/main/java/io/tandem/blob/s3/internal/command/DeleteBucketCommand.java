package io.tandem.blob.s3.internal.command;

import io.tandem.api.audit.Audit;
import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.blob.s3.internal.command.completers.BucketIdCompleter;
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
public class DeleteBucketCommand extends AdminCommandSupport {

    static final String ACTION = "core:deleteBucket";

    @Argument(index = 0, name = "bucketId", required = true, description = "Bucket id (core:listBuckets)")
    @Completion(BucketIdCompleter.class)
    String bucketId;

    @Reference
    VolumeAdminService volumes;

    @Override
    protected String run() {
        BucketConfig bucket;
        try {
            UUID id = id("bucket id", bucketId);
            bucket = volumes.bucket(id).orElseThrow(() -> new IllegalArgumentException("no bucket " + id));
            volumes.deleteBucket(id);
        } catch (IllegalArgumentException e) {
            throw refused(ACTION, String.valueOf(bucketId), "Bucket not deleted", e);
        }
        Audit.done(ACTION, bucket.id().toString(), "bucket=" + bucket.bucket() + " endpoint=" + bucket.endpoint());
        return "Bucket " + bucket.id() + " (" + bucket.bucket() + " at " + bucket.endpoint() + ") deleted\n";
    }
}
