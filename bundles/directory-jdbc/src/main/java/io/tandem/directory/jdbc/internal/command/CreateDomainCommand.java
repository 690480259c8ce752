package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.Domain;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "prov", name = "createDomain", description = "Creates a domain")
public class CreateDomainCommand extends CommandSupport {

    @Argument(index = 0, name = "domain", required = true, description = "Domain name, e.g. example.com")
    String name;

    @Reference
    DirectoryAdminService directory;

    @Override
    public String render() {
        return audited(name, () -> {
            Domain d = directory.createDomain(name);
            return "Domain " + d.name() + " created";
        }, done -> "") + "\n";
    }
}
