package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.List;
import java.util.Set;

/** Registers an S3 bucket (nothing is contacted: use core:testS3Connection) and prints its id. */
@Service
@Command(scope = "core", name = "doCreateBucket",
        description = "Registers an S3 bucket for volumes and prints its id (check it with core:testS3Connection)")
public class DoCreateBucketCommand extends CommandSupport {

    @Argument(index = 0, name = "provider", required = true, description = "Label: MinIO, S3, Ceph ...")
    String provider;

    @Argument(index = 1, name = "bucketName", required = true, description = "The bucket's name on the endpoint")
    String bucketName;

    @Argument(index = 2, name = "accessKey", required = true, description = "Access key id")
    String accessKey;

    @Argument(index = 3, name = "secretKey", required = true, description = "Secret key (never printed nor logged)")
    String secretKey;

    @Argument(index = 4, name = "endpoint", required = true, description = "http(s)://host[:port]")
    String endpoint;

    @Option(name = "--region", description = "Signing region (e.g. us-east-1); default: ask the endpoint")
    String region;

    @Argument(index = 5, name = "options", multiValued = true,
            description = "--region R, also accepted after the arguments")
    List<String> trailing;

    @Reference
    VolumeAdminService volumes;

    @Override
    protected String safeThreadName() {
        return "pipe-" + action() + " " + provider + " " + bucketName + " " + BucketConfig.mask(accessKey) + " **** ...";
    }

    @Override
    public String render() {
        BucketConfig created = audited("bucket " + bucketName, () -> {
            String r = TrailingOptions.parse(trailing, Set.of(), Set.of("--region")).getOrDefault("--region", region);
            return volumes.createBucket(provider, endpoint, bucketName, r, accessKey, secretKey);
        }, c -> c.id().toString(), c -> "provider=" + c.provider() + " bucket=" + c.bucket() + " endpoint=" + c.endpoint()
                + " region=" + (c.region().isEmpty() ? "-" : c.region()) + " accessKey=" + c.maskedAccessKey());
        return created.id() + "\n";
    }
}
