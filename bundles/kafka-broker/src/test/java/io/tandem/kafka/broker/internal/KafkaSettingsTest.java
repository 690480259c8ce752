package io.tandem.kafka.broker.internal;

import org.junit.Test;

import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** How the broker's ids, listeners, quorum and cluster id derive from tandem.kafka and the node. */
public class KafkaSettingsTest {

    private static KafkaSettings.Context node(String address, int coreExpected) {
        return new KafkaSettings.Context(address, "tandem-prod", coreExpected, Path.of("/opt/tandem"), Path.of("/opt/tandem/data"),
                Path.of("/usr/lib/jvm/java-17"));
    }

    /**
     * The keys left out take the configuration type's defaults, the only place a default is written (the stop
     * time-out was 30 s here while the type and the shipped file said 20).
     */
    @Test
    public void theDefaultsAreThoseOfTheConfigurationType() {
        KafkaBrokerComponent.Config d = io.tandem.api.config.Defaults.of(KafkaBrokerComponent.Config.class);
        KafkaSettings s = KafkaSettings.parse(props(), node("127.0.0.1", 1));
        assertEquals(d.enabled(), s.enabled());
        assertEquals(d.port(), s.port());
        assertEquals(d.controller_port(), s.controllerPort());
        assertEquals(d.heap(), s.heap());
        assertEquals(d.jvm_options(), s.jvmOptions());
        assertEquals(d.retention_hours(), s.retentionHours());
        assertEquals(d.stop_timeout_seconds(), s.stopTimeoutSeconds(), 0);
        assertEquals(d.start_timeout_seconds(), s.startTimeoutSeconds(), 0);
    }

    private static Map<String, Object> props(String... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    public void threeCoreNodesGiveAThreeVoterQuorumWithIdsByPosition() {
        Map<String, Object> p = props("voters", "10.0.0.11, 10.0.0.12,10.0.0.13");
        KafkaSettings first = KafkaSettings.parse(p, node("10.0.0.11", 3));
        KafkaSettings second = KafkaSettings.parse(p, node("10.0.0.12", 3));
        KafkaSettings third = KafkaSettings.parse(p, node("10.0.0.13", 3));
        assertEquals(1, first.nodeId());
        assertEquals(2, second.nodeId());
        assertEquals(3, third.nodeId());
        List<String> quorum = List.of("1@10.0.0.11:9093", "2@10.0.0.12:9093", "3@10.0.0.13:9093");
        assertEquals(quorum, first.quorum());
        assertEquals(quorum, third.quorum());
        assertEquals("10.0.0.12:9092", second.listener());
        assertEquals("10.0.0.12:9093", second.controller());
        assertEquals("10.0.0.11:9092,10.0.0.12:9092,10.0.0.13:9092", first.brokers());
        assertEquals(first.brokers(), third.brokers());
        assertEquals(3, first.replicationFactor());
        assertEquals(2, first.minInsyncReplicas());
        String props = second.serverPropertiesText();
        assertTrue(props, props.contains("\nnode.id=2\n"));
        assertTrue(props, props.contains("\ncontroller.quorum.voters=1@10.0.0.11:9093,2@10.0.0.12:9093,3@10.0.0.13:9093\n"));
        assertTrue(props, props.contains("\nlisteners=PLAINTEXT://10.0.0.12:9092,CONTROLLER://10.0.0.12:9093\n"));
        assertTrue(props, props.contains("\nadvertised.listeners=PLAINTEXT://10.0.0.12:9092\n"));
        assertTrue(props, props.contains("\noffsets.topic.replication.factor=3\n"));
        assertTrue(props, props.contains("\nmin.insync.replicas=2\n"));
        assertTrue(props, props.contains("\nlog.dirs=/opt/tandem/data/kafka/data\n"));
    }

    @Test
    public void portsComeFromTheConfiguration() {
        KafkaSettings s = KafkaSettings.parse(props("voters", "a.example,b.example", "port", "19092", "controller.port", "19093"),
                node("b.example", 2));
        assertEquals(2, s.nodeId());
        assertEquals(List.of("1@a.example:19093", "2@b.example:19093"), s.quorum());
        assertEquals("a.example:19092,b.example:19092", s.brokers());
        assertEquals(2, s.replicationFactor());
        assertEquals(1, s.minInsyncReplicas());
    }

    @Test
    public void theClusterIdIsTheSameOnEveryNodeAndDependsOnTheClusterName() {
        String id = KafkaSettings.deriveClusterId("tandem-prod");
        assertEquals(id, KafkaSettings.deriveClusterId("tandem-prod"));
        assertNotEquals(id, KafkaSettings.deriveClusterId("tandem-test"));
        assertEquals(22, id.length());
        assertEquals(16, Base64.getUrlDecoder().decode(id).length);
        assertFalse(id.startsWith("-"));
        KafkaSettings a = KafkaSettings.parse(props("voters", "h1,h2,h3"), node("h1", 3));
        KafkaSettings b = KafkaSettings.parse(props("voters", "h1,h2,h3"), node("h3", 3));
        assertEquals(id, a.clusterId());
        assertEquals(id, b.clusterId());
        assertTrue(a.clusterIdDerived());
        KafkaSettings given = KafkaSettings.parse(props("voters", "h1,h2,h3", "cluster.id", "MkU3OEVBNTcwNTJENDM2Qk"), node("h2", 3));
        assertEquals("MkU3OEVBNTcwNTJENDM2Qk", given.clusterId());
        assertFalse(given.clusterIdDerived());
        // ids Kafka's storage tool could read as an option are never derived: all names give a plain id
        for (int i = 0; i < 2000; i++) {
            String d = KafkaSettings.deriveClusterId("c" + i);
            assertFalse(d, d.startsWith("-"));
            assertEquals(d, 16, Base64.getUrlDecoder().decode(d).length);
        }
    }

    @Test
    public void withoutVotersOnlyASingleCoreClusterRunsAQuorumOfItself() {
        KafkaSettings alone = KafkaSettings.parse(props(), node("127.0.0.1", 1));
        assertEquals(1, alone.nodeId());
        assertEquals(List.of("1@127.0.0.1:9093"), alone.quorum());
        assertEquals(1, alone.replicationFactor());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KafkaSettings.parse(props(), node("127.0.0.1", 3)));
        assertTrue(e.getMessage(), e.getMessage().startsWith("tandem.kafka: voters = '' is invalid"));
        assertTrue(e.getMessage(), e.getMessage().contains("3 core nodes"));
    }

    @Test
    public void disabledNeedsNothingElse() {
        KafkaSettings s = KafkaSettings.parse(props("enabled", "false", "port", "bogus"), node("10.0.0.11", 3));
        assertFalse(s.enabled());
    }

    @Test
    public void badValuesAreRefusedNamingTheKeyAndTheValue() {
        assertRefused(props("voters", "10.0.0.12,10.0.0.13"), "voters = '10.0.0.12,10.0.0.13' is invalid", "node.address (10.0.0.11)");
        assertRefused(props("voters", "10.0.0.11,10.0.0.11"), "voters = '10.0.0.11,10.0.0.11' is invalid", "listed twice");
        assertRefused(props("voters", "10.0.0.11,bad host"), "voters = '10.0.0.11,bad host' is invalid", "'bad host'");
        assertRefused(props("voters", "10.0.0.11", "port", "70000"), "port = '70000' is invalid", "1 to 65535");
        assertRefused(props("voters", "10.0.0.11", "port", "9093"), "controller.port = '9093' is invalid", "other than port");
        assertRefused(props("voters", "10.0.0.11", "cluster.id", "short"), "cluster.id = 'short' is invalid", "22 characters");
        assertRefused(props("voters", "10.0.0.11", "cluster.id", "-kU3OEVBNTcwNTJENDM2Qk"), "cluster.id = '-kU3OEVBNTcwNTJENDM2Qk'", "not starting with '-'");
        assertRefused(props("voters", "10.0.0.11", "heap", "lots"), "heap = 'lots' is invalid", "512m");
        assertRefused(props("voters", "10.0.0.11", "data.dir", "relative/dir"), "data.dir = 'relative/dir' is invalid", "absolute path");
        assertRefused(props("voters", "10.0.0.11", "enabled", "yes"), "enabled = 'yes' is invalid", "true or false");
        assertRefused(props("voters", "10.0.0.11", "stop.timeout.seconds", "0"), "stop.timeout.seconds = '0' is invalid", "> 0");
    }

    private static void assertRefused(Map<String, Object> p, String start, String detail) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> KafkaSettings.parse(p, node("10.0.0.11", 1)));
        assertTrue(e.getMessage(), e.getMessage().startsWith("tandem.kafka: " + start));
        assertTrue(e.getMessage(), e.getMessage().contains(detail));
    }

    @Test
    public void theStartScriptFormatsOnlyAtTheFirstStartAndExecsTheBroker() {
        KafkaSettings s = KafkaSettings.parse(props("voters", "h1,h2,h3", "heap", "256m", "jvm.options", "-XX:+UseSerialGC"), node("h2", 3));
        String script = s.startScriptText();
        assertTrue(script, script.contains("if [ ! -f '/opt/tandem/data/kafka/data/meta.properties' ]; then"));
        assertTrue(script, script.contains("kafka.tools.StorageTool format --ignore-formatted -t '" + s.clusterId()
                + "' -c '/opt/tandem/data/kafka/server.properties'"));
        assertTrue(script, script.contains("CP='/opt/tandem/kafka/lib/*'"));
        assertTrue(script, script.contains("JAVA='/usr/lib/jvm/java-17/bin/java'"));
        assertTrue(script, script.contains("\nexec \"$JAVA\" -Xms64m -Xmx256m -XX:+UseSerialGC "));
        assertTrue(script, script.contains(" kafka.Kafka '/opt/tandem/data/kafka/server.properties'\n"));
        assertEquals("'it'\\''s'", KafkaSettings.quote("it's"));
    }
}
