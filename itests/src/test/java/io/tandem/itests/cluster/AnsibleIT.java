package io.tandem.itests.cluster;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

/**
 * The Ansible playbooks of ansible/ run with {@code -c local} against this machine, into a prefix
 * directory under target/ (no system path is touched; without systemd when the machine has none,
 * bin/start otherwise): a node in the inventory groups core and mailstore is installed, started and
 * answers {@code cluster:node-list} with both roles; a second run changes nothing; upgrade.yml moves it
 * to a repackaged release, keeping its etc/ (by the rules of merge-etc.sh) and data/, and the node
 * comes back in the cluster. The steps build on each other, hence the fixed order.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class AnsibleIT {

    private static final String NODE = "ansible-it1";
    private static final String ADDRESS = "127.0.13.1";
    private static final String NEW_VERSION = "0.1.1-it";
    private static final Pattern RECAP = Pattern.compile(
            "(?m)^" + Pattern.quote(NODE) + "\\s*:\\s*ok=(\\d+)\\s+changed=(\\d+)\\s+unreachable=(\\d+)\\s+failed=(\\d+)");

    private static Path repo;
    private static Path dist;
    private static Path work;
    private static Path prefix;
    private static Path inventory;
    private static String credentials;
    private static long pidBeforeUpgrade;

    @BeforeClass
    public static void prepare() throws IOException {
        repo = Path.of(required("tandem.repo")).toAbsolutePath().normalize();
        dist = Path.of(required("tandem.dist")).toAbsolutePath().normalize();
        assertTrue("distribution " + dist + " not found: build karaf-assembly first", Files.isRegularFile(dist));
        work = Path.of(required("tandem.it.dir")).resolve("ansible").toAbsolutePath();
        prefix = work.resolve("prefix");
        stopNode(); // left running by an interrupted earlier run
        deleteTree(work);
        Files.createDirectories(work);
        inventory = work.resolve("inventory.ini");
        // a machine that runs systemd would get a unit in /etc/systemd/system: the test keeps to its prefix
        boolean systemd = Files.isDirectory(Path.of("/run/systemd/system"));
        Files.writeString(inventory, String.join("\n",
                "[core]",
                NODE + " tandem_node_address=" + ADDRESS + " tandem_node_fqdn=" + NODE + ".tandem.test",
                "[mailstore]",
                NODE,
                "[tandem:children]",
                "core", "mailstore", "mta", "proxy", "files", "video", "chats",
                "[tandem:vars]",
                "ansible_connection=local",
                "ansible_python_interpreter=\"{{ ansible_playbook_python }}\"",
                "tandem_prefix=" + prefix,
                "tandem_manage_user=false",
                "tandem_user=" + System.getProperty("user.name"),
                "tandem_install_java=false",
                "tandem_java_max_mem=384M",
                "tandem_cluster_name=it-ansible",
                "tandem_start_timeout=240",
                systemd ? "tandem_systemd=false" : "", ""));
    }

    @AfterClass
    public static void stopNode() throws IOException {
        Path pidFile = prefix == null ? null : prefix.resolve("current/karaf.pid");
        if (pidFile == null || !Files.exists(pidFile)) {
            return;
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        // only this test's node: its command line names the prefix
        ProcessHandle.of(pid).filter(p -> p.info().commandLine().orElse("").contains(prefix.toString())).ifPresent(p -> {
            p.destroy(); // SIGTERM: Karaf shuts down cleanly
            try {
                p.onExit().get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                p.destroyForcibly();
            }
        });
    }

    @Test
    public void a_playbooksPassTheSyntaxCheckAndAnsibleLint() throws Exception {
        Path ansible = repo.resolve("ansible");
        Result r = ansible("--syntax-check", "-i", ansible.resolve("inventory.example.ini").toString(),
                ansible.resolve("site.yml").toString(), ansible.resolve("upgrade.yml").toString());
        assertEquals(r.output, 0, r.code);
        assertTrue(r.output, r.output.contains("playbook: " + ansible.resolve("site.yml"))
                && r.output.contains("playbook: " + ansible.resolve("upgrade.yml")));
        Result lint = run(List.of("bash", repo.resolve("scripts/infra/ansible.sh").toString(), "lint"), 600);
        assertEquals(lint.output, 0, lint.code);
        assertTrue(lint.output, lint.output.contains("Passed with production profile: 0 failure(s), 0 warning(s)"));
    }

    @Test
    public void b_installStartsTheNodeWithTheRolesOfItsGroups() throws Exception {
        Result r = playbook("site.yml", dist);
        assertEquals(r.output, 0, r.code);
        assertEquals("failed tasks:\n" + r.output, 0, recap(r.output)[3]);
        assertTrue("changes on a fresh install:\n" + r.output, recap(r.output)[1] > 0);

        assertEquals(Map.of(NODE, List.of("core", "mailstore")), members());
        assertEquals("releases/tandem-" + version(dist), Files.readSymbolicLink(prefix.resolve("current")).toString());
        Map<String, String> node = properties(prefix.resolve("etc/tandem.node.cfg"));
        assertEquals(NODE, node.get("node.name"));
        assertEquals(NODE + ".tandem.test", node.get("node.fqdn"));
        assertEquals(ADDRESS, node.get("node.address"));
        assertEquals("core,mailstore", node.get("roles"));
        Map<String, String> cluster = properties(prefix.resolve("etc/tandem.cluster.cfg"));
        assertEquals("it-ansible", cluster.get("cluster.name"));
        assertEquals(ADDRESS + ":5701", cluster.get("seeds"));
        assertEquals("core=1,mailstore=1", cluster.get("expected.roles"));
        assertEquals(ADDRESS, properties(prefix.resolve("etc/org.apache.karaf.shell.cfg")).get("sshHost"));

        Path cred = prefix.resolve("etc/tandem.admin.properties");
        assertEquals(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE), Files.getPosixFilePermissions(cred));
        credentials = Files.readString(cred);
        String password = properties(cred).get("password");
        assertTrue("a generated password: " + password.length(), password.length() >= 12);
        assertFalse("the admin password appears in Ansible's output", r.output.contains(password));
        assertTrue("started with bin/start, not systemd:\n" + r.output,
                Pattern.compile("TASK \\[tandem_common : Start the node \\(bin/start\\)\\][^\\n]*\\nchanged: ").matcher(r.output).find());
    }

    @Test
    public void c_aSecondRunChangesNothing() throws Exception {
        Result r = playbook("site.yml", dist);
        assertEquals(r.output, 0, r.code);
        assertEquals("changed tasks on the second run:\n" + r.output, 0, recap(r.output)[1]);
        assertEquals(credentials, Files.readString(prefix.resolve("etc/tandem.admin.properties")));
        assertEquals(Map.of(NODE, List.of("core", "mailstore")), members());
    }

    @Test
    public void d_upgradeKeepsEtcAndDataAndTheNodeComesBack() throws Exception {
        // state in data/ (the directory's H2 file) and an edit of etc/ made on the node
        Result created = tandem("prov", "createDomain", "ansible-it.test");
        assertEquals(created.output, 0, created.code);
        Files.writeString(prefix.resolve("etc/tandem.mta.cfg"), "# edited on the node\n", StandardOpenOption.APPEND);
        pidBeforeUpgrade = pid();

        // the new release: the same distribution, with a changed default in a file the node left alone,
        // a changed default in the file it edited, and a file it no longer ships
        Path repack = work.resolve("repack");
        Files.createDirectories(repack);
        exec(List.of("tar", "xzf", dist.toString(), "-C", repack.toString()), 120);
        Path top;
        try (Stream<Path> s = Files.list(repack)) {
            top = s.findFirst().orElseThrow();
        }
        Path release = repack.resolve("tandem-" + NEW_VERSION);
        Files.move(top, release);
        Files.writeString(release.resolve("etc/tandem.health.cfg"), "# new default\n", StandardOpenOption.APPEND);
        Files.writeString(release.resolve("etc/tandem.mta.cfg"), "# new default\n", StandardOpenOption.APPEND);
        Files.delete(release.resolve("etc/equinox-debug.properties"));
        Path newDist = work.resolve("tandem-" + NEW_VERSION + ".tar.gz");
        exec(List.of("bash", "-c", "tar cf - -C " + repack + " tandem-" + NEW_VERSION + " | gzip -1 > " + newDist), 180);
        deleteTree(repack);

        Result refused = playbook("site.yml", newDist);
        assertNotEquals(refused.output, 0, refused.code);
        assertTrue(refused.output, refused.output.contains("upgrade with upgrade.yml"));

        Result r = playbook("upgrade.yml", newDist);
        assertEquals(r.output, 0, r.code);
        assertEquals("failed tasks:\n" + r.output, 0, recap(r.output)[3]);
        assertEquals("releases/tandem-" + NEW_VERSION, Files.readSymbolicLink(prefix.resolve("current")).toString());
        assertNotEquals("the node was restarted", pidBeforeUpgrade, pid());
        assertEquals(Map.of(NODE, List.of("core", "mailstore")), members());

        Result domain = tandem("prov", "getDomain", "ansible-it.test");
        assertEquals(domain.output, 0, domain.code);
        assertEquals(credentials, Files.readString(prefix.resolve("etc/tandem.admin.properties")));
        Path etc = prefix.resolve("etc");
        assertTrue("new default taken", Files.readString(etc.resolve("tandem.health.cfg")).endsWith("# new default\n"));
        assertTrue("edit kept", Files.readString(etc.resolve("tandem.mta.cfg")).endsWith("# edited on the node\n"));
        assertTrue("new default beside the edited file",
                Files.readString(etc.resolve("tandem.mta.cfg.dist-" + NEW_VERSION)).endsWith("# new default\n"));
        assertFalse("a file no longer shipped is removed", Files.exists(etc.resolve("equinox-debug.properties")));
        assertEquals(NODE, properties(etc.resolve("tandem.node.cfg")).get("node.name"));

        Result again = playbook("upgrade.yml", newDist);
        assertEquals(again.output, 0, again.code);
        assertEquals("changed tasks on a second upgrade run:\n" + again.output, 0, recap(again.output)[1]);
    }

    // --- helpers -------------------------------------------------------------------------------------

    record Result(int code, String output) {
    }

    private static Result playbook(String playbook, Path tarball) throws Exception {
        return ansible("-c", "local", "-i", inventory.toString(), repo.resolve("ansible").resolve(playbook).toString(),
                "-e", "tandem_dist=" + tarball);
    }

    private static Result ansible(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("bash", repo.resolve("scripts/infra/ansible.sh").toString(), "playbook"));
        cmd.addAll(List.of(args));
        return run(cmd, 600);
    }

    private static Result tandem(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(prefix.resolve("current/bin/tandem").toString()));
        cmd.addAll(List.of(args));
        return run(cmd, 60);
    }

    /** cluster:node-list --json on the installed node: name -> roles. */
    private static Map<String, List<String>> members() throws Exception {
        Result r = tandem("cluster", "node-list", "--json");
        assertEquals(r.output, 0, r.code);
        return Harness.members(NODE, r.output);
    }

    /** ok, changed, unreachable, failed of the node's line in the play recap (the last one). */
    private static int[] recap(String output) {
        Matcher m = RECAP.matcher(output);
        int[] last = null;
        while (m.find()) {
            last = new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4))};
        }
        if (last == null) {
            throw new AssertionError("no play recap for " + NODE + ":\n" + output);
        }
        return last;
    }

    private static long pid() throws IOException {
        return Long.parseLong(Files.readString(prefix.resolve("current/karaf.pid")).trim());
    }

    private static String version(Path tarball) {
        return tarball.getFileName().toString().replaceAll("^tandem-(.*)\\.tar\\.gz$", "$1");
    }

    private static Map<String, String> properties(Path file) throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String l = line.strip();
            int eq = l.indexOf('=');
            if (l.isEmpty() || l.startsWith("#") || eq < 0) {
                continue;
            }
            out.put(l.substring(0, eq).strip(), l.substring(eq + 1).strip());
        }
        return out;
    }

    private static void exec(List<String> cmd, long timeoutSeconds) throws Exception {
        Result r = run(cmd, timeoutSeconds);
        assertEquals(String.join(" ", cmd) + ":\n" + r.output, 0, r.code);
    }

    private static Result run(List<String> cmd, long timeoutSeconds) throws Exception {
        File out = Files.createTempFile(work, "run", ".out").toFile();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out).directory(repo.toFile()).start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s:\n"
                    + Files.readString(out.toPath()));
        }
        String text = Files.readString(out.toPath(), StandardCharsets.UTF_8);
        out.delete();
        return new Result(p.exitValue(), text);
    }

    private static String required(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + key + " is not set (set by the itests pom)");
        }
        return v;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
