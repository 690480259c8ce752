package io.tandem.itests.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

/**
 * Supervised services on three real nodes (harness): a video service in active-standby on s1 and s2
 * whose start command runs a real HTTP listener (python3's http.server), and a files service in
 * active-active on both. Exactly one node runs the video service (supervisor:list and /health/video
 * agree); kill -9 of that node moves it to the other within a bound, and the killed node's service
 * processes die with its JVM; the killed node comes back as standby. The steps build on each other,
 * hence the fixed order.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ServicesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> ADDRESS = Map.of("s1", "127.0.6.1", "s2", "127.0.6.2", "s3", "127.0.6.3");
    private static final int HEALTH_PORT = 8405;
    /** Take-over bound after kill -9: detection (~0.5 s) + start of the listener + first probe, with room for a busy machine. */
    private static final Duration TAKEOVER_BOUND = Duration.ofSeconds(15);

    private static Harness harness;
    private static int videoPort;
    private static int filesPort;
    private static String active;
    private static String standby;
    private static long killedVideoPid;
    private static long killedFilesPid;

    @BeforeClass
    public static void up() throws Exception {
        Path it = Path.of(System.getProperty("tandem.it.dir"));
        Files.createDirectories(it);
        Path spec = it.resolve("services-it.spec");
        Files.writeString(spec, String.join("\n",
                "set cluster.name tandem-svc",
                "s1   127.0.6.1   core,video,files",
                "s2   127.0.6.2   core,video,files",
                "s3   127.0.6.3   core", ""));
        harness = Harness.fromSystemProperties("it-services");
        harness.tryRun(60, "clean");
        harness.run(600, "up", spec.toString());
        videoPort = freePortOnBoth();
        filesPort = freePortOnBoth();
        String python = realPython();
        for (String node : List.of("s1", "s2")) {
            String address = ADDRESS.get(node);
            Path etc = Path.of(harness.run(30, "dir", node).trim()).resolve("etc");
            Path www = Path.of(harness.run(30, "dir", node).trim()).resolve("data/www");
            Files.createDirectories(www);
            Files.writeString(www.resolve("index.html"), "served by " + node + "\n");
            write(etc.resolve("tandem.service-bridge.cfg"), Map.of(
                    "name", "bridge", "role", "video", "mode", "active-standby",
                    "start.command", python + " -m http.server --bind " + address + " " + videoPort,
                    "working.directory", www.toString(),
                    "probe", "http://" + address + ":" + videoPort + "/",
                    "probe.interval.seconds", "0.5", "stop.timeout.seconds", "2", "takeover.grace.seconds", "3"));
            write(etc.resolve("tandem.service-web.cfg"), Map.of(
                    "name", "web", "role", "files", "mode", "active-active",
                    "start.command", python + " -m http.server --bind " + address + " " + filesPort,
                    "working.directory", www.toString(),
                    "probe", "tcp:" + address + ":" + filesPort,
                    "probe.interval.seconds", "0.5", "stop.timeout.seconds", "2"));
        }
    }

    @AfterClass
    public static void down() {
        if (harness != null) {
            harness.tryRun(60, "down");
        }
    }

    private static void write(Path file, Map<String, String> props) throws IOException {
        StringBuilder out = new StringBuilder("# written by ServicesIT\n");
        new java.util.TreeMap<>(props).forEach((k, v) -> out.append(k).append(" = ").append(v).append('\n'));
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, out);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** A port free on both service addresses (each node binds its own address). */
    private static int freePortOnBoth() throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(ADDRESS.get("s1")))) {
                port = s.getLocalPort();
            }
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(ADDRESS.get("s2")))) {
                return port;
            } catch (IOException taken) {
                // try another one
            }
        }
        throw new AssertionError("no port free on both 127.0.6.1 and 127.0.6.2");
    }

    /** The python3 interpreter itself (not a wrapper script), so that the service's pid is python's. */
    private static String realPython() throws Exception {
        Process p = new ProcessBuilder("python3", "-c", "import sys; print(sys.executable)").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals("python3 is needed for the service listener: " + out, 0, p.waitFor());
        return out;
    }

    /** supervisor:list --json on a node: name -> entry; empty when the node does not answer. */
    private static Optional<Map<String, JsonNode>> services(String node) {
        Harness.Result r = harness.tryRun(60, "exec", node, "supervisor", "list", "--json");
        if (r.code() != 0) {
            return Optional.empty();
        }
        try {
            Map<String, JsonNode> out = new LinkedHashMap<>();
            for (JsonNode n : JSON.readTree(r.output().substring(r.output().indexOf('[')))) {
                out.put(n.get("name").asText(), n);
            }
            return Optional.of(out);
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("supervisor:list --json on " + node + " is not JSON: " + r.output(), e);
        }
    }

    /** cluster:node-list --json seen from a node: node name -> its endpoints. */
    private static Map<String, JsonNode> endpointsSeenBy(String node) {
        String out = harness.exec(node, "cluster", "node-list", "--json");
        try {
            Map<String, JsonNode> endpoints = new LinkedHashMap<>();
            for (JsonNode n : JSON.readTree(out.substring(out.indexOf('[')))) {
                endpoints.put(n.get("name").asText(), n.get("endpoints"));
            }
            return endpoints;
        } catch (IOException e) {
            throw new AssertionError("cluster:node-list --json on " + node + " is not JSON: " + out, e);
        }
    }

    private static String state(String node, String service) {
        return services(node).map(m -> m.get(service)).map(n -> n.get("state").asText()).orElse("?");
    }

    private record HealthAnswer(int code, String body) {
    }

    private static HealthAnswer health(String node, String role) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create("http://" + ADDRESS.get(node) + ":" + HEALTH_PORT + "/health/" + role)
                    .toURL().openConnection(java.net.Proxy.NO_PROXY);
            c.setConnectTimeout(2000);
            c.setReadTimeout(5000);
            int code = c.getResponseCode();
            try (InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
                return new HealthAnswer(code, in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            return new HealthAnswer(-1, e.toString());
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    @Test
    public void a_exactlyOneNodeRunsTheVideoServiceAndBothRunTheFilesService() {
        Harness.await("one of s1, s2 runs bridge, the other stands by", Duration.ofSeconds(90), () -> {
            List<String> states = List.of(state("s1", "bridge"), state("s2", "bridge"));
            return states.contains("active") && states.contains("standby");
        });
        active = state("s1", "bridge").equals("active") ? "s1" : "s2";
        standby = active.equals("s1") ? "s2" : "s1";
        assertEquals("the lowest node name takes the service when none runs it", "s1", active);

        JsonNode bridge = services(active).orElseThrow().get("bridge");
        assertEquals("active-standby", bridge.get("mode").asText());
        assertEquals("ok", bridge.get("probe").asText());
        assertTrue(bridge.toString(), bridge.get("pid").asLong() > 0);
        JsonNode other = services(standby).orElseThrow().get("bridge");
        assertEquals("standby", other.get("state").asText());
        assertEquals(-1, other.get("pid").asLong());
        assertEquals("active on " + active, other.get("detail").asText());

        HealthAnswer up = health(active, "video");
        assertEquals(up.body(), 200, up.code());
        HealthAnswer down = health(standby, "video");
        assertEquals(down.body(), 503, down.code());
        assertTrue(down.body(), down.body().contains("standby"));
        assertEquals("no video role on s3", 503, health("s3", "video").code());

        for (String node : List.of("s1", "s2")) {
            Harness.await("web active on " + node, Duration.ofSeconds(60), () -> state(node, "web").equals("active"));
            HealthAnswer files = health(node, "files");
            assertEquals(node + ": " + files.body(), 200, files.code());
        }
        // the shipped examples are there, disabled, and change nothing
        assertEquals("disabled", state("s1", "video"));
        // the cluster sees the active node's announcement
        Harness.await("s3 sees the announcements of bridge", Duration.ofSeconds(10), () -> {
            Map<String, JsonNode> endpoints = endpointsSeenBy("s3");
            JsonNode held = endpoints.get(active).get("service.bridge");
            return held != null && held.asText().startsWith("http://" + ADDRESS.get(active) + ":" + videoPort + "/#since=")
                    && endpoints.get(standby).has("standby.bridge") && !endpoints.get(standby).has("service.bridge");
        });
    }

    @Test
    public void b_killOfTheActiveNodeMovesTheServiceAndItsProcessesDie() {
        killedVideoPid = services(active).orElseThrow().get("bridge").get("pid").asLong();
        killedFilesPid = services(active).orElseThrow().get("web").get("pid").asLong();
        assertTrue(alive(killedVideoPid) && alive(killedFilesPid));
        long t0 = System.nanoTime();
        harness.run(30, "kill", active);
        Harness.await(standby + " serves /health/video", TAKEOVER_BOUND.plusSeconds(30), () -> health(standby, "video").code() == 200);
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("[ServicesIT] video service active on " + standby + " " + tookMs + " ms after kill -9 of " + active);
        assertTrue("take-over took " + tookMs + " ms, bound " + TAKEOVER_BOUND.toMillis() + " ms",
                tookMs <= TAKEOVER_BOUND.toMillis());
        JsonNode bridge = services(standby).orElseThrow().get("bridge");
        assertEquals("active", bridge.get("state").asText());
        assertEquals("ok", bridge.get("probe").asText());
        // the service answers on the new node's address
        assertTrue(health(standby, "video").body(), health(standby, "video").body().contains("bridge active on " + standby));

        Harness.await("the killed node's video process is gone", Duration.ofSeconds(15), () -> !alive(killedVideoPid));
        Harness.await("the killed node's files process is gone", Duration.ofSeconds(15), () -> !alive(killedFilesPid));
    }

    @Test
    public void c_theKilledNodeComesBackAsStandby() {
        String now = standby;
        String back = active;
        harness.run(90, "start", back);
        harness.run(150, "wait", back, "3", "120");
        long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        int stable = 0;
        // polled from the return until the returning node has settled as standby (several readings
        // past its take-over grace): never two actives meanwhile
        while (stable < 3) {
            String a = state(now, "bridge");
            String b = state(back, "bridge");
            assertNotEquals("two actives: " + now + "=" + a + ", " + back + "=" + b, "active", b);
            assertEquals(now + " keeps the service", "active", a);
            boolean settled = b.equals("standby")
                    && services(back).orElseThrow().get("bridge").get("detail").asText().equals("active on " + now);
            stable = settled ? stable + 1 : 0;
            assertTrue("no stable standby on " + back + " within 120 s (last: " + b + ")", System.nanoTime() < until);
        }
        HealthAnswer h = health(back, "video");
        assertEquals(h.body(), 503, h.code());
        assertTrue(h.body(), h.body().contains("standby"));
        Harness.await("web active again on " + back, Duration.ofSeconds(60), () -> state(back, "web").equals("active"));
    }

    @Test
    public void d_restartCommand() {
        String holder = standby;
        long before = services(holder).orElseThrow().get("bridge").get("pid").asLong();
        String out = harness.exec(holder, "supervisor", "restart", "bridge");
        System.out.println("[ServicesIT] supervisor:restart bridge on " + holder + ":\n" + out);
        assertTrue(out, out.startsWith("Service bridge restarted"));
        Harness.await("bridge active again with a new pid", Duration.ofSeconds(30), () -> {
            JsonNode b = services(holder).orElseThrow().get("bridge");
            return b.get("state").asText().equals("active") && b.get("pid").asLong() != before;
        });
        assertEquals(1, services(holder).orElseThrow().get("bridge").get("restarts").asInt());
        assertTrue(!alive(before));

        Harness.Result unknown = harness.tryRun(60, "exec", holder, "supervisor", "restart", "nope");
        assertNotEquals(unknown.output(), 0, unknown.code());
        assertTrue(unknown.output(), unknown.output().contains("no supervised service named 'nope'"));
        System.out.println("[ServicesIT] supervisor:restart nope on " + holder + ":\n" + unknown.output());
        Harness.Result onStandby = harness.tryRun(60, "exec", active, "supervisor", "restart", "bridge");
        assertNotEquals(onStandby.output(), 0, onStandby.code());
        assertTrue(onStandby.output(), onStandby.output().contains("restart it on the active node"));
        Path audit = harness.log(holder).resolveSibling("audit.log");
        try {
            String lines = Files.readString(audit);
            assertTrue(lines, lines.contains("action=supervisor:restart target=bridge result=ok"));
            assertTrue(lines, lines.contains("action=supervisor:restart target=nope result=refused"));
        } catch (IOException e) {
            throw new AssertionError("cannot read " + audit, e);
        }
        System.out.println("[ServicesIT] supervisor:list on " + holder + ":\n" + harness.exec(holder, "supervisor", "list"));
        System.out.println("[ServicesIT] supervisor:list on " + active + ":\n" + harness.exec(active, "supervisor", "list"));
        System.out.println("[ServicesIT] supervisor:list --json on " + active + ":\n" + harness.exec(active, "supervisor", "list", "--json"));
        System.out.println("[ServicesIT] /health/video on " + active + ": " + health(active, "video"));
    }
}
