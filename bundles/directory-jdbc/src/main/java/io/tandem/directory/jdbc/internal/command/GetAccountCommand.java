package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryService;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.Map;

@Service
@Command(scope = "prov", name = "getAccount", description = "Shows an account: id, mail host, ownership epoch, status")
public class GetAccountCommand extends TandemCommandSupport {

    @Argument(index = 0, name = "account", required = true, description = "Address, local@domain")
    String name;

    @Reference
    DirectoryService directory;

    @Override
    protected Map<String, Object> toJson() {
        Account a = directory.account(name).orElseThrow(() -> new IllegalArgumentException("account '" + name + "' does not exist"));
        return Rows.account(a);
    }

    @Override
    protected String text() {
        return keyValues(toJson());
    }
}
