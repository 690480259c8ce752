package io.tandem.kafka.broker.internal.command;

import io.tandem.api.kafka.KafkaBrokerService;
import io.tandem.api.kafka.KafkaBrokerStatus;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code kafka:status}: the Kafka broker of this core node (embedded or external), its state, ids and ports. */
@Service
@Command(scope = "kafka", name = "status",
        description = "Shows this core node's Kafka broker: embedded or external, state, pid, node id, ports, voters, cluster id, restarts, the global brokers")
public class KafkaStatusCommand extends TandemCommandSupport {

    @Reference
    KafkaBrokerService kafka;

    @Override
    protected Map<String, Object> toJson() {
        KafkaBrokerStatus s = kafka.status();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", s.embedded() ? "embedded" : "external");
        m.put("state", s.state().id());
        m.put("pid", s.pid());
        m.put("nodeId", s.nodeId());
        m.put("listener", s.listener());
        m.put("controller", s.controller());
        m.put("voters", s.voters());
        m.put("clusterId", s.clusterId());
        m.put("restarts", s.restarts());
        m.put("liveBrokers", s.liveBrokers());
        m.put("brokers", s.brokers());
        m.put("brokersEmbedded", s.brokersEmbedded());
        m.put("since", s.since().toString());
        m.put("detail", s.detail());
        m.put("health", s.health().status());
        return m;
    }

    @Override
    protected String text() {
        KafkaBrokerStatus s = kafka.status();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("Mode", s.embedded() ? "embedded (this core node runs a broker)" : "external (enabled = false: the global brokers name the Kafka cluster)");
        m.put("State", s.state().id());
        if (s.embedded()) {
            m.put("PID", s.pid() < 0 ? "-" : Long.toString(s.pid()));
            m.put("Node id", s.nodeId());
            m.put("Listener", s.listener());
            m.put("Controller", s.controller());
            m.put("Voters", String.join(",", s.voters()));
            m.put("Cluster id", s.clusterId());
            m.put("Restarts", s.restarts());
            m.put("Live brokers", s.liveBrokers() < 0 ? "-" : Integer.toString(s.liveBrokers()));
        }
        m.put("Global brokers", s.brokers().isEmpty() ? "(unset)" : s.brokers() + (s.brokersEmbedded() ? " (the embedded brokers)"
                : s.embedded() ? " (not the embedded brokers)" : ""));
        m.put("Since", s.since());
        m.put("Detail", s.detail());
        m.put("Health", s.health().status());
        return keyValues(m);
    }
}
