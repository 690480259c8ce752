package io.tandem.supervisor.internal;

import io.tandem.api.test.Await;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.supervisor.ServiceState;
import io.tandem.supervisor.ServiceStatus;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The supervisor on real child processes: python3's HTTP server as the service, sh for failures. */
public class SupervisorTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Path watchdog;
    private final List<Supervisor> supervisors = new ArrayList<>();
    private final List<Process> spawned = new ArrayList<>();

    /** Records the current announcement of one supervisor. */
    static final class Recorder implements Supervisor.Announcer {
        volatile String name;
        volatile String uri;

        @Override
        public void announce(String name, String uri) {
            this.name = name;
            this.uri = uri;
        }
    }

    @Before
    public void installWatchdog() throws IOException {
        watchdog = ChildProcess.installWatchdog(tmp.getRoot().toPath().resolve("tandem"));
    }

    @After
    public void closeAll() {
        supervisors.forEach(Supervisor::close);
        spawned.forEach(Process::destroyForcibly);
    }

    private Supervisor supervisor(Map<String, Object> props, String node, Recorder announcer,
                                  AtomicReference<Supervisor.ClusterView> view) {
        ServiceConfig config = ServiceConfig.parse(props, tmp.getRoot().toPath());
        Supervisor s = new Supervisor(config, () -> node, watchdog, announcer, view::get);
        supervisors.add(s);
        return s;
    }

    private static Map<String, Object> props(String name, String role, String command) {
        Map<String, Object> p = new HashMap<>();
        p.put("name", name);
        p.put("role", role);
        p.put("start.command", command);
        p.put("probe.interval.seconds", "0.2");
        p.put("probe.timeout.seconds", "0.5");
        p.put("restart.initial.seconds", "0.1");
        p.put("restart.max.seconds", "0.4");
        p.put("stop.timeout.seconds", "2");
        p.put("takeover.grace.seconds", "0.3");
        return p;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Map<String, Object> httpServer(String name, String role, int port) {
        Map<String, Object> p = props(name, role, "python3 -m http.server --bind 127.0.0.1 " + port);
        p.put("probe", "http://127.0.0.1:" + port + "/");
        return p;
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        Await.until(what, timeout, Duration.ofMillis(20), condition, () -> "");
    }

    private static ServiceStatus awaitState(Supervisor s, ServiceState state, Duration timeout) {
        try {
            await(s.config().name() + " is " + state, timeout, () -> s.status().state() == state);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + " (last status: " + s.status() + ")", e);
        }
        return s.status();
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static long readPid(Path file) {
        await(file + " written", Duration.ofSeconds(10), () -> {
            try {
                return Files.exists(file) && !Files.readString(file).isBlank();
            } catch (IOException e) {
                return false;
            }
        });
        try {
            return Long.parseLong(Files.readString(file).trim());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    public void probedServiceIsRestartedWhenKilledAndStoppedWhenTheRoleGoes() throws IOException {
        int port = freePort();
        Recorder announced = new Recorder();
        Supervisor s = supervisor(httpServer("web", "files", port), "f1", announced, new AtomicReference<>());
        s.start();
        assertEquals("no process while the role is not played", ServiceState.INACTIVE, s.status().state());
        s.setRolePlayed(true);
        ServiceStatus active = awaitState(s, ServiceState.ACTIVE, Duration.ofSeconds(20));
        assertEquals("ok", active.lastProbe());
        assertTrue(active.health().detail(), active.health().up());
        assertTrue(alive(active.pid()));
        assertEquals("service.web", announced.name);
        assertTrue(announced.uri, announced.uri.startsWith("http://127.0.0.1:" + port + "/#since="));

        // killed from outside: restarted with a new pid, counted
        ProcessHandle.of(active.pid()).orElseThrow().destroyForcibly();
        await("web restarted with a new pid", Duration.ofSeconds(20),
                () -> s.status().state() == ServiceState.ACTIVE && s.status().pid() != active.pid());
        assertEquals(1, s.status().restarts());

        long pid = s.status().pid();
        s.setRolePlayed(false);
        ServiceStatus inactive = awaitState(s, ServiceState.INACTIVE, Duration.ofSeconds(10));
        assertEquals(-1, inactive.pid());
        assertFalse("process stopped with the role", alive(pid));
        assertNull("no announcement without the role", announced.name);
    }

    @Test
    public void fastFailuresBackOffExponentiallyThenFailAndRestartGivesAFreshBudget() throws IOException {
        Path runs = tmp.newFile("runs").toPath();
        Map<String, Object> p = props("crasher", "chats", "sh -c 'date +%s%N >> " + runs + "; exit 3'");
        p.put("mode", "active-active");
        p.put("restart.max.fast.failures", "4");
        Supervisor s = supervisor(p, "c1", new Recorder(), new AtomicReference<>());
        s.setRolePlayed(true);
        s.start();
        ServiceStatus failed = awaitState(s, ServiceState.FAILED, Duration.ofSeconds(20));
        assertTrue(failed.detail(), failed.detail().contains("gave up after 4 failures"));
        assertTrue(failed.detail(), failed.detail().contains("exited with code 3"));
        assertFalse(failed.health().up());
        assertTrue(failed.health().detail(), failed.health().detail().contains("crasher: failed"));
        List<Long> starts = Files.readAllLines(runs).stream().map(Long::parseLong).toList();
        assertEquals("started 4 times, then given up", 4, starts.size());
        long[] backoff = {100, 200, 400};
        for (int i = 1; i < starts.size(); i++) {
            long gapMs = (starts.get(i) - starts.get(i - 1)) / 1_000_000;
            // jittered: at least half the nominal delay
            assertTrue("gap " + i + " = " + gapMs + " ms, backoff " + backoff[i - 1] + " ms", gapMs >= backoff[i - 1] / 2);
        }
        assertEquals(3, failed.restarts());

        ServiceStatus restarted = s.restart();
        assertTrue(restarted.state().id(), restarted.state() != ServiceState.FAILED);
        awaitState(s, ServiceState.FAILED, Duration.ofSeconds(20));
        assertEquals("a fresh budget of 4 starts", 8, Files.readAllLines(runs).size());
    }

    @Test
    public void aServiceThatNeverPassesItsProbeFailsAndIsKilled() throws IOException {
        Map<String, Object> p = props("deaf", "files", "sleep 300");
        p.put("probe", "tcp:127.0.0.1:" + freePort());
        p.put("start.timeout.seconds", "0.5");
        p.put("restart.max.fast.failures", "2");
        Supervisor s = supervisor(p, "f1", new Recorder(), new AtomicReference<>());
        s.setRolePlayed(true);
        s.start();
        long pid = awaitState(s, ServiceState.STARTING, Duration.ofSeconds(10)).pid();
        ServiceStatus failed = awaitState(s, ServiceState.FAILED, Duration.ofSeconds(20));
        assertTrue(failed.detail(), failed.detail().contains("probe did not pass within 500 ms"));
        assertTrue(failed.lastProbe(), failed.lastProbe().startsWith("tcp 127.0.0.1:"));
        assertFalse(alive(pid));
    }

    @Test
    public void stoppingReachesEverythingTheServiceForkedAndRunsTheStopCommand() throws IOException {
        Path child = tmp.getRoot().toPath().resolve("child.pid");
        Path stopped = tmp.getRoot().toPath().resolve("stopped");
        Map<String, Object> p = props("forker", "files", "sh -c 'sleep 300 & echo $! > " + child + "; wait'");
        p.put("stop.command", "sh -c 'echo $TANDEM_SERVICE_PID $GREETING > " + stopped + "; kill $TANDEM_SERVICE_PID'");
        p.put("env.GREETING", "bye");
        Supervisor s = supervisor(p, "f1", new Recorder(), new AtomicReference<>());
        s.setRolePlayed(true);
        s.start();
        long pid = awaitState(s, ServiceState.ACTIVE, Duration.ofSeconds(10)).pid();
        long grandchild = readPid(child);
        assertTrue(alive(grandchild));
        s.close();
        assertFalse("service gone after close", alive(pid));
        await("the forked sleep is gone too", Duration.ofSeconds(5), () -> !alive(grandchild));
        assertEquals(pid + " bye", Files.readString(stopped).trim());
    }

    @Test
    public void watchdogKillsTheServiceGroupWhenItsParentDies() throws Exception {
        Process parent = new ProcessBuilder("sleep", "300").start();
        spawned.add(parent);
        Path child = tmp.getRoot().toPath().resolve("grandchild.pid");
        Process service = new ProcessBuilder("setsid", "/bin/sh", watchdog.toString(), Long.toString(parent.pid()), "1",
                "sh", "-c", "trap '' TERM; sleep 300 & echo $! > " + child + "; wait").start();
        spawned.add(service);
        long grandchild = readPid(child);
        assertTrue(service.isAlive());
        assertTrue(alive(grandchild));
        long t0 = System.nanoTime();
        parent.destroyForcibly().waitFor();
        // the service ignores SIGTERM: the watchdog's SIGKILL after the 1 s grace must get it
        assertTrue("service killed after its parent died", service.waitFor(10, TimeUnit.SECONDS));
        await("the service's own child is gone", Duration.ofSeconds(5), () -> !alive(grandchild));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue("gone " + ms + " ms after the parent (poll 1 s + grace 1 s)", ms < 5_000);
    }

    @Test
    public void activeStandbyFollowsTheMembershipView() throws IOException {
        int port = freePort();
        Recorder announced = new Recorder();
        ClusterNode self = StandbyRuleTest.node("s2", true, Map.of());
        ClusterNode holder = StandbyRuleTest.node("s1", false, Map.of("service.bridge", "tcp://s1:1#since=" + System.currentTimeMillis()));
        AtomicReference<Supervisor.ClusterView> view = new AtomicReference<>(new Supervisor.ClusterView(true, List.of(holder, self)));
        Supervisor s = supervisor(httpServer("bridge", "video", port), "s2", announced, view);
        s.setRolePlayed(true);
        s.start();
        ServiceStatus standby = awaitState(s, ServiceState.STANDBY, Duration.ofSeconds(5));
        assertEquals("active on s1", standby.detail());
        assertEquals("bridge: standby (active on s1)", standby.health().detail());
        await("standby announced", Duration.ofSeconds(5), () -> "standby.bridge".equals(announced.name));
        IllegalStateException refused = assertThrows(IllegalStateException.class, s::restart);
        assertTrue(refused.getMessage(), refused.getMessage().contains("standby on s2"));

        // s1 leaves: s2 takes over
        long left = System.nanoTime();
        view.set(new Supervisor.ClusterView(true, List.of(self)));
        s.poke();
        ServiceStatus active = awaitState(s, ServiceState.ACTIVE, Duration.ofSeconds(20));
        assertTrue(active.health().up());
        assertEquals("service.bridge", announced.name);
        long tookMs = (System.nanoTime() - left) / 1_000_000;
        assertTrue("took over in " + tookMs + " ms", tookMs < 20_000);

        // an older holder becomes visible again (healed partition): s2 yields at once
        ClusterNode older = StandbyRuleTest.node("s1", false, Map.of("service.bridge", "tcp://s1:1#since=1"));
        view.set(new Supervisor.ClusterView(true, List.of(older, self)));
        s.poke();
        ServiceStatus yielded = awaitState(s, ServiceState.STANDBY, Duration.ofSeconds(10));
        // "yielded to s1 ..." right after the stop, "active on s1" from the next evaluation on
        assertTrue(yielded.detail(), yielded.detail().matches("(yielded to|active on) s1.*"));
        assertFalse(alive(active.pid()));

        // no membership at all: never start
        view.set(null);
        s.poke();
        await("stays standby without a cluster", Duration.ofSeconds(5),
                () -> s.status().detail().startsWith("not connected to the cluster"));
        assertEquals(ServiceState.STANDBY, s.status().state());
    }

    @Test
    public void disabledServiceNeverStarts() {
        Map<String, Object> p = props("off", "files", "sleep 300");
        p.put("enabled", "false");
        Recorder announced = new Recorder();
        Supervisor s = supervisor(p, "f1", announced, new AtomicReference<>());
        s.setRolePlayed(true);
        s.start();
        assertEquals(ServiceState.DISABLED, s.status().state());
        assertThrows(IllegalStateException.class, s::restart);
        assertEquals(ServiceState.DISABLED, s.status().state());
        assertEquals(-1, s.status().pid());
        assertNull(announced.name);
    }
}
