package io.tandem.blob.s3.internal.command;

import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.Volume;
import io.tandem.api.blob.VolumeRegistry;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The volumes, primary first then secondary, by name; {@code Current} marks where new blobs go. */
@Service
@Command(scope = "core", name = "listVolumes", description = "Lists the blob volumes (primary then secondary) and which are current")
public class ListVolumesCommand extends TandemCommandSupport {

    @Reference
    VolumeRegistry volumes;

    private List<Volume> sorted() {
        return volumes.volumes().stream()
                .sorted(Comparator.comparing(Volume::kind).thenComparing(Volume::name, String.CASE_INSENSITIVE_ORDER))
                .toList();
    }

    private String bucketName(Volume v) {
        if (v.bucketId() == null) {
            return "-";
        }
        return volumes.bucket(v.bucketId()).map(BucketConfig::bucket).orElse("? (" + v.bucketId() + ")");
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    @Override
    protected Object toJson() {
        return sorted().stream().map(v -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", v.id().toString());
            m.put("name", v.name());
            m.put("kind", lower(v.kind()));
            m.put("type", lower(v.type()));
            m.put("bucketId", v.bucketId() == null ? null : v.bucketId().toString());
            m.put("bucket", v.bucketId() == null ? null : bucketName(v));
            m.put("path", v.path());
            m.put("centralized", v.centralized());
            m.put("current", v.current());
            return m;
        }).toList();
    }

    @Override
    protected String text() {
        ShellTable table = new ShellTable().emptyTableText("no volume (core:doCreateVolume)");
        table.column("Id");
        table.column("Name");
        table.column("Kind");
        table.column("Type");
        table.column("Bucket");
        table.column("Path");
        table.column("Centralized");
        table.column("Current");
        for (Volume v : sorted()) {
            table.addRow().addContent(v.id(), v.name(), lower(v.kind()), lower(v.type()), bucketName(v), v.path(),
                    v.centralized(), v.current() ? "*" : "");
        }
        return print(table);
    }
}
