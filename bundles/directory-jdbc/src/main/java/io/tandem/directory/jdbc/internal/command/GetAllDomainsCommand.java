package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.DirectoryService;
import io.tandem.api.directory.Domain;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.List;
import java.util.Map;

@Service
@Command(scope = "prov", name = "getAllDomains", description = "Lists the domains")
public class GetAllDomainsCommand extends TandemCommandSupport {

    @Reference
    DirectoryService directory;

    @Override
    protected List<Map<String, Object>> toJson() {
        return directory.domains().stream().map(Rows::domain).toList();
    }

    @Override
    protected String text() {
        ShellTable table = new ShellTable().emptyTableText("no domain");
        table.column("Domain");
        table.column("Created");
        for (Domain d : directory.domains()) {
            table.addRow().addContent(d.name(), d.created());
        }
        return print(table);
    }
}
