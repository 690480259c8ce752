package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "prov", name = "createAccount", description = "Creates an account on a Mailstore")
public class CreateAccountCommand extends CommandSupport {

    @Argument(index = 0, name = "account", required = true, description = "Address, local@domain (the domain must exist)")
    String name;

    @Argument(index = 1, name = "mailHost", required = true, description = "Node name of the Mailstore that will hold the account")
    String mailHost;

    @Reference
    DirectoryAdminService directory;

    @Override
    public String render() {
        return audited(name, () -> {
            Account a = directory.createAccount(name, mailHost);
            return "Account " + a.name() + " created on " + a.mailHost() + " (id " + a.id() + ")";
        }, done -> "") + "\n";
    }
}
