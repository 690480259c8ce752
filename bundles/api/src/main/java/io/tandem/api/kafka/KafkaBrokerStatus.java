package io.tandem.api.kafka;

import io.tandem.api.node.Health;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The Kafka broker of this core node as Tandem sees it.
 *
 * @param embedded        true when this node runs the broker ({@code tandem.kafka} {@code enabled = true}),
 *                        false when the cluster is meant to use an external Kafka
 * @param state           the broker's state ({@link KafkaBrokerState#DISABLED} when not embedded)
 * @param pid             process id of the broker, -1 when none runs
 * @param nodeId          the broker's KRaft node id, 0 when not embedded
 * @param listener        {@code host:port} clients connect to, "" when not embedded
 * @param controller      {@code host:port} of its controller listener, "" when not embedded
 * @param voters          the controller quorum, {@code id@host:port} each
 * @param clusterId       the KRaft cluster id, "" when not embedded
 * @param restarts        restarts of the broker process since the configuration was loaded
 * @param liveBrokers     brokers the local broker reports alive in its last metadata answer, -1 when unknown
 * @param brokers         the cluster's global {@code brokers} (what replication uses), "" when unset
 * @param brokersEmbedded true when {@code brokers} names exactly the embedded brokers
 * @param since           when the broker entered its state
 * @param detail          why it is in that state
 * @param health          UP when the broker serves (or is not embedded), DOWN with the reason otherwise
 */
public record KafkaBrokerStatus(boolean embedded, KafkaBrokerState state, long pid, int nodeId, String listener,
                                String controller, List<String> voters, String clusterId, int restarts, int liveBrokers,
                                String brokers, boolean brokersEmbedded, Instant since, String detail, Health health) {

    public KafkaBrokerStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(listener, "listener");
        Objects.requireNonNull(controller, "controller");
        voters = List.copyOf(voters);
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(brokers, "brokers");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(health, "health");
    }
}
