package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryService;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.List;
import java.util.Map;

@Service
@Command(scope = "prov", name = "getAllAccounts", description = "Lists the accounts, of one domain or all")
public class GetAllAccountsCommand extends TandemCommandSupport {

    @Argument(index = 0, name = "domain", required = false, description = "Only the accounts of this domain")
    String domain;

    @Reference
    DirectoryService directory;

    @Override
    protected List<Map<String, Object>> toJson() {
        return directory.accounts(domain).stream().map(Rows::account).toList();
    }

    @Override
    protected String text() {
        ShellTable table = new ShellTable().emptyTableText("no account");
        table.column("Account");
        table.column("Mail host");
        table.column("Epoch");
        table.column("Status");
        table.column("Id");
        for (Account a : directory.accounts(domain)) {
            table.addRow().addContent(a.name(), a.mailHost(), a.epoch(), a.status().id(), a.id());
        }
        return print(table);
    }
}
