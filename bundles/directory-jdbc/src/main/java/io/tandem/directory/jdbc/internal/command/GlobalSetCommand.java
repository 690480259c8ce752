package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.DirectoryAdminService;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "global", name = "set", description = "Sets a cluster-wide configuration key, e.g. global:set brokers \"h1:9092,h2:9092\"")
public class GlobalSetCommand extends AuditedCommand {

    @Argument(index = 0, name = "key", required = true, description = "Configuration key")
    String key;

    @Argument(index = 1, name = "value", required = false, description = "Value (omit with --remove)")
    String value;

    @Option(name = "--remove", description = "Remove the key")
    boolean remove;

    @Reference
    DirectoryAdminService directory;

    @Override
    protected String target() {
        return key;
    }

    @Override
    protected String change() {
        if (remove == (value != null)) {
            throw new IllegalArgumentException("global:set " + key + ": give either a value or --remove");
        }
        directory.setGlobal(key, remove ? null : value);
        return remove ? "Global " + key + " removed" : "Global " + key + " = " + value;
    }
}
