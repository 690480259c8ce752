package io.tandem.replication.internal.command;

import io.tandem.api.directory.Replica;
import io.tandem.replication.internal.HaService;
import io.tandem.replication.internal.NodeStatus;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code ha:getServices}: the replication services of every live Mailstore. */
@Service
@Command(scope = "ha", name = "getServices", description = "Replication services per Mailstore: event log connection, applier, copies")
public class GetServicesCommand extends HaCommand {

    @Reference
    HaService ha;

    private List<Map<String, Object>> rows;

    private List<Map<String, Object>> rows() {
        if (rows != null) {
            return rows;
        }
        Map<String, NodeStatus> nodes = ha.collect();
        rows = new ArrayList<>();
        for (NodeStatus v : nodes.values().stream().sorted(java.util.Comparator.comparing(NodeStatus::node)).toList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", v.node());
            m.put("publisher", "running");
            // a stalled or busy applier sends no mailbox: its detail says what it is in
            m.put("applier", v.applierDetail().isEmpty() ? v.applier() : v.applier() + ": " + v.applierDetail());
            m.put("canConnectToKafka", v.logConnected());
            m.put("brokers", v.brokers());
            m.put("primaries", count(v, "local"));
            m.put("replicasInSync", count(v, Replica.IN_SYNC));
            m.put("replicasInitialising", count(v, Replica.INITIALISING));
            m.put("replicasFailed", count(v, Replica.FAILED));
            m.put("replicasPaused", count(v, Replica.PAUSED));
            m.put("logLag", v.subscriptionLag());
            rows.add(m);
        }
        for (String missing : ha.mailstoresWithoutAnswer(nodes)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("node", missing);
            m.put("publisher", "no answer");
            m.put("applier", "no answer");
            m.put("canConnectToKafka", false);
            m.put("brokers", "");
            for (String k : List.of("primaries", "replicasInSync", "replicasInitialising", "replicasFailed", "replicasPaused", "logLag")) {
                m.put(k, -1);
            }
            rows.add(m);
        }
        return rows;
    }

    private static long count(NodeStatus v, String state) {
        return v.boxes().stream().filter(b -> b.state().equals(state)).count();
    }

    @Override
    protected Object toJson() {
        return rows();
    }

    @Override
    protected String text() {
        ShellTable t = new ShellTable();
        for (String c : List.of("Node", "Publisher", "Applier", "Kafka", "Primaries", "In sync", "Initialising", "Failed", "Paused", "Log lag")) {
            t.column(c);
        }
        for (Map<String, Object> m : rows()) {
            t.addRow().addContent(m.get("node"), m.get("publisher"), m.get("applier"),
                    Boolean.TRUE.equals(m.get("canConnectToKafka")) ? "connected" : "not connected", m.get("primaries"),
                    m.get("replicasInSync"), m.get("replicasInitialising"), m.get("replicasFailed"), m.get("replicasPaused"),
                    m.get("logLag"));
        }
        return print(t);
    }
}
