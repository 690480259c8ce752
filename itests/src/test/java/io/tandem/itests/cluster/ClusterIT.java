package io.tandem.itests.cluster;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

/**
 * Three real Tandem nodes started by the harness (scripts/cluster.sh) from the built distribution,
 * each on its own loopback address: membership with roles, role propagation, kill -9, SIGSTOP,
 * resume and restart. The steps build on each other, hence the fixed order.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ClusterIT {

    /** failure.detection.seconds (5) + heartbeat.interval.seconds (1) of the shipped configuration. */
    private static final Duration HUNG_NODE_BOUND = Duration.ofSeconds(6);
    /** Log timestamps have millisecond resolution but the two sides are written by different JVMs. */
    private static final Duration CLOCK_SLACK = Duration.ofMillis(500);

    private static Harness harness;

    @BeforeClass
    public static void up() {
        harness = Harness.fromSystemProperties("it-cluster");
        harness.tryRun(60, "clean");
        Path spec = Path.of(System.getProperty("tandem.repo"), "itests/src/test/resources/cluster-it.spec");
        harness.run(300, "up", spec.toString());
    }

    @AfterClass
    public static void down() {
        if (harness != null) {
            harness.tryRun(60, "down");
        }
    }

    private static Map<String, List<String>> members(String node) {
        return harness.membersSeenBy(node).orElseThrow(() -> new AssertionError(node + " does not answer cluster:node-list"));
    }

    @Test
    public void a_everyNodeSeesTheOthersWithTheirRoles() {
        for (String node : List.of("n1", "n2", "n3")) {
            Map<String, List<String>> seen = members(node);
            assertEquals(node + " sees", List.of("n1", "n2", "n3"), List.copyOf(seen.keySet()));
            assertEquals(List.of("core", "mailstore"), seen.get("n1"));
            assertEquals(List.of("core", "mta"), seen.get("n2"));
            assertEquals(List.of("core", "proxy"), seen.get("n3"));
        }
        String status = harness.exec("n1", "cluster", "status");
        assertTrue(status, status.contains("3 live of 3 expected"));
        assertTrue(status, status.contains("PRESENT"));
        String local = harness.exec("n2", "cluster", "node-list", "--no-format");
        assertTrue("local marker on n2: " + local, local.lines().anyMatch(l -> l.startsWith("*") && l.contains("n2")));
    }

    /**
     * The heap an operator gives a node (JAVA_MAX_MEM, here the harness's TANDEM_NODE_HEAP of 384M) is the heap its
     * JVM runs with: Karaf 4.4's scripts ignore JAVA_MAX_MEM, and the JVM took a quarter of the machine's memory.
     */
    @Test
    public void a_aNodesJvmRunsWithTheHeapItWasGiven() throws Exception {
        String pid = harness.run(30, "pid", "n1").trim();
        String java = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        Process p = new ProcessBuilder(java, pid, "VM.flags").redirectErrorStream(true).start();
        String flags = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("jcmd " + pid + " VM.flags did not finish", p.waitFor(30, TimeUnit.SECONDS));
        List<String> set = List.of(flags.trim().split("\\s+"));
        assertTrue(flags, set.contains("-XX:MaxHeapSize=" + 384L * 1024 * 1024));
        assertTrue(flags, set.contains("-XX:InitialHeapSize=" + 128L * 1024 * 1024));
    }

    /**
     * bin/tandem logs in with the node's key through OpenSSH (no JVM per command: a Java home that does not
     * exist does not stop it), and refuses a node whose host key is not the one the node wrote.
     */
    @Test
    public void aa_binTandemLogsInWithTheNodesKeyAndChecksTheHostKey() throws Exception {
        Path node = Path.of(harness.run(10, "dir", "n1").trim());
        Path key = node.resolve("etc/tandem.admin.key");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(key)));
        String publicKey = Files.readString(node.resolve("etc/tandem.admin.key.pub")).split(" ")[1];
        assertTrue("keys.properties registers the key for admin",
                Files.readAllLines(node.resolve("etc/keys.properties")).contains("admin = " + publicKey + ",_g_:tandemadmins"));

        ProcessResult viaKey = binTandem(node, Map.of("JAVA_HOME", "/nonexistent"), "cluster", "node-list", "--json");
        assertEquals(viaKey.output, 0, viaKey.code);
        assertEquals(List.of("n1", "n2", "n3"), List.copyOf(Harness.members("n1", viaKey.output).keySet()));
        assertFalse("ssh's closing chatter is filtered: " + viaKey.output, viaKey.output.contains("closed by remote host"));

        ProcessResult failing = binTandem(node, Map.of(), "ha", "getAccountStatus", "nosuch@example.org");
        assertEquals(failing.output, 1, failing.code);
        assertTrue(failing.output, failing.output.contains("'nosuch@example.org' has no value"));

        ProcessResult viaClient = binTandem(node, Map.of("TANDEM_CLIENT", "karaf"), "cluster", "node-list", "--json");
        assertEquals("the Karaf client still works: " + viaClient.output, 0, viaClient.code);

        // standard output carries only the command's output (`--json | jq` works), the node's error goes to
        // standard error without colours, with either client
        for (Map<String, String> env : List.of(Map.<String, String>of(), Map.of("TANDEM_CLIENT", "karaf"))) {
            Streams error = binTandemStreams(node, env, "ha", "getAccountStatus", "nosuch@example.org");
            assertEquals(env + " " + error, 1, error.code);
            assertEquals(env + " nothing on standard output: " + error, "", error.out.strip());
            assertTrue(env + " " + error, error.err.startsWith("Error executing command: ") && error.err.contains("'nosuch@example.org' has no value"));
            assertFalse(env + " no colours: " + error, error.err.contains("\u001b["));
            // preflight prints its JSON report and fails when a check fails (this machine's /etc/hosts lacks the
            // node's name): the report stays parseable either way
            Streams preflight = binTandemStreams(node, env, "node", "preflight", "--json");
            assertTrue(env + " " + preflight, HaCluster.JSON.readTree(preflight.out).has("result"));
            assertEquals(env + " " + preflight, preflight.code != 0, preflight.err.contains("node:preflight FAILED"));
        }
        Streams notFound = binTandemStreams(node, Map.of(), "cluster", "nosuch");
        assertEquals(notFound.toString(), 1, notFound.code);
        assertEquals(notFound.toString(), "Command not found: cluster:nosuch", notFound.err.strip());

        // a copy of bin/tandem whose idea of the node's host key is another key: refused before any command
        Path impostor = Files.createTempDirectory("tandem-hostkey");
        Files.createDirectories(impostor.resolve("bin"));
        Files.createDirectories(impostor.resolve("etc"));
        Files.copy(node.resolve("bin/tandem"), impostor.resolve("bin/tandem"));
        for (String f : List.of("tandem.admin.properties", "tandem.admin.key", "org.apache.karaf.shell.cfg")) {
            Files.copy(node.resolve("etc").resolve(f), impostor.resolve("etc").resolve(f));
        }
        Files.copy(node.resolve("etc/host.key.pub"), impostor.resolve("etc/real.pub"));
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        Files.writeString(impostor.resolve("etc/host.key.pub"), "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(rsa.generateKeyPair().getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n");
        ProcessResult refused = binTandem(impostor, Map.of(), "cluster", "node-list");
        assertEquals(refused.output, 255, refused.code);
        assertTrue(refused.output, refused.output.contains("Host key verification failed"));

        // Karaf closes the connection right after the exit status; when that wins the race against ssh's goodbye,
        // ssh ends with 255 although the command ran to its end: its status is then read from its output. A node
        // that went away during the command keeps 255. (An ssh that plays each case, first on the PATH.)
        assertEquals(new ProcessResult(0, "listed\n"), withSsh(node, "echo listed; echo 'client_loop: send disconnect: Broken pipe' >&2; exit 255"));
        ProcessResult failed = withSsh(node, "echo 'Error executing command: no such account'; "
                + "echo 'client_loop: send disconnect: Broken pipe' >&2; exit 255");
        assertEquals(failed.output, 1, failed.code);
        ProcessResult gone = withSsh(node, "echo 'half'; echo 'Connection to n1 closed by remote host.' >&2; "
                + "echo 'client_loop: send disconnect: Broken pipe' >&2; exit 255");
        assertEquals(gone.output, 255, gone.code);
        assertTrue("what ssh said is shown: " + gone.output, gone.output.contains("closed by remote host"));
    }

    /** bin/tandem of {@code node} with an ssh that runs {@code script} (the real ssh-keygen stays). */
    private static ProcessResult withSsh(Path node, String script) throws Exception {
        Path bin = Files.createTempDirectory("fake-ssh");
        Path ssh = bin.resolve("ssh");
        Files.writeString(ssh, "#!/bin/sh\n" + script + "\n");
        Files.setPosixFilePermissions(ssh, PosixFilePermissions.fromString("rwxr-xr-x"));
        return binTandem(node, Map.of("PATH", bin + ":" + System.getenv("PATH")), "cluster", "node-list");
    }

    private record ProcessResult(int code, String output) {
    }

    private record Streams(int code, String out, String err) {
    }

    /** bin/tandem with its standard output and standard error apart. */
    private static Streams binTandemStreams(Path node, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", node.resolve("bin/tandem").toString()));
        cmd.addAll(List.of(args));
        Path err = Files.createTempFile("bin-tandem", ".err");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(err.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("bin/tandem " + String.join(" ", args) + " ends", p.waitFor(60, TimeUnit.SECONDS));
        String errors = Files.readString(err);
        Files.delete(err);
        return new Streams(p.exitValue(), out, errors);
    }

    private static ProcessResult binTandem(Path node, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("sh", node.resolve("bin/tandem").toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue("bin/tandem " + String.join(" ", args) + " ends", p.waitFor(60, TimeUnit.SECONDS));
        return new ProcessResult(p.exitValue(), out);
    }

    @Test
    public void b_roleChangeReachesTheOtherNodesWithinTwoSeconds() {
        Instant before = Instant.now().minusSeconds(1);
        harness.exec("n3", "node", "set-roles", "core,proxy,files");
        Harness.await("n1 sees files on n3", Duration.ofSeconds(30),
                () -> members("n1").get("n3").contains("files"));
        Harness.await("n2 sees files on n3", Duration.ofSeconds(30),
                () -> members("n2").get("n3").contains("files"));
        Instant active = harness.logTime("n3", "Started role files", before)
                .orElseThrow(() -> new AssertionError("n3 never started the files role"));
        for (String observer : List.of("n1", "n2")) {
            Instant seen = harness.logTime(observer, "NODE_UPDATED n3 .*files", before)
                    .orElseThrow(() -> new AssertionError(observer + " logged no update of n3 with files"));
            Duration lag = Duration.between(active, seen);
            assertTrue(observer + " saw the role change " + lag.toMillis() + " ms after it was active on n3",
                    lag.compareTo(Duration.ofSeconds(2).plus(CLOCK_SLACK)) <= 0);
        }
    }

    @Test
    public void c_killedNodeDisappearsFromTheOthers() {
        harness.run(30, "kill", "n2");
        for (String observer : List.of("n1", "n3")) {
            Harness.await(observer + " no longer lists n2", Duration.ofSeconds(15),
                    () -> !members(observer).containsKey("n2"));
        }
        assertEquals(List.of("n1", "n3"), List.copyOf(members("n1").keySet()));
    }

    @Test
    public void d_pausedNodeIsRemovedWithinTheConfiguredBound() {
        Instant paused = Instant.now();
        harness.run(30, "pause", "n3");
        Harness.await("n1 no longer lists the hung n3", Duration.ofSeconds(30),
                () -> !members("n1").containsKey("n3"));
        Instant removed = harness.logTime("n1", "NODE_LEFT n3", paused)
                .orElseThrow(() -> new AssertionError("n1 logged no NODE_LEFT for n3"));
        Duration took = Duration.between(paused, removed);
        assertTrue("hung n3 removed after " + took.toMillis() + " ms, bound " + HUNG_NODE_BOUND.toMillis() + " ms",
                took.compareTo(HUNG_NODE_BOUND.plus(CLOCK_SLACK)) <= 0);
        String status = harness.exec("n1", "cluster", "status");
        assertTrue("1 of 3 core nodes is no quorum: " + status, status.contains("ABSENT"));
    }

    @Test
    public void e_resumedAndRestartedNodesRejoin() {
        harness.run(30, "resume", "n3");
        harness.run(90, "start", "n2");
        for (String node : List.of("n1", "n2", "n3")) {
            Harness.await(node + " sees all three nodes again", Duration.ofSeconds(120), () -> {
                Optional<Map<String, List<String>>> seen = harness.membersSeenBy(node);
                return seen.isPresent() && seen.get().keySet().equals(java.util.Set.of("n1", "n2", "n3"));
            });
        }
        Map<String, List<String>> seen = members("n1");
        assertEquals(List.of("core", "mta"), seen.get("n2"));
        assertEquals(List.of("core", "proxy", "files"), seen.get("n3"));
        assertFalse(harness.exec("n2", "cluster", "status").contains("ABSENT"));
    }
}
