package io.tandem.kafka.broker.internal;

import io.tandem.api.concurrent.Threads;
import io.tandem.api.audit.Audit;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.kafka.KafkaBrokerService;
import io.tandem.api.kafka.KafkaBrokerState;
import io.tandem.api.kafka.KafkaBrokerStatus;
import io.tandem.api.node.Health;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.Role;
import io.tandem.supervisor.Program;
import io.tandem.supervisor.ServiceStatus;
import io.tandem.supervisor.ServiceSupervisor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The Kafka broker of a core node (PID {@code tandem.kafka}, installed with the core role): with
 * {@code enabled = true} it runs Apache Kafka in KRaft mode (broker and controller in one JVM) as a
 * supervised child process from the jars in {@code kafka/lib}, under the same supervision as the
 * roles' services ({@link ServiceSupervisor}: own process group, dies with Karaf, restarts with
 * backoff, SIGTERM then SIGKILL on stop). A monitor asks the broker for its metadata every second:
 * the broker is {@code running} once its answer lists itself alive, and once every voter's broker is
 * alive the cluster's global {@code brokers} is set to the embedded brokers if nobody set it. With
 * {@code enabled = false} nothing runs and the status says the cluster uses an external Kafka.
 * See docs/decisions/0015-embedded-kafka.md.
 */
@Component(service = KafkaBrokerService.class, configurationPid = KafkaSettings.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = KafkaBrokerComponent.Config.class)
public class KafkaBrokerComponent implements KafkaBrokerService {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaBrokerComponent.class);
    static final String SERVICE_NAME = "kafka";
    static final String BROKERS = "brokers";
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final long BROKERS_READ_MILLIS = 5_000;

    /** Documentation of the keys; values are read and checked by {@link KafkaSettings}. */
    @ObjectClassDefinition(name = "Tandem embedded Kafka", description = "The Kafka broker (KRaft) run by the core role")
    public @interface Config {
        @AttributeDefinition(description = "Run the broker on this core node; false when the global brokers name an external Kafka")
        boolean enabled() default true;

        @AttributeDefinition(description = "Addresses (node.address) of the core nodes forming the controller quorum, in a fixed order: node id = position; empty = this node alone")
        String voters() default "";

        @AttributeDefinition(description = "Port of the broker's client listener on node.address")
        int port() default 9092;

        @AttributeDefinition(description = "Port of the KRaft controller listener on node.address")
        int controller_port() default 9093;

        @AttributeDefinition(description = "KRaft cluster id (22 characters); empty = derived from the Hazelcast cluster.name")
        String cluster_id() default "";

        @AttributeDefinition(description = "Directory of the broker's state and log segments; empty = ${karaf.data}/kafka")
        String data_dir() default "";

        @AttributeDefinition(description = "Directory of the Kafka jars; empty = ${karaf.home}/kafka/lib")
        String lib_dir() default "";

        @AttributeDefinition(description = "Java executable; empty = the JVM running Tandem")
        String java() default "";

        @AttributeDefinition(description = "Maximum heap of the broker JVM (-Xmx), e.g. 512m or 2g")
        String heap() default "512m";

        @AttributeDefinition(description = "More options of the broker JVM (GC, ...)")
        String jvm_options() default "";

        @AttributeDefinition(description = "Hours a record is kept (log.retention.hours)")
        int retention_hours() default 168;

        @AttributeDefinition(description = "Seconds the broker has to stop after SIGTERM before SIGKILL")
        double stop_timeout_seconds() default 20;

        @AttributeDefinition(description = "Seconds the broker has to open its controller port after a start")
        double start_timeout_seconds() default 60;
    }

    private final KafkaSettings settings;
    private final String configurationError;
    private final ServiceSupervisor.SupervisedService process;
    private final ScheduledExecutorService monitor;
    private volatile DirectoryAdminService directory;
    private volatile KafkaBrokerStatus status;

    // ---- owned by the monitor thread ----
    private KafkaBrokerState state;
    private String detail = "";
    private Instant since = Instant.now();
    private int liveBrokers = -1;
    private String brokers = "";
    private long brokersReadAt;
    private boolean brokersChecked;

    @Activate
    public KafkaBrokerComponent(@Reference LocalNode node, @Reference ClusterService cluster,
                                @Reference ServiceSupervisor supervisor, Map<String, Object> properties) {
        ClusterStatus cs = cluster.status();
        KafkaSettings parsed = null;
        String error = null;
        try {
            parsed = KafkaSettings.parse(properties, new KafkaSettings.Context(node.identity().address(), cs.clusterName(),
                    cs.coreExpected(), Path.of(System.getProperty("karaf.home", ".")), Path.of(System.getProperty("karaf.data", "data")),
                    Path.of(System.getProperty("java.home"))));
            if (parsed.enabled()) {
                writeFiles(parsed);
            }
        } catch (IllegalArgumentException | IOException e) {
            error = e.getMessage();
            LOG.error("Kafka broker not started: {}", error);
        }
        this.settings = parsed != null && error == null ? parsed : KafkaSettings.disabled();
        this.configurationError = error;
        ServiceSupervisor.SupervisedService p = null;
        if (error == null && settings.enabled()) {
            p = supervisor.supervise(program(settings));
            LOG.info("Started Kafka broker {} (node id {}, listener {}, controller {}, voters {}, cluster id {}{})", SERVICE_NAME,
                    settings.nodeId(), settings.listener(), settings.controller(), String.join(",", settings.quorum()),
                    settings.clusterId(), settings.clusterIdDerived() ? " from cluster.name " + cs.clusterName() : "");
        } else if (error == null) {
            LOG.info("Started Kafka broker component: embedded broker disabled, the cluster uses the global brokers");
        }
        this.process = p;
        this.state = error != null ? KafkaBrokerState.FAILED : settings.enabled() ? KafkaBrokerState.STARTING : KafkaBrokerState.DISABLED;
        this.detail = error != null ? error : settings.enabled() ? "starting" : "enabled = false: the cluster uses an external Kafka";
        publish(-1, 0);
        this.monitor = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-kafka-monitor"));
        monitor.scheduleWithFixedDelay(this::check, 0, 1, TimeUnit.SECONDS);
    }

    @Deactivate
    void deactivate() {
        monitor.shutdownNow();
        try {
            monitor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (process != null) {
            process.close();
        }
        LOG.info("Stopped Kafka broker component");
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setDirectory(DirectoryAdminService directory) {
        this.directory = directory;
    }

    void unsetDirectory(DirectoryAdminService directory) {
        if (this.directory == directory) {
            this.directory = null;
        }
    }

    @Override
    public KafkaBrokerStatus status() {
        return status;
    }

    /** What the supervisor is given: the start script under the watchdog, the controller port as probe. */
    static Program program(KafkaSettings s) {
        return new Program(SERVICE_NAME, Role.CORE, List.of("/bin/sh", s.startScript().toString()), s.dataDir(),
                Path.of(System.getProperty("karaf.data", "data")).resolve("log").resolve("kafka-console.log"),
                "tcp:" + s.controller(), Duration.ofSeconds(2), Duration.ofSeconds(1),
                Duration.ofMillis(Math.round(s.startTimeoutSeconds() * 1000)),
                Duration.ofMillis(Math.round(s.stopTimeoutSeconds() * 1000)));
    }

    /** server.properties, log4j.properties and start.sh in the data directory, each written atomically. */
    private static void writeFiles(KafkaSettings s) throws IOException {
        boolean broker;
        try (var jars = Files.newDirectoryStream(s.libDir(), "kafka_2.13-*.jar")) {
            broker = jars.iterator().hasNext();
        } catch (IOException e) {
            broker = false;
        }
        if (!broker) {
            throw KafkaSettings.bad("lib.dir", s.libDir().toString(), "the directory of the Kafka broker's jars (no kafka_2.13-*.jar there)");
        }
        Files.createDirectories(s.logDir());
        Path log = Path.of(System.getProperty("karaf.data", "data")).resolve("log").resolve("kafka.log").toAbsolutePath();
        write(s.serverProperties(), s.serverPropertiesText());
        write(s.log4jProperties(), s.log4jText(log));
        write(s.startScript(), s.startScriptText());
    }

    private static void write(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    // ---- monitor thread ----

    private void check() {
        try {
            step();
        } catch (RuntimeException e) {
            LOG.warn("Kafka broker monitor: {}", e.toString(), e);
        }
    }

    private void step() {
        readBrokers(false);
        if (process == null) {
            publish(-1, 0);
            return;
        }
        ServiceStatus s = process.status();
        long pid = s.pid();
        switch (s.state()) {
            case STARTING -> set(KafkaBrokerState.STARTING, "process " + pid + " started, controller port not open yet");
            case ACTIVE, UNHEALTHY -> askBroker(pid);
            case BACKOFF -> set(KafkaBrokerState.RESTARTING, s.detail());
            case FAILED -> set(KafkaBrokerState.FAILED, s.detail() + " (supervisor:restart " + SERVICE_NAME + " to try again)");
            default -> set(KafkaBrokerState.STARTING, s.state().id() + ": " + s.detail());
        }
        if (state != KafkaBrokerState.RUNNING) {
            liveBrokers = -1;
        }
        publish(pid, s.restarts());
    }

    private void askBroker(long pid) {
        MetadataProbe.Answer a;
        try {
            a = MetadataProbe.ask(settings.address(), settings.port(), PROBE_TIMEOUT);
        } catch (IOException e) {
            set(KafkaBrokerState.STARTING, "pid " + pid + " runs, the broker does not serve yet (needs a majority of the "
                    + settings.voters().size() + " voters): " + e.getMessage());
            return;
        }
        liveBrokers = a.brokers().size();
        if (!a.clusterId().equals(settings.clusterId())) {
            set(KafkaBrokerState.FAILED, "the broker reports cluster id '" + a.clusterId() + "', configured '" + settings.clusterId()
                    + "': its storage " + settings.logDir() + " belongs to another cluster");
            return;
        }
        if (a.brokers().stream().noneMatch(b -> b.startsWith(settings.nodeId() + "@"))) {
            set(KafkaBrokerState.STARTING, "pid " + pid + " answers, not registered with the controller quorum yet ("
                    + liveBrokers + " of " + settings.voters().size() + " brokers alive)");
            return;
        }
        set(KafkaBrokerState.RUNNING, "pid " + pid + ", " + liveBrokers + " of " + settings.voters().size() + " brokers alive");
        if (liveBrokers >= settings.voters().size() && !brokersChecked) {
            publishBrokers();
        }
    }

    /**
     * Sets the global {@code brokers} to the embedded brokers when nobody set it, once every voter's
     * broker is alive (so the replication topic is created with a replication factor of min(3, voters)).
     */
    private void publishBrokers() {
        DirectoryAdminService d = directory;
        if (d == null) {
            return;
        }
        readBrokers(true);
        String mine = settings.brokers();
        if (brokers.isEmpty()) {
            d.setGlobal(BROKERS, mine);
            Audit.done("global:set", BROKERS, "value=" + mine + " (the embedded Kafka brokers, set by the core role)");
            LOG.info("Set the global brokers to the embedded brokers {}", mine);
            readBrokers(true);
        } else if (!brokers.equals(mine)) {
            LOG.info("Global brokers already set to {}: left as it is (embedded brokers: {})", brokers, mine);
        }
        brokersChecked = true;
    }

    private void readBrokers(boolean now) {
        DirectoryAdminService d = directory;
        long t = System.currentTimeMillis();
        if (d == null || (!now && t - brokersReadAt < BROKERS_READ_MILLIS)) {
            return;
        }
        brokersReadAt = t;
        try {
            brokers = d.global(BROKERS).map(String::trim).orElse("");
        } catch (RuntimeException e) {
            LOG.debug("Cannot read the global brokers: {}", e.toString());
        }
    }

    private void set(KafkaBrokerState next, String why) {
        if (next != state) {
            since = Instant.now();
            if (next == KafkaBrokerState.RUNNING) {
                LOG.info("Kafka broker {} running: {}", settings.nodeId(), why);
            } else if (state == KafkaBrokerState.RUNNING) {
                LOG.warn("Kafka broker {} {}: {}", settings.nodeId(), next.id(), why);
            }
        }
        state = next;
        detail = why;
    }

    private void publish(long pid, int restarts) {
        boolean embedded = settings.enabled();
        boolean brokersEmbedded = embedded && !brokers.isEmpty() && brokers.equals(settings.brokers());
        Health health;
        if (configurationError != null) {
            health = Health.down("Kafka broker: " + configurationError);
        } else if (!embedded) {
            health = Health.up("Kafka external (global brokers " + (brokers.isEmpty() ? "unset" : brokers) + ")");
        } else if (state == KafkaBrokerState.RUNNING) {
            health = Health.up("Kafka broker " + settings.nodeId() + " running (" + detail + ")");
        } else {
            health = Health.down("Kafka broker " + settings.nodeId() + " " + state.id() + " (" + detail + ")");
        }
        status = new KafkaBrokerStatus(embedded || configurationError != null, state, pid, settings.nodeId(), embedded ? settings.listener() : "",
                embedded ? settings.controller() : "", settings.quorum(), settings.clusterId(), restarts, liveBrokers, brokers,
                brokersEmbedded, since, detail, health);
    }
}
