package io.tandem.node.internal.command;

import io.tandem.shell.TandemCommandSupport;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.cluster.RoleRedundancy;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.LinkedHashMap;
import java.util.Map;

@Service
@Command(scope = "cluster", name = "status", description = "Summary of the cluster: members, core quorum, roles below their expected redundancy")
public class ClusterStatusCommand extends TandemCommandSupport {

    @Reference
    ClusterService cluster;

    @Override
    protected Map<String, Object> toJson() {
        ClusterStatus s = cluster.status();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("cluster", s.clusterName());
        out.put("connected", s.connected());
        out.put("members", s.members());
        out.put("localNode", cluster.nodes().stream().filter(ClusterNode::local).map(ClusterNode::name).findFirst().orElse(null));
        out.put("coreLive", s.coreLive());
        out.put("coreExpected", s.coreExpected());
        out.put("quorum", s.quorum());
        out.put("degradedRoles", cluster.redundancy().stream()
                .filter(r -> r.level() == RoleRedundancy.Level.DEGRADED || r.level() == RoleRedundancy.Level.DOWN)
                .map(r -> r.role().id() + " " + r.healthy() + "/" + r.expected())
                .toList());
        return out;
    }

    @Override
    protected String text() {
        Map<String, Object> v = toJson();
        Map<String, Object> shown = new LinkedHashMap<>();
        shown.put("Cluster", v.get("cluster") + ((Boolean) v.get("connected") ? "" : " (not connected)"));
        shown.put("Members", v.get("members"));
        shown.put("Local node", v.get("localNode"));
        shown.put("Core nodes", v.get("coreLive") + " live of " + v.get("coreExpected") + " expected");
        shown.put("Core quorum", (Boolean) v.get("quorum") ? "PRESENT" : "ABSENT");
        java.util.List<?> degraded = (java.util.List<?>) v.get("degradedRoles");
        shown.put("Degraded roles", degraded.isEmpty() ? "none" : String.join(", ", degraded.stream().map(String::valueOf).toList()));
        return keyValues(shown);
    }
}
