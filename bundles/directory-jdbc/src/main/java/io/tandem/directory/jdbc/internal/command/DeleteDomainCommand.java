package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "prov", name = "deleteDomain", description = "Deletes a domain that has no accounts")
public class DeleteDomainCommand extends CommandSupport {

    @Argument(index = 0, name = "domain", required = true, description = "Domain name")
    String name;

    @Reference
    DirectoryAdminService directory;

    @Override
    public String render() {
        return audited(name, () -> {
            directory.deleteDomain(name);
            return "Domain " + name.trim().toLowerCase(java.util.Locale.ROOT) + " deleted";
        }, done -> "") + "\n";
    }
}
