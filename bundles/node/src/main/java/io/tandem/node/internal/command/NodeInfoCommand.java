package io.tandem.node.internal.command;

import io.tandem.shell.TandemCommandSupport;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.NodeIdentity;
import io.tandem.api.node.Role;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.LinkedHashMap;
import java.util.Map;

@Service
@Command(scope = "node", name = "info", description = "Shows this node's identity, version, roles and health")
public class NodeInfoCommand extends TandemCommandSupport {

    @Reference
    LocalNode node;

    @Reference(optional = true)
    ClusterService cluster;

    @Override
    protected Map<String, Object> toJson() {
        NodeIdentity id = node.identity();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", id.name());
        out.put("fqdn", id.fqdn());
        out.put("address", id.address());
        out.put("version", id.version());
        out.put("configuredRoles", node.configuredRoles().stream().sorted().map(Role::id).toList());
        out.put("activeRoles", node.activeRoles().stream().sorted().map(Role::id).toList());
        out.put("health", node.health().status());
        out.put("healthDetail", node.health().detail());
        out.put("cluster", cluster == null ? null : cluster.status().clusterName());
        out.put("clusterConnected", cluster != null && cluster.status().connected());
        out.put("configurationError", node.configurationError().orElse(null));
        out.put("activationError", node.activationError().orElse(null));
        return out;
    }

    @Override
    protected String text() {
        Map<String, Object> values = toJson();
        Map<String, Object> shown = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (v instanceof java.util.List<?> list) {
                shown.put(k, list.isEmpty() ? "-" : String.join(",", list.stream().map(String::valueOf).toList()));
            } else if (v != null) {
                shown.put(k, v);
            }
        });
        return keyValues(shown);
    }
}
