package io.tandem.node.internal.command;

import io.tandem.shell.TandemCommandSupport;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.cluster.RoleRedundancy;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Service
@Command(scope = "cluster", name = "role-list", description = "Lists every role with the nodes playing it and its redundancy (live vs expected)")
public class ClusterRoleListCommand extends TandemCommandSupport {

    @Reference
    ClusterService cluster;

    @Override
    protected List<Map<String, Object>> toJson() {
        return cluster.redundancy().stream().map(r -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", r.role().id());
            m.put("nodes", r.nodes());
            m.put("live", r.nodes().size());
            m.put("healthy", r.healthy());
            m.put("expected", r.expected());
            m.put("redundancy", r.level().name());
            return m;
        }).toList();
    }

    @Override
    protected String text() {
        ShellTable table = new ShellTable();
        table.column("Role");
        table.column("Nodes");
        table.column("Live");
        table.column("Healthy");
        table.column("Expected");
        table.column("Redundancy");
        for (RoleRedundancy r : cluster.redundancy()) {
            table.addRow().addContent(r.role().id(), r.nodes().isEmpty() ? "-" : String.join(",", r.nodes()),
                    r.nodes().size(), r.healthy(), r.expected(), r.level().name());
        }
        return print(table);
    }
}
