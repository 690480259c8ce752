package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.DirectoryService;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.Map;

@Service
@Command(scope = "global", name = "get", description = "Shows cluster-wide configuration: one key, or all")
public class GlobalGetCommand extends TandemCommandSupport {

    @Argument(index = 0, name = "key", required = false, description = "Configuration key (all keys when omitted)")
    String key;

    @Reference
    DirectoryService directory;

    @Override
    protected Map<String, String> toJson() {
        if (key == null) {
            return directory.globals();
        }
        String v = directory.global(key).orElseThrow(() -> new IllegalArgumentException("global '" + key + "' is not set"));
        return Map.of(key, v);
    }

    @Override
    protected String text() {
        Map<String, String> values = toJson();
        return values.isEmpty() ? "no global configuration set\n" : keyValues(values);
    }
}
