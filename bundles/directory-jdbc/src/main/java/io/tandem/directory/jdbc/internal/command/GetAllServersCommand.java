package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.DirectoryService;
import io.tandem.api.directory.Server;
import io.tandem.api.node.Role;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Service
@Command(scope = "prov", name = "getAllServers", description = "Servers registered in the directory, with their roles")
public class GetAllServersCommand extends TandemCommandSupport {

    @Reference
    DirectoryService directory;

    @Override
    protected List<Map<String, Object>> toJson() {
        return directory.servers().stream().map(s -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("fqdn", s.fqdn());
            m.put("roles", s.roles().stream().sorted().map(Role::id).toList());
            m.put("updated", s.updated().toString());
            return m;
        }).toList();
    }

    @Override
    protected String text() {
        ShellTable table = new ShellTable().emptyTableText("no server registered");
        table.column("Server");
        table.column("FQDN");
        table.column("Roles");
        table.column("Updated");
        for (Server s : directory.servers()) {
            table.addRow().addContent(s.name(), s.fqdn(), s.roles().isEmpty() ? "-" : Role.ids(s.roles()), s.updated());
        }
        return print(table);
    }
}
