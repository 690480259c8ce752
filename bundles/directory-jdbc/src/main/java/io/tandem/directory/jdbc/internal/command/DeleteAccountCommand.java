package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "prov", name = "deleteAccount", description = "Deletes an account from the directory")
public class DeleteAccountCommand extends CommandSupport {

    @Argument(index = 0, name = "account", required = true, description = "Address, local@domain")
    String name;

    @Reference
    DirectoryAdminService directory;

    @Override
    public String render() {
        return audited(name, () -> {
            directory.deleteAccount(name);
            return "Account " + name.trim().toLowerCase(java.util.Locale.ROOT) + " deleted";
        }, done -> "") + "\n";
    }
}
