package io.tandem.supervisor.internal;

import io.tandem.api.node.Role;
import io.tandem.supervisor.Program;
import io.tandem.supervisor.ServiceMode;
import org.junit.Test;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class ServiceConfigTest {

    @org.junit.Rule
    public org.junit.rules.TemporaryFolder tmp = new org.junit.rules.TemporaryFolder();

    static Map<String, Object> minimal() {
        Map<String, Object> p = new HashMap<>();
        p.put("name", "bridge");
        p.put("role", "video");
        p.put("start.command", "/usr/bin/bridge --port 9000");
        return p;
    }

    @Test
    public void defaultsAndParsing() {
        Map<String, Object> p = minimal();
        p.put("env.BRIDGE_MODE", "fast");
        p.put("probe", "tcp:127.0.0.1:9000");
        p.put("probe.interval.seconds", "0.25");
        p.put("felix.fileinstall.filename", "file:/x/etc/tandem.service-bridge.cfg");
        ServiceConfig c = ServiceConfig.parse(p, Path.of("/var/log"));
        assertEquals(Role.VIDEO, c.role());
        assertEquals("video defaults to active-standby", ServiceMode.ACTIVE_STANDBY, c.mode());
        assertEquals(List.of("/usr/bin/bridge", "--port", "9000"), c.startCommand());
        assertEquals(Map.of("BRIDGE_MODE", "fast"), c.environment());
        assertEquals(Duration.ofMillis(250), c.probeInterval());
        assertEquals(Duration.ofSeconds(10), c.stopTimeout());
        assertEquals(Path.of("/var/log/service-bridge.log"), c.outputFile());
        assertEquals("tcp://127.0.0.1:9000", c.probe().target());
        assertTrue(c.enabled());
        assertTrue(c.stopCommand().isEmpty());
        assertNull(c.workingDirectory());

        p.put("role", "files");
        assertEquals("files defaults to active-active", ServiceMode.ACTIVE_ACTIVE, ServiceConfig.parse(p, null).mode());
        p.put("mode", "active-standby");
        assertEquals(ServiceMode.ACTIVE_STANDBY, ServiceConfig.parse(p, null).mode());
    }

    /** The keys left out take the configuration type's defaults, the only place a default is written. */
    @Test
    public void theDefaultsAreThoseOfTheConfigurationType() {
        ServiceComponent.Config d = io.tandem.api.config.Defaults.of(ServiceComponent.Config.class);
        ServiceConfig c = ServiceConfig.parse(minimal(), null);
        assertEquals(d.enabled(), c.enabled());
        assertEquals(seconds(d.stop_timeout_seconds()), c.stopTimeout());
        assertEquals(seconds(d.probe_interval_seconds()), c.probeInterval());
        assertEquals(seconds(d.probe_timeout_seconds()), c.probeTimeout());
        assertEquals(d.probe_failures(), c.probeFailures());
        assertEquals(seconds(d.start_timeout_seconds()), c.startTimeout());
        assertEquals(d.restart_on_unhealthy(), c.restartOnUnhealthy());
        assertEquals(seconds(d.restart_initial_seconds()), c.restartInitial());
        assertEquals(seconds(d.restart_max_seconds()), c.restartMax());
        assertEquals(seconds(d.restart_reset_seconds()), c.restartReset());
        assertEquals(d.restart_max_fast_failures(), c.restartMaxFastFailures());
        assertEquals(seconds(d.takeover_grace_seconds()), c.takeoverGrace());
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis(Math.round(s * 1000));
    }

    private static String refusal(String key, String value) {
        Map<String, Object> p = minimal();
        if (value == null) {
            p.remove(key);
        } else {
            p.put(key, value);
        }
        return assertThrows(IllegalArgumentException.class, () -> ServiceConfig.parse(p, null)).getMessage();
    }

    @Test
    public void badValuesAreRefusedNamingTheKeyAndTheValue() {
        assertEquals("tandem.service 'bridge': role = 'mailstore' is invalid: expected one of files, video, chats",
                refusal("role", "mailstore"));
        assertTrue(refusal("mode", "hot-cold"), refusal("mode", "hot-cold").contains("mode = 'hot-cold'"));
        assertTrue(refusal("probe", "udp:1.2.3.4:5").contains("probe = 'udp:1.2.3.4:5'"));
        assertTrue(refusal("probe", "tcp:host:99999").contains("port 1..65535"));
        assertTrue(refusal("probe.interval.seconds", "soon").contains("probe.interval.seconds = 'soon'"));
        assertTrue(refusal("probe.interval.seconds", "-1").contains("> 0"));
        assertTrue(refusal("probe.failures", "0").contains("probe.failures = '0'"));
        assertTrue(refusal("enabled", "yes").contains("enabled = 'yes' is invalid: expected true or false"));
        assertTrue(refusal("start.command", null).contains("start.command = ''"));
        assertTrue(refusal("start.command", "sh -c 'echo").contains("unterminated '"));
        assertTrue(refusal("env.1BAD", "x").contains("env.1BAD = 'x'"));
        assertTrue(refusal("working.directory", "/no/such/dir").contains("working.directory = '/no/such/dir'"));
        assertTrue(refusal("restart.max.seconds", "0.5").contains("restart.max.seconds = '0.5'"));
        assertEquals("tandem.service: name = 'Bad Name' is invalid: expected a lower-case name of 1-63 letters, digits, '.', '_', '-' (unique on the node)",
                refusal("name", "Bad Name"));
    }

    @Test
    public void shippedExamplesAreValidAndDisabled() throws IOException {
        // each supervised role's example lives beside its role bundle (bundles/role-<role>/src/main/cfg)
        for (String role : List.of("files", "video", "chats")) {
            Path f = Path.of("../role-" + role + "/src/main/cfg/tandem.service-" + role + ".cfg");
            Properties props = new Properties();
            try (Reader r = Files.newBufferedReader(f)) {
                props.load(r);
            }
            Map<String, Object> map = new HashMap<>();
            props.forEach((k, v) -> map.put(k.toString(), v));
            ServiceConfig c = ServiceConfig.parse(map, null);
            assertFalse(f + " must ship disabled: it does nothing until an operator enables it", c.enabled());
            assertEquals(f + " is the example of its role", role, c.role().id());
        }
    }

    @Test
    public void aProgramSupervisedForAnotherBundleMayBelongToAnyRoleAndGiveItsArgumentsAsAList() {
        Map<String, Object> p = minimal();
        p.put("role", "core");
        p.put("start.command", List.of("/bin/sh", "/data dir/start.sh"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServiceConfig.parse(p, null));
        assertEquals("tandem.service 'bridge': role = 'core' is invalid: expected one of files, video, chats", e.getMessage());
        ServiceConfig c = ServiceConfig.parse(p, null, java.util.EnumSet.allOf(Role.class));
        assertEquals(Role.CORE, c.role());
        assertEquals(List.of("/bin/sh", "/data dir/start.sh"), c.startCommand());
    }

    @Test
    public void aProgramOfAnotherBundleIsCheckedAsItsKeysWouldBe() throws IOException {
        Path dir = tmp.newFolder("program").toPath();
        Program kafka = new Program("kafka", Role.CORE, List.of("/bin/sh", "start.sh"), dir, dir.resolve("out.log"),
                "tcp:127.0.0.1:9093", Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofSeconds(120), Duration.ofSeconds(20));
        ServiceConfig c = ServiceConfig.of(kafka, dir.resolve("log"));
        assertEquals("kafka", c.name());
        assertEquals(Role.CORE, c.role());
        assertEquals(ServiceMode.ACTIVE_ACTIVE, c.mode());
        assertEquals(List.of("/bin/sh", "start.sh"), c.startCommand());
        assertEquals(dir, c.workingDirectory());
        assertEquals(dir.resolve("out.log"), c.outputFile());
        assertEquals(Duration.ofSeconds(2), c.probeInterval());
        assertEquals(Duration.ofMillis(1500), c.probeTimeout());
        assertEquals(Duration.ofSeconds(120), c.startTimeout());
        assertEquals(Duration.ofSeconds(20), c.stopTimeout());
        // no output file: the node's log directory, as for a configured service
        Program quiet = new Program("quiet", Role.FILES, List.of("true"), null, null, "",
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertEquals(dir.resolve("log").resolve("service-quiet.log"), ServiceConfig.of(quiet, dir.resolve("log")).outputFile());
        // a bad value is refused naming the key
        Program badName = new Program("Kafka Broker", Role.CORE, List.of("true"), null, null, "",
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServiceConfig.of(badName, null)).getMessage()
                .contains("name = 'Kafka Broker' is invalid"));
        Program badProbe = new Program("p", Role.CORE, List.of("true"), null, null, "udp:1",
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServiceConfig.of(badProbe, null)).getMessage()
                .contains("probe = 'udp:1' is invalid"));
        Program missingDir = new Program("p", Role.CORE, List.of("true"), dir.resolve("absent"), null, "",
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServiceConfig.of(missingDir, null)).getMessage()
                .contains("working.directory = '" + dir.resolve("absent") + "' is invalid"));
    }
}
