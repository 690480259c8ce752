package io.tandem.failover.internal;

import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.cluster.OwnershipLease;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.directory.Operation;
import io.tandem.api.directory.Server;
import io.tandem.api.node.Role;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** What {@code ha:getFailoverStatus} shows and what {@code ha:setAutoFailover} changes. */
public final class FailoverStatus {

    private FailoverStatus() {
    }

    /**
     * The status as seen from this node; {@code local} is the failover component of a core node ({@code null}
     * elsewhere: the coordinator is then derived from the membership view the same way).
     */
    public static Map<String, Object> render(ClusterService cluster, DirectoryService directory, OwnershipLease lease,
                                             FailoverComponent local) {
        ClusterStatus s = cluster.status();
        Map<String, Object> m = new LinkedHashMap<>();
        String coordinator;
        if (local != null) {
            coordinator = local.coordinator().coordinator();
        } else {
            coordinator = s.quorum() ? cluster.nodes(Role.CORE).stream().map(ClusterNode::name).sorted().findFirst().orElse("") : "";
        }
        String self = cluster.nodes().stream().filter(ClusterNode::local).map(ClusterNode::name).findFirst().orElse("");
        m.put("coordinator", coordinator.isEmpty() ? "none (no core quorum)" : coordinator + (coordinator.equals(self) ? " (this node)" : ""));
        m.put("quorum", (s.quorum() ? "yes" : "no") + " (" + s.coreLive() + " of " + s.coreExpected() + " core nodes visible)");
        m.put("lease", lease.describe());
        Policy policy = Policy.read(directory);
        m.put("automaticFailover", policy.enabled() ? "enabled" : "disabled");
        m.put("excludedMailstores", policy.excludedText());
        if (local != null) {
            Timing t = local.coordinator().timing();
            m.put("graceMillis", t.grace().toMillis());
            m.put("leaseMillis", t.lease().toMillis());
            m.put("threads", t.threads());
        } else {
            m.put("leaseMillis", lease.duration().toMillis());
        }
        m.put("departed", local == null ? List.of() : local.coordinator().departures());
        List<Map<String, Object>> runs = new ArrayList<>();
        Map<String, String> summaries = new LinkedHashMap<>();
        if (local != null) {
            local.coordinator().runs().forEach(r -> summaries.put((String) r.get("operation"), (String) r.get("summary")));
        }
        for (Operation op : directory.operations(200)) {
            if (!op.kind().equals(Coordinator.KIND)) {
                continue;
            }
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("operation", op.id().toString());
            r.put("node", op.node());
            r.put("state", op.state());
            r.put("total", op.total());
            r.put("done", op.done());
            r.put("failed", op.failed());
            r.put("created", op.created() == null ? "" : op.created().toString());
            r.put("updated", op.updated() == null ? "" : op.updated().toString());
            String summary = summaries.get(op.id().toString());
            r.put("detail", summary != null && !summary.isEmpty() ? summary.lines().findFirst().orElse("")
                    : op.detail().lines().findFirst().orElse(""));
            runs.add(r);
            if (runs.size() == 20) {
                break;
            }
        }
        m.put("automaticPromotions", runs);
        return m;
    }

    /** {@code enable|disable [mailstores M1,M2]}: validates everything, then writes the directory globals. */
    public static String setAutoFailover(DirectoryAdminService directory, List<String> words) {
        List<String> w = words == null ? List.of() : words;
        if (w.isEmpty() || !(w.get(0).equals("enable") || w.get(0).equals("disable"))) {
            throw new IllegalArgumentException("expected 'enable' or 'disable' first, got '" + (w.isEmpty() ? "" : w.get(0)) + "'");
        }
        boolean enable = w.get(0).equals("enable");
        if (w.size() == 1) {
            directory.setGlobal(Policy.ENABLED, Boolean.toString(enable));
            return "Automatic failover " + (enable ? "enabled" : "disabled") + " cluster-wide"
                    + (enable ? " (excluded Mailstores: " + Policy.read(directory).excludedText() + ")" : "");
        }
        if (w.size() != 3 || !w.get(1).equals("mailstores")) {
            throw new IllegalArgumentException("expected 'mailstores M1,M2' after '" + w.get(0) + "', got '"
                    + String.join(" ", w.subList(1, w.size())) + "'");
        }
        List<Server> servers = directory.servers();
        TreeSet<String> named = new TreeSet<>();
        for (String raw : w.get(2).split(",")) {
            String name = raw.trim();
            if (name.isEmpty()) {
                continue;
            }
            Server s = servers.stream().filter(x -> x.name().equals(name) || x.fqdn().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown Mailstore " + name + " (servers: "
                            + servers.stream().map(Server::name).collect(Collectors.joining(", ")) + ")"));
            if (!s.roles().contains(Role.MAILSTORE)) {
                throw new IllegalArgumentException(name + " is not a Mailstore");
            }
            named.add(s.name());
        }
        if (named.isEmpty()) {
            throw new IllegalArgumentException("no Mailstore named in '" + w.get(2) + "'");
        }
        TreeSet<String> excluded = new TreeSet<>(Policy.read(directory).excluded());
        if (enable) {
            excluded.removeAll(named);
        } else {
            excluded.addAll(named);
        }
        directory.setGlobal(Policy.EXCLUDED, excluded.isEmpty() ? null : String.join(",", excluded));
        return "Automatic failover " + (enable ? "enabled" : "disabled") + " for " + String.join(",", named)
                + " (excluded Mailstores: " + (excluded.isEmpty() ? "none" : String.join(",", excluded)) + ")";
    }
}
