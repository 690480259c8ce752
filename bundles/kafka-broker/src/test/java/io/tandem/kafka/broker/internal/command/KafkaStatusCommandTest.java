package io.tandem.kafka.broker.internal.command;

import io.tandem.api.kafka.KafkaBrokerState;
import io.tandem.api.kafka.KafkaBrokerStatus;
import io.tandem.api.node.Health;
import org.junit.Test;

import java.time.Instant;
import java.util.List;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class KafkaStatusCommandTest {

    private static KafkaStatusCommand command(KafkaBrokerStatus status) {
        KafkaStatusCommand c = new KafkaStatusCommand();
        c.kafka = () -> status;
        return c;
    }

    private static final KafkaBrokerStatus RUNNING = new KafkaBrokerStatus(true, KafkaBrokerState.RUNNING, 4242, 2,
            "10.0.0.12:9092", "10.0.0.12:9093", List.of("1@10.0.0.11:9093", "2@10.0.0.12:9093", "3@10.0.0.13:9093"),
            "jYM9W6VjN3uLw9ycYsGMgw", 1, 3, "10.0.0.11:9092,10.0.0.12:9092,10.0.0.13:9092", true,
            Instant.parse("2026-11-22T12:00:00Z"), "pid 4242, 3 of 3 brokers alive", Health.up("Kafka broker 2 running"));

    @Test
    public void anEmbeddedBrokerShowsItsIdsPortsAndTheGlobalBrokers() throws Exception {
        String text = command(RUNNING).render();
        assertTrue(text, text.contains("Mode           : embedded (this core node runs a broker)\n"));
        assertTrue(text, text.contains("State          : running\n"));
        assertTrue(text, text.contains("PID            : 4242\n"));
        assertTrue(text, text.contains("Node id        : 2\n"));
        assertTrue(text, text.contains("Voters         : 1@10.0.0.11:9093,2@10.0.0.12:9093,3@10.0.0.13:9093\n"));
        assertTrue(text, text.contains("Global brokers : 10.0.0.11:9092,10.0.0.12:9092,10.0.0.13:9092 (the embedded brokers)\n"));
        String json = command(RUNNING).setJson(true).render().replaceAll("\\s+", "");
        assertTrue(json, json.contains("\"mode\":\"embedded\",\"state\":\"running\",\"pid\":4242,\"nodeId\":2"));
        assertTrue(json, json.contains("\"liveBrokers\":3"));
        assertTrue(json, json.contains("\"brokersEmbedded\":true"));
        assertTrue(json, json.contains("\"health\":\"UP\""));
    }

    @Test
    public void anExternalKafkaShowsOnlyTheGlobalBrokers() throws Exception {
        KafkaBrokerStatus external = new KafkaBrokerStatus(false, KafkaBrokerState.DISABLED, -1, 0, "", "", List.of(), "", 0, -1,
                "kafka1:9092,kafka2:9092", false, Instant.parse("2026-11-22T12:00:00Z"), "enabled = false: the cluster uses an external Kafka",
                Health.up("Kafka external"));
        String text = command(external).render();
        assertTrue(text, text.startsWith("Mode           : external (enabled = false: the global brokers name the Kafka cluster)\n"));
        assertTrue(text, text.contains("State          : disabled\n"));
        assertTrue(text, text.contains("Global brokers : kafka1:9092,kafka2:9092\n"));
        assertFalse(text, text.contains("Node id"));
        String json = command(external).setJson(true).render().replaceAll("\\s+", "");
        assertTrue(json, json.startsWith("{\"mode\":\"external\",\"state\":\"disabled\",\"pid\":-1"));
    }
}
