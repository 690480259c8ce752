package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.AccountStatus;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "prov", name = "setAccountStatus", description = "Sets the status of an account: active, locked, maintenance, closed")
public class SetAccountStatusCommand extends CommandSupport {

    @Argument(index = 0, name = "account", required = true, description = "Address, local@domain")
    String name;

    @Argument(index = 1, name = "status", required = true, description = "active, locked, maintenance or closed")
    String status;

    @Reference
    DirectoryAdminService directory;

    @Override
    public String render() {
        return audited(name, () -> {
            AccountStatus s = AccountStatus.parse(status);
            Account a = directory.setAccountStatus(name, s);
            return "Account " + a.name() + " is now " + a.status().id();
        }, done -> "") + "\n";
    }
}
