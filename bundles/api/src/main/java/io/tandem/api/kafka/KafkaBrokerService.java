package io.tandem.api.kafka;

/**
 * The Kafka broker of this node, registered on core nodes (whether the broker is embedded or the
 * cluster uses an external Kafka). Read by {@code kafka:status}, the core role's health and cluster checks.
 */
public interface KafkaBrokerService {

    KafkaBrokerStatus status();
}
