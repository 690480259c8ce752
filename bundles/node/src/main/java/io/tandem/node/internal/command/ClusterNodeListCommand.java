package io.tandem.node.internal.command;

import io.tandem.shell.TandemCommandSupport;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.node.Role;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Service
@Command(scope = "cluster", name = "node-list", description = "Lists the live nodes of the cluster with their roles, version and state")
public class ClusterNodeListCommand extends TandemCommandSupport {

    @Reference
    ClusterService cluster;

    @Override
    protected List<Map<String, Object>> toJson() {
        return cluster.nodes().stream().map(n -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", n.name());
            m.put("fqdn", n.fqdn());
            m.put("address", n.address());
            m.put("roles", n.roles().stream().sorted().map(Role::id).toList());
            m.put("version", n.version());
            m.put("state", n.state().name());
            m.put("unhealthyRoles", n.unhealthy().stream().sorted().map(Role::id).toList());
            m.put("endpoints", n.endpoints());
            m.put("local", n.local());
            m.put("id", n.id());
            return m;
        }).toList();
    }

    @Override
    protected String text() {
        ShellTable table = new ShellTable().emptyTableText("no cluster member visible (is the cluster service running?)");
        table.column(" ");
        table.column("Name");
        table.column("Address");
        table.column("Roles");
        table.column("Version");
        table.column("State");
        for (ClusterNode n : cluster.nodes()) {
            String state = n.state().name();
            if (!n.unhealthy().isEmpty()) {
                state += " (" + Role.ids(n.unhealthy()) + " down)";
            }
            table.addRow().addContent(n.local() ? "*" : "", n.name(), n.address(),
                    n.roles().isEmpty() ? "-" : Role.ids(n.roles()), n.version(), state);
        }
        return print(table);
    }
}
