package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeRegistry;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The registered buckets, access keys masked, secret keys never shown, with the volumes using each. */
@Service
@Command(scope = "core", name = "listBuckets", description = "Lists the S3 buckets registered for volumes (secret keys are never shown)")
public class ListBucketsCommand extends TandemCommandSupport {

    @Reference
    VolumeRegistry volumes;

    private List<String> users(UUID bucketId, List<Volume> all) {
        return all.stream().filter(v -> bucketId.equals(v.bucketId())).map(Volume::name).toList();
    }

    @Override
    protected Object toJson() {
        List<Volume> all = volumes.volumes();
        return volumes.buckets().stream().map(b -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", b.id().toString());
            m.put("provider", b.provider());
            m.put("endpoint", b.endpoint());
            m.put("bucket", b.bucket());
            m.put("region", b.region());
            m.put("accessKey", b.maskedAccessKey());
            m.put("volumes", users(b.id(), all));
            return m;
        }).toList();
    }

    @Override
    protected String text() {
        List<Volume> all = volumes.volumes();
        ShellTable table = new ShellTable().emptyTableText("no bucket registered (core:doCreateBucket)");
        table.column("Id");
        table.column("Provider");
        table.column("Endpoint");
        table.column("Bucket");
        table.column("Region");
        table.column("Access key");
        table.column("Volumes");
        for (BucketConfig b : volumes.buckets()) {
            List<String> users = users(b.id(), all);
            table.addRow().addContent(b.id(), b.provider(), b.endpoint(), b.bucket(),
                    b.region().isEmpty() ? "-" : b.region(), b.maskedAccessKey(),
                    users.isEmpty() ? "-" : String.join(",", users));
        }
        return print(table);
    }
}
