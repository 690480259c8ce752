package io.tandem.node.internal.command;

import io.tandem.shell.TandemCommandSupport;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.RoleStatus;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Service
@Command(scope = "node", name = "roles", description = "Lists the roles of this node: configured, active, health")
public class NodeRolesCommand extends TandemCommandSupport {

    @Reference
    LocalNode node;

    @Override
    protected List<Map<String, Object>> toJson() {
        return node.roleStatus().stream().map(s -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("role", s.role().id());
            m.put("configured", s.configured());
            m.put("active", s.active());
            m.put("health", s.health().status());
            m.put("detail", s.health().detail());
            return m;
        }).toList();
    }

    @Override
    protected String text() {
        ShellTable table = new ShellTable().emptyTableText("no role configured or active on this node");
        table.column("Role");
        table.column("Configured");
        table.column("Active");
        table.column("Health");
        table.column("Detail");
        for (RoleStatus s : node.roleStatus()) {
            table.addRow().addContent(s.role().id(), s.configured(), s.active(), s.health().status(), s.health().detail());
        }
        StringBuilder out = new StringBuilder(print(table));
        node.configurationError().ifPresent(e -> out.append("Configuration refused: ").append(e).append('\n'));
        node.activationError().ifPresent(e -> out.append("Activation failed: ").append(e).append('\n'));
        return out.toString();
    }
}
