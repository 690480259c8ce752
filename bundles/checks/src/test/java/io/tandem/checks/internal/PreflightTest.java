package io.tandem.checks.internal;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/** The host checks on this machine: real hosts files, real name resolution, real sockets, real file systems. */
public class PreflightTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private Preflight preflight(Path hosts, Path storage, boolean mustBeMount, long minFreeMb, List<Path> channels, Path mounts,
                                Preflight.Programs programs) {
        return new Preflight(new Preflight.Settings(hosts, 500, storage, mustBeMount, minFreeMb, channels, mounts), programs);
    }

    private Preflight preflight(Path hosts) {
        return preflight(hosts, Path.of("/"), true, 0, List.of(), Path.of("/proc/mounts"), (c, t) -> Optional.empty());
    }

    private Path file(String name, String content) throws Exception {
        Path p = tmp.getRoot().toPath().resolve(name);
        Files.writeString(p, content);
        return p;
    }

    private static Preflight.Node node(String fqdn, String address, List<String> seeds) {
        return new Preflight.Node(fqdn, address, Set.of("mailstore"), seeds, 5701);
    }

    @Test
    public void anFqdnListedForTheNodeAddressAndResolvingToItPasses() throws Exception {
        Path hosts = file("hosts", "# comment\n127.0.0.1   localhost   # the loopback\n");
        List<Check> c = preflight(hosts).fqdn(node("localhost", "127.0.0.1", List.of()));
        assertEquals(c.toString(), List.of(Outcome.PASS, Outcome.PASS), c.stream().map(Check::outcome).toList());
        assertTrue(c.get(0).detail(), c.get(0).detail().contains("not fully qualified"));
        assertTrue(c.get(1).detail(), c.get(1).detail().startsWith("resolves to 127.0.0.1"));
    }

    @Test
    public void anFqdnMissingFromTheHostsFileOrResolvingElsewhereFailsWithTheReason() throws Exception {
        Path hosts = file("hosts", "127.0.0.1 localhost\n");
        List<Check> missing = preflight(hosts).fqdn(node("mbox1.invalid", "127.0.0.1", List.of()));
        assertEquals(Outcome.FAIL, missing.get(0).outcome());
        assertEquals("not in " + hosts + " (add the line '127.0.0.1  mbox1.invalid')", missing.get(0).detail());
        assertEquals(Outcome.FAIL, missing.get(1).outcome());
        assertTrue(missing.get(1).detail(), missing.get(1).detail().startsWith("does not resolve"));
        List<Check> other = preflight(file("hosts2", "10.1.2.3 localhost\n")).fqdn(node("localhost", "127.0.0.1", List.of()));
        assertEquals(Outcome.FAIL, other.get(0).outcome());
        assertTrue(other.get(0).detail(), other.get(0).detail().contains("lists it for 10.1.2.3, not for node.address 127.0.0.1"));
        // localhost resolves to 127.0.0.1, an address of this host, but the node binds to 127.0.12.9
        List<Check> elsewhere = preflight(hosts).fqdn(node("localhost", "127.0.12.9", List.of()));
        assertEquals(Outcome.WARN, elsewhere.get(1).outcome());
        assertTrue(elsewhere.get(1).detail(), elsewhere.get(1).detail().contains("not node.address 127.0.12.9"));
    }

    @Test
    public void peersAreResolvedAndConnectedRefusalIsAWarningAndSelfIsSkipped() throws Exception {
        try (ServerSocket listening = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
            int closed;
            try (ServerSocket s = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"))) {
                closed = s.getLocalPort();
            }
            Preflight.Node n = node("localhost", "127.0.0.1", List.of("127.0.0.1:5701", "localhost:" + listening.getLocalPort(),
                    "127.0.0.1:" + closed, "no-such-host.invalid:5701"));
            List<Check> c = preflight(file("hosts", "")).peers(n);
            assertEquals(c.toString(), 3, c.size());
            assertEquals(Outcome.PASS, c.get(0).outcome());
            assertTrue(c.get(0).detail(), c.get(0).detail().startsWith("resolves to 127.0.0.1, TCP connect in "));
            assertEquals(Outcome.WARN, c.get(1).outcome());
            assertTrue(c.get(1).detail(), c.get(1).detail().contains("nothing listens on port " + closed));
            assertEquals(Outcome.FAIL, c.get(2).outcome());
            assertEquals("no-such-host.invalid:5701", c.get(2).target());
            assertTrue(c.get(2).detail(), c.get(2).detail().startsWith("does not resolve"));
        }
        List<Check> none = preflight(file("hosts3", "")).peers(node("localhost", "127.0.0.1", List.of()));
        assertEquals(Outcome.WARN, none.get(0).outcome());
    }

    @Test
    public void theLocalClockIsReadFromTheFirstToolThatAnswers() throws Exception {
        Path hosts = file("hosts", "");
        Preflight.Programs chronyOnly = (cmd, t) -> switch (cmd.get(0)) {
            case "timedatectl" -> Optional.of(new Preflight.Programs.Result(1, "System has not been booted with systemd\n"));
            case "chronyc" -> Optional.of(new Preflight.Programs.Result(0, "Reference ID : 0A000001\nLeap status     : Normal\n"));
            default -> Optional.empty();
        };
        Check synced = preflight(hosts, Path.of("/"), true, 0, List.of(), Path.of("/proc/mounts"), chronyOnly).localClock();
        assertEquals(synced.toString(), Outcome.PASS, synced.outcome());
        Preflight.Programs ntpqUnsynced = (cmd, t) -> cmd.get(0).equals("ntpq")
                ? Optional.of(new Preflight.Programs.Result(0, "     remote   refid\n 10.0.0.1  .INIT.\n")) : Optional.empty();
        Check notSynced = preflight(hosts, Path.of("/"), true, 0, List.of(), Path.of("/proc/mounts"), ntpqUnsynced).localClock();
        assertEquals(Outcome.FAIL, notSynced.outcome());
        // this machine, as it is: whatever it has, the answer names what was tried when it is unknown
        Check real = preflight(hosts, Path.of("/"), true, 0, List.of(), Path.of("/proc/mounts"), Preflight.Programs.system()).localClock();
        assertTrue(real.toString(), real.outcome() != Outcome.WARN || real.detail().contains("timedatectl"));
    }

    @Test
    public void primaryStorageMustBeAMountPointWithEnoughFreeSpace() throws Exception {
        Path mounts = file("mounts", "/dev/vda / ext4 rw 0 0\n/dev/vdb /srv/mail\\040store xfs rw 0 0\n");
        assertEquals(Optional.of("/srv/mail store"), Preflight.mountPointOf(Path.of("/srv/mail store/x"), Files.readAllLines(mounts)));
        Path dir = tmp.newFolder("opt").toPath();
        Check notMount = preflight(file("h", ""), dir, true, 0, List.of(), mounts, (c, t) -> Optional.empty()).storage(Set.of("mailstore"));
        assertEquals(Outcome.FAIL, notMount.outcome());
        assertTrue(notMount.detail(), notMount.detail().startsWith("not a mount point of its own (it is on /)"));
        Check root = preflight(file("h2", ""), Path.of("/"), true, 1, List.of(), mounts, (c, t) -> Optional.empty()).storage(Set.of("mailstore"));
        assertEquals(root.toString(), Outcome.PASS, root.outcome());
        Check tooFull = preflight(file("h3", ""), Path.of("/"), true, Long.MAX_VALUE / (1 << 20), List.of(), mounts,
                (c, t) -> Optional.empty()).storage(Set.of("mailstore"));
        assertEquals(Outcome.FAIL, tooFull.outcome());
        assertTrue(tooFull.detail(), tooFull.detail().contains("below the required"));
        Check missing = preflight(file("h4", ""), dir.resolve("absent"), true, 0, List.of(), mounts, (c, t) -> Optional.empty())
                .storage(Set.of("mailstore"));
        assertEquals(Outcome.FAIL, missing.outcome());
        Check notMailstore = preflight(file("h5", ""), dir.resolve("absent"), true, 0, List.of(), mounts, (c, t) -> Optional.empty())
                .storage(Set.of("core"));
        assertEquals(Outcome.PASS, notMailstore.outcome());
    }

    @Test
    public void theRepositoryChannelIsReadFromTheFirstFilePresent() throws Exception {
        Path rc = file("zextras.list", "deb [arch=amd64] https://repo.zextras.io/rc/ubuntu jammy main\n");
        Path release = file("zextras.repo", "[zextras]\nbaseurl=https://repo.zextras.io/release/rhel9\n");
        Path absent = tmp.getRoot().toPath().resolve("absent.list");
        Check c1 = preflight(file("h", ""), Path.of("/"), true, 0, List.of(absent, rc, release), Path.of("/proc/mounts"),
                (c, t) -> Optional.empty()).channel();
        assertEquals(Check.pass("channel", rc.toString(), "channel RC"), c1);
        Check c2 = preflight(file("h2", ""), Path.of("/"), true, 0, List.of(release), Path.of("/proc/mounts"), (c, t) -> Optional.empty()).channel();
        assertEquals("channel RELEASE", c2.detail());
        Check none = preflight(file("h3", ""), Path.of("/"), true, 0, List.of(absent), Path.of("/proc/mounts"), (c, t) -> Optional.empty()).channel();
        assertEquals(Outcome.WARN, none.outcome());
        assertTrue(none.detail(), none.detail().contains("would use the RELEASE channel"));
    }
}
