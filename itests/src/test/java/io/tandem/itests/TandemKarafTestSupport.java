package io.tandem.itests;

import io.tandem.api.cluster.ClusterService;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.Role;
import org.apache.karaf.features.BootFinished;
import org.apache.karaf.features.Feature;
import org.apache.karaf.features.FeaturesService;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.api.console.SessionFactory;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.ProbeBuilder;
import org.ops4j.pax.exam.TestProbeBuilder;
import org.ops4j.pax.exam.karaf.options.LogLevelOption.LogLevel;
import org.ops4j.pax.exam.options.extra.VMOption;
import org.osgi.framework.Constants;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import javax.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.EnumSet;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.fail;
import static org.ops4j.pax.exam.CoreOptions.maven;
import static org.ops4j.pax.exam.CoreOptions.systemProperty;
import static org.ops4j.pax.exam.CoreOptions.when;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.configureConsole;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.editConfigurationFilePut;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.karafDistributionConfiguration;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.keepRuntimeFolder;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.logLevel;

/**
 * Pax Exam on the real Tandem distribution ({@code io.tandem:tandem:tar.gz}): one container per test
 * class ({@code @ExamReactorStrategy(PerClass.class)} in the subclasses), configured through Pax Exam
 * options, with free ports for everything it binds (SSH, RMI, health, cluster).
 *
 * <p>The {@link #tandemConfiguration} method runs in the test JVM; the test methods run inside the
 * container, where the harness's choices are read back from system properties ({@link #HEALTH_PORT} ...).
 *
 * <p>{@code -Dtandem.itests.keepRuntime=true} keeps the unpacked container under {@code target/exam}
 * (its {@code data/log/karaf.log}) for a post-mortem.
 */
public abstract class TandemKarafTestSupport {

    /** System property (inside the container): port of the health endpoints. */
    protected static final String HEALTH_PORT = "tandem.itests.health.port";
    /** System property (inside the container): cluster port. */
    protected static final String CLUSTER_PORT = "tandem.itests.cluster.port";
    /** System property (inside the container): cluster name, unique per container so no other node joins. */
    protected static final String CLUSTER_NAME = "tandem.itests.cluster.name";
    /** System property (inside the container): the project's version, which the distribution must report. */
    protected static final String VERSION = "tandem.itests.version";

    protected static final String NODE_NAME = "itest1";
    protected static final String NODE_FQDN = "itest1.localdomain";
    protected static final String NODE_ADDRESS = "127.0.0.1";
    /** Expected role counts: one of each redundancy level on a single core,mta node (OK, DEGRADED, DOWN, NONE_EXPECTED). */
    protected static final String EXPECTED_ROLES = "core=1,mta=2,mailstore=1,video=1";

    /** Upper bound of every wait for the container to reach a state (feature changes take a few seconds). */
    protected static final Duration WAIT = Duration.ofSeconds(30);
    private static final long POLL_MILLIS = 100;

    @Inject
    protected BootFinished bootFinished; // tests start once the boot features are installed

    @Inject
    protected FeaturesService featuresService;

    @Inject
    protected ConfigurationAdmin configurationAdmin;

    @Inject
    protected SessionFactory sessionFactory;

    @Inject
    protected LocalNode localNode;

    @Inject
    protected ClusterService clusterService;

    private static boolean initialRolesApplied;

    /** Once per container: the roles the test class asked for, through the node's configuration. */
    @org.junit.Before
    public void applyInitialRoles() throws Exception {
        synchronized (TandemKarafTestSupport.class) {
            if (initialRolesApplied) {
                return;
            }
            initialRolesApplied = true;
        }
        String wanted = System.getProperty("tandem.itests.roles", "");
        setRolesConfiguration(wanted);
        awaitRoles(Role.parseList(wanted).toArray(Role[]::new));
    }

    // ---------------------------------------------------------------- container configuration (test JVM)

    /** The distribution, configured for a single node {@value #NODE_NAME} playing {@code roles}. */
    protected static Option[] tandemConfiguration(String roles) {
        return tandemConfiguration(roles, EXPECTED_ROLES);
    }

    /** As {@link #tandemConfiguration(String)}, with {@code expectedRoles} in tandem.cluster ({@code null}: as shipped). */
    protected static Option[] tandemConfiguration(String roles, String expectedRoles) {
        String karafVersion = requiredProperty("karaf.version");
        String localRepository = requiredProperty("org.ops4j.pax.url.mvn.localRepository");
        String healthPort = Integer.toString(freePort());
        String clusterPort = Integer.toString(freePort());
        String clusterName = "itest-" + clusterPort;

        List<Option> options = new ArrayList<>(List.of(
                karafDistributionConfiguration()
                        .frameworkUrl(maven("io.tandem", "tandem").type("tar.gz").versionAsInProject())
                        .name("Tandem")
                        .unpackDirectory(new File("target/exam"))
                        .useDeployFolder(false),
                when(Boolean.getBoolean("tandem.itests.keepRuntime")).useOptions(keepRuntimeFolder()),
                configureConsole().ignoreLocalConsole(),
                logLevel(LogLevel.WARN),
                // the features service's deployment steps stay in the log (RolesFromConfigIT reads the boot's)
                editConfigurationFilePut("etc/org.ops4j.pax.logging.cfg", "log4j2.logger.features.name", "org.apache.karaf.features"),
                editConfigurationFilePut("etc/org.ops4j.pax.logging.cfg", "log4j2.logger.features.level", "INFO"),

                // Karaf's own ports
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshPort", Integer.toString(freePort())),
                editConfigurationFilePut("etc/org.apache.karaf.shell.cfg", "sshHost", NODE_ADDRESS),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryPort", Integer.toString(freePort())),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerPort", Integer.toString(freePort())),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiRegistryHost", NODE_ADDRESS),
                editConfigurationFilePut("etc/org.apache.karaf.management.cfg", "rmiServerHost", NODE_ADDRESS),

                // mvn: URLs (Pax Exam's own feature) come from the distribution's system/ folder or the build's
                // local repository, never from the network: the build runs offline once that is filled
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.localRepository", localRepository),
                editConfigurationFilePut("etc/org.ops4j.pax.url.mvn.cfg", "org.ops4j.pax.url.mvn.repositories", ""),
                editConfigurationFilePut("etc/org.apache.karaf.features.cfg", "updateSnapshots", "none"),

                // the node under test
                editConfigurationFilePut("etc/tandem.node.cfg", "node.name", NODE_NAME),
                editConfigurationFilePut("etc/tandem.node.cfg", "node.fqdn", NODE_FQDN),
                editConfigurationFilePut("etc/tandem.node.cfg", "node.address", NODE_ADDRESS),
                // booted without roles, the test's roles applied once the probe is in (applyInitialRoles):
                // a probe installed while the node provisions role features at boot is refused by
                // Karaf's resolver hook. Roles from the configuration at boot: ClusterIT (real nodes).
                editConfigurationFilePut("etc/tandem.node.cfg", "roles", ""),
                systemProperty("tandem.itests.roles").value(roles),
                editConfigurationFilePut("etc/tandem.health.cfg", "port", healthPort),
                // the mta role listens for SMTP when a test gives the node that role
                editConfigurationFilePut("etc/tandem.mta.cfg", "smtp.port", Integer.toString(freePort())),
                // one node, one directory file: no H2 AUTO_SERVER listener, whose random port could take
                // one of the free ports chosen above
                editConfigurationFilePut("etc/tandem.directory.cfg", "jdbc.url", "jdbc:h2:file:${karaf.data}/directory/tandem"),
                editConfigurationFilePut("etc/tandem.cluster.cfg", "port", clusterPort),
                editConfigurationFilePut("etc/tandem.cluster.cfg", "cluster.name", clusterName),
                editConfigurationFilePut("etc/tandem.cluster.cfg", "seeds", ""),
                // no Kafka broker in the single-node tests (the embedded broker: EmbeddedKafkaIT)
                editConfigurationFilePut("etc/tandem.kafka.cfg", "enabled", "false"),

                // what the tests inside the container need to know
                systemProperty(HEALTH_PORT).value(healthPort),
                systemProperty(CLUSTER_PORT).value(clusterPort),
                systemProperty(CLUSTER_NAME).value(clusterName),
                systemProperty(VERSION).value(requiredProperty("tandem.version")),

                // bin/setenv's heap (Pax Exam starts java itself, without the scripts)
                vm("-Xms128m"), vm("-Xmx512m")));
        if (expectedRoles != null) {
            options.add(editConfigurationFilePut("etc/tandem.cluster.cfg", "expected.roles", expectedRoles));
        }
        // what bin/karaf passes on Java 9+, and bin/setenv's flags for Hazelcast
        for (String o : List.of(
                "--add-reads=java.xml=java.logging",
                "--add-exports=java.base/org.apache.karaf.specs.locator=java.xml,ALL-UNNAMED",
                "--patch-module", "java.base=lib/endorsed/org.apache.karaf.specs.locator-" + karafVersion + ".jar",
                "--patch-module", "java.xml=lib/endorsed/org.apache.karaf.specs.java.xml-" + karafVersion + ".jar",
                "--add-opens", "java.base/java.security=ALL-UNNAMED",
                "--add-opens", "java.base/java.net=ALL-UNNAMED",
                "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "--add-opens", "java.base/java.util=ALL-UNNAMED",
                "--add-opens", "java.naming/javax.naming.spi=ALL-UNNAMED",
                "--add-opens", "java.rmi/sun.rmi.transport.tcp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.file=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.ftp=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.http=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.https=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.protocol.jar=ALL-UNNAMED",
                "--add-exports=java.base/sun.net.www.content.text=ALL-UNNAMED",
                "--add-exports=jdk.naming.rmi/com.sun.jndi.url.rmi=ALL-UNNAMED",
                "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
                "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens", "java.management/sun.management=ALL-UNNAMED",
                "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED",
                "-classpath", "lib/jdk9plus/*" + File.pathSeparator + "lib/boot/*")) {
            options.add(vm(o));
        }
        return options.toArray(new Option[0]);
    }

    @ProbeBuilder
    public TestProbeBuilder probe(TestProbeBuilder probe) {
        probe.setHeader(Constants.DYNAMICIMPORT_PACKAGE, "*");
        return probe;
    }

    private static VMOption vm(String option) {
        return new VMOption(option);
    }

    private static String requiredProperty(String name) {
        String value = System.getProperty(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("System property " + name + " is not set: run the ITs through failsafe (mvn verify -pl itests)");
        }
        return value;
    }

    /** A port free on the loopback address right now (the container binds it a few seconds later). */
    protected static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(NODE_ADDRESS))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + NODE_ADDRESS, e);
        }
    }

    // ---------------------------------------------------------------- helpers (inside the container)

    /** A system property the configuration above set for the container. */
    protected static String containerProperty(String name) {
        String value = System.getProperty(name);
        assertNotNull("system property " + name + " was not passed to the container", value);
        return value;
    }

    protected static Set<String> features(Role... roles) {
        return Arrays.stream(roles).map(Role::feature).collect(Collectors.toCollection(TreeSet::new));
    }

    protected static Set<Role> roles(Role... roles) {
        return roles.length == 0 ? EnumSet.noneOf(Role.class) : EnumSet.copyOf(Arrays.asList(roles));
    }

    /** Names of the installed {@code tandem-role-*} features. */
    protected Set<String> installedRoleFeatures() throws Exception {
        return Arrays.stream(featuresService.listInstalledFeatures())
                .map(Feature::getName)
                .filter(n -> n.startsWith(Role.FEATURE_PREFIX))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Waits until exactly the features of {@code roles} are installed (as the features service records them). */
    protected void awaitRoleFeatures(Role... expected) {
        Set<String> wanted = features(expected);
        await("installed role features = " + wanted, this::installedRoleFeatures, wanted::equals, FEATURE_WAIT);
    }

    /** Waits until exactly {@code roles} are active on the local node (their role services registered). */
    protected void awaitActiveRoles(Role... expected) {
        Set<Role> wanted = roles(expected);
        await("active roles = " + wanted, () -> localNode.activeRoles(), wanted::equals, FEATURE_WAIT);
    }

    /**
     * Waits until exactly the features of {@code roles} are installed and exactly those roles are active
     * (their role services registered).
     */
    protected void awaitRoles(Role... expected) {
        Set<String> wanted = features(expected);
        Set<Role> wantedRoles = roles(expected);
        await("installed role features = " + wanted + " and active roles = " + wantedRoles,
                () -> new RoleState(installedRoleFeatures(), localNode.activeRoles(), localNode.activationError().orElse("none")),
                state -> state.features().equals(wanted) && state.active().equals(wantedRoles), FEATURE_WAIT);
    }

    /**
     * The bound of a role switch: the features service resolves, uninstalls and installs whole features, which on a
     * loaded 2-core machine once took more than {@link #WAIT}.
     */
    protected static final Duration FEATURE_WAIT = Duration.ofSeconds(90);

    private record RoleState(Set<String> features, Set<Role> active, String activationError) {
    }

    /**
     * How long the local cluster member may take to run. Longer than {@link #WAIT}: after a role switch the
     * features service may refresh bundles the member's bundle is wired to, and the member then starts and
     * joins again; once, on a loaded 2-core machine, that took more than 30 s.
     */
    protected static final Duration CLUSTER_WAIT = Duration.ofSeconds(90);

    /** Waits until the local cluster member runs. */
    protected void awaitClusterConnected() {
        await("the cluster member to be connected", () -> clusterService.status(), s -> s.connected(), CLUSTER_WAIT);
    }

    /** Writes {@code roles} of {@code tandem.node} through ConfigurationAdmin, keeping the other keys. */
    protected void setRolesConfiguration(String roles) throws IOException {
        Configuration cfg = configurationAdmin.getConfiguration("tandem.node", null);
        Dictionary<String, Object> current = cfg.getProperties();
        assertNotNull("configuration tandem.node does not exist", current);
        Dictionary<String, Object> updated = new Hashtable<>();
        for (Enumeration<String> keys = current.keys(); keys.hasMoreElements(); ) {
            String key = keys.nextElement();
            updated.put(key, current.get(key));
        }
        updated.put("roles", roles);
        cfg.update(updated);
    }

    /** {@code roles} of the {@code tandem.node} configuration as ConfigurationAdmin holds it. */
    protected String rolesConfiguration() throws IOException {
        Dictionary<String, Object> props = configurationAdmin.getConfiguration("tandem.node", null).getProperties();
        assertNotNull("configuration tandem.node does not exist", props);
        return String.valueOf(props.get("roles"));
    }

    /**
     * Polls {@code state} until {@code done} holds or {@link #WAIT} is over; fails naming what was awaited
     * and the last state seen.
     */
    protected static <T> T await(String what, Callable<T> state, Check<T> done) {
        return await(what, state, done, WAIT);
    }

    /** {@link #await(String, Callable, Check)} with its own bound. */
    protected static <T> T await(String what, Callable<T> state, Check<T> done, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        Object last = null;
        while (true) {
            try {
                T value = state.call();
                last = value;
                if (done.test(value)) {
                    return value;
                }
            } catch (Exception e) {
                last = e;
            }
            if (System.nanoTime() > deadline) {
                fail("Timed out after " + wait.toSeconds() + " s waiting for " + what + "; last seen: " + last);
            }
            try {
                Thread.sleep(POLL_MILLIS); // polling interval, bounded by the deadline above
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }

    /** A condition that may throw. */
    @FunctionalInterface
    protected interface Check<T> {
        boolean test(T value) throws Exception;
    }

    /**
     * Runs a shell command in a new session of Karaf's {@link SessionFactory} and returns what it printed
     * (output and errors). Exceptions of the command propagate, as in a script.
     */
    protected String execute(String command) throws Exception {
        String[] scopeAndName = command.split("\\s+", 2)[0].split(":", 2);
        await("command " + scopeAndName[0] + ":" + scopeAndName[1] + " to be registered",
                () -> sessionFactory.getRegistry().getCommand(scopeAndName[0], scopeAndName[1]), c -> c != null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Session session = sessionFactory.create(new ByteArrayInputStream(new byte[0]), out, out);
        try {
            Object result = session.execute(command);
            if (result != null) {
                out.println(result);
            }
        } finally {
            out.flush();
            session.close();
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Rows of a table printed by Karaf's ShellTable (header and separator line excluded), cells trimmed. */
    protected static List<List<String>> tableRows(String output) {
        List<List<String>> rows = new ArrayList<>();
        String[] lines = output.split("\\R");
        boolean header = true;
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            if (header) {
                if (line.matches("[\\s\\-+─┼]+")) {
                    header = false; // the line under the header
                }
                continue;
            }
            List<String> cells = new ArrayList<>();
            for (String cell : line.split("[|│]", -1)) {
                cells.add(cell.trim());
            }
            rows.add(cells);
        }
        if (header) {
            fail("not a table (no header separator line):\n" + output);
        }
        return rows;
    }

    /** The first row whose cell in column {@code column} equals {@code key}. */
    protected static List<String> row(List<List<String>> rows, int column, String key, String output) {
        return rows.stream().filter(r -> r.size() > column && r.get(column).equals(key)).findFirst()
                .orElseThrow(() -> new AssertionError("no row with '" + key + "' in column " + column + " in:\n" + output));
    }

    /** GET {@code http://127.0.0.1:<health port><path>}. */
    protected static HttpResponse<String> httpGet(String path) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        URI uri = URI.create("http://" + NODE_ADDRESS + ":" + containerProperty(HEALTH_PORT) + path);
        return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
