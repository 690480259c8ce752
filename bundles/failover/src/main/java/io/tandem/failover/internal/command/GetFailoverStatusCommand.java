package io.tandem.failover.internal.command;

import io.tandem.api.cluster.ClusterService;
import io.tandem.api.cluster.OwnershipLease;
import io.tandem.api.directory.DirectoryService;
import io.tandem.failover.internal.FailoverComponent;
import io.tandem.failover.internal.FailoverStatus;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.List;
import java.util.Map;

/** {@code ha:getFailoverStatus}: coordinator, quorum, lease, policy, pending and past automatic promotions. */
@Service
@Command(scope = "ha", name = "getFailoverStatus",
        description = "Automatic failover: coordinator, core quorum, ownership lease, policy, departed Mailstores and past automatic promotions")
public class GetFailoverStatusCommand extends TandemCommandSupport {

    @Reference
    ClusterService cluster;

    @Reference
    DirectoryService directory;

    @Reference
    OwnershipLease lease;

    /** Present on core nodes only: what this node saw leave, and the coordinator it elected. */
    @Reference(optional = true)
    FailoverComponent local;

    private Map<String, Object> status;

    private Map<String, Object> status() {
        if (status == null) {
            status = FailoverStatus.render(cluster, directory, lease, local);
        }
        return status;
    }

    @Override
    protected Object toJson() {
        return status();
    }

    @Override
    @SuppressWarnings("unchecked")
    protected String text() {
        Map<String, Object> s = status();
        StringBuilder out = new StringBuilder();
        Map<String, Object> head = new java.util.LinkedHashMap<>(s);
        head.remove("departed");
        head.remove("automaticPromotions");
        out.append(keyValues(head));
        List<Map<String, Object>> departed = (List<Map<String, Object>>) s.get("departed");
        out.append("\nDeparted Mailstores (as this node saw them)");
        if (departed.isEmpty()) {
            out.append(": none\n");
        } else {
            out.append('\n');
            ShellTable t = new ShellTable();
            t.column("Mailstore");
            t.column("Left at");
            t.column("State");
            departed.forEach(d -> t.addRow().addContent(d.get("mailstore"), d.get("leftAt"), d.get("state")));
            out.append(print(t));
        }
        List<Map<String, Object>> runs = (List<Map<String, Object>>) s.get("automaticPromotions");
        out.append("\nAutomatic promotions");
        if (runs.isEmpty()) {
            out.append(": none\n");
        } else {
            out.append('\n');
            ShellTable t = new ShellTable();
            for (String c : List.of("Operation", "By", "State", "Accounts", "Promoted", "Failed", "Started", "Updated", "Detail")) {
                t.column(c);
            }
            runs.forEach(r -> t.addRow().addContent(r.get("operation"), r.get("node"), r.get("state"), r.get("total"),
                    r.get("done"), r.get("failed"), r.get("created"), r.get("updated"), r.get("detail")));
            out.append(print(t));
        }
        return out.toString();
    }
}
