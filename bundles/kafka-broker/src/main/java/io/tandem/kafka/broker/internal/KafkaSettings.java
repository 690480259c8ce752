package io.tandem.kafka.broker.internal;

import io.tandem.api.config.Defaults;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The embedded broker's configuration (PID {@code tandem.kafka}) and everything derived from it and
 * from the node: the KRaft node id (position of {@code node.address} in {@code voters}), the
 * listeners, the controller quorum, the cluster id (from the Hazelcast cluster name unless given) and
 * the replication the cluster can hold. Every refusal names the PID, the key and the value.
 *
 * @param voters the controller quorum in order: node id {@code i + 1} is {@code voters.get(i)}
 */
record KafkaSettings(boolean enabled, String address, int nodeId, int port, int controllerPort, List<String> voters,
                     String clusterId, boolean clusterIdDerived, Path dataDir, Path libDir, Path java, String heap,
                     String jvmOptions, int retentionHours, double stopTimeoutSeconds, double startTimeoutSeconds) {

    static final String PID = "tandem.kafka";
    /** Every default is the configuration type's: the keys are read from the raw properties to name bad values. */
    private static final KafkaBrokerComponent.Config DEFAULTS = Defaults.of(KafkaBrokerComponent.Config.class);
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?");
    private static final Pattern CLUSTER_ID = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_-]{21}");
    private static final Pattern HEAP = Pattern.compile("[1-9][0-9]{0,5}[mMgG]");

    /** What the settings are derived from besides the configuration. */
    record Context(String nodeAddress, String clusterName, int coreExpected, Path karafHome, Path karafData, Path javaHome) {
    }

    /** The configuration when the broker does not run here (external Kafka). */
    static KafkaSettings disabled() {
        return new KafkaSettings(false, "", 0, 0, 0, List.of(), "", false, null, null, null, "", "", 0, 0, 0);
    }

    /**
     * @throws IllegalArgumentException naming the PID, the key and the bad value
     */
    static KafkaSettings parse(Map<String, ?> props, Context ctx) {
        boolean enabled = bool(props, "enabled", DEFAULTS.enabled());
        if (!enabled) {
            return disabled();
        }
        int port = port(props, "port", DEFAULTS.port());
        int controllerPort = port(props, "controller.port", DEFAULTS.controller_port());
        if (port == controllerPort) {
            throw bad("controller.port", Integer.toString(controllerPort), "a port other than port (" + port + ")");
        }
        String address = ctx.nodeAddress();
        List<String> voters = new ArrayList<>();
        String votersText = string(props, "voters", DEFAULTS.voters());
        for (String v : votersText.split(",")) {
            String host = v.trim();
            if (host.isEmpty()) {
                continue;
            }
            if (!HOST.matcher(host).matches()) {
                throw bad("voters", votersText, "a comma list of the core nodes' addresses (node.address of each), '" + host
                        + "' is not an address");
            }
            if (voters.contains(host)) {
                throw bad("voters", votersText, "each core node once ('" + host + "' is listed twice)");
            }
            voters.add(host);
        }
        if (voters.isEmpty()) {
            if (ctx.coreExpected() > 1) {
                throw bad("voters", votersText, "the addresses of the " + ctx.coreExpected()
                        + " core nodes (tandem.cluster expected.roles expects " + ctx.coreExpected()
                        + "); empty means a quorum of this node alone, for a cluster of one core node");
            }
            voters.add(address);
        }
        int index = voters.indexOf(address);
        if (index < 0) {
            throw bad("voters", votersText, "a list that contains this node's node.address (" + address + ")");
        }
        String given = string(props, "cluster.id", DEFAULTS.cluster_id());
        String clusterId;
        if (given.isEmpty()) {
            clusterId = deriveClusterId(ctx.clusterName());
        } else if (CLUSTER_ID.matcher(given).matches()) {
            clusterId = given;
        } else {
            throw bad("cluster.id", given, "22 characters of URL-safe base64 (a Kafka cluster id, not starting with '-'), or empty to derive it from cluster.name");
        }
        Path data = path(props, "data.dir", ctx.karafData().resolve("kafka"));
        Path lib = path(props, "lib.dir", ctx.karafHome().resolve("kafka").resolve("lib"));
        Path java = path(props, "java", ctx.javaHome().resolve("bin").resolve("java"));
        String heap = string(props, "heap", DEFAULTS.heap());
        if (!HEAP.matcher(heap).matches()) {
            throw bad("heap", heap, "a size such as 512m or 2g");
        }
        String jvmOptions = string(props, "jvm.options", DEFAULTS.jvm_options());
        if (jvmOptions.contains("'")) {
            throw bad("jvm.options", jvmOptions, "options without single quotes");
        }
        int retention = integer(props, "retention.hours", DEFAULTS.retention_hours(), 1, 87_600);
        double stop = seconds(props, "stop.timeout.seconds", DEFAULTS.stop_timeout_seconds());
        double start = seconds(props, "start.timeout.seconds", DEFAULTS.start_timeout_seconds());
        return new KafkaSettings(true, address, index + 1, port, controllerPort, List.copyOf(voters), clusterId, given.isEmpty(),
                data, lib, java, heap, jvmOptions, retention, stop, start);
    }

    /**
     * The cluster id every core node derives from the same Hazelcast cluster name: a name-based UUID
     * (version 3) of {@code tandem-kafka:<cluster name>} in Kafka's URL-safe base64 form (22 characters).
     * A leading '-' (which the storage tool would read as an option) becomes 'A'.
     */
    static String deriveClusterId(String clusterName) {
        UUID uuid = UUID.nameUUIDFromBytes(("tandem-kafka:" + clusterName).getBytes(StandardCharsets.UTF_8));
        byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (uuid.getMostSignificantBits() >>> (56 - 8 * i));
            bytes[8 + i] = (byte) (uuid.getLeastSignificantBits() >>> (56 - 8 * i));
        }
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        return id.startsWith("-") ? "A" + id.substring(1) : id;
    }

    /** {@code controller.quorum.voters}: {@code 1@host1:cport,2@host2:cport,...}. */
    List<String> quorum() {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < voters.size(); i++) {
            out.add((i + 1) + "@" + hostPort(voters.get(i), controllerPort));
        }
        return out;
    }

    /** The embedded brokers as the global {@code brokers} names them: {@code host1:port,host2:port,...}. */
    String brokers() {
        return String.join(",", voters.stream().map(v -> hostPort(v, port)).toList());
    }

    String listener() {
        return hostPort(address, port);
    }

    String controller() {
        return hostPort(address, controllerPort);
    }

    /** Replication factor of the internal topics and the default of new topics: min(3, voters). */
    int replicationFactor() {
        return Math.min(3, voters.size());
    }

    /** {@code min.insync.replicas}: 2 from 3 replicas on, else 1 (as the replication log's topic). */
    int minInsyncReplicas() {
        return replicationFactor() >= 3 ? 2 : 1;
    }

    Path logDir() {
        return dataDir.resolve("data");
    }

    Path serverProperties() {
        return dataDir.resolve("server.properties");
    }

    Path log4jProperties() {
        return dataDir.resolve("log4j.properties");
    }

    Path startScript() {
        return dataDir.resolve("start.sh");
    }

    /** The broker's {@code server.properties} (rewritten at every start from the configuration). */
    String serverPropertiesText() {
        int rf = replicationFactor();
        return String.join("\n",
                "# Written by Tandem from etc/tandem.kafka.cfg at every start of the broker: edit that file, not this one.",
                "process.roles=broker,controller",
                "node.id=" + nodeId,
                "controller.quorum.voters=" + String.join(",", quorum()),
                "controller.listener.names=CONTROLLER",
                "listeners=PLAINTEXT://" + listener() + ",CONTROLLER://" + controller(),
                "advertised.listeners=PLAINTEXT://" + listener(),
                "inter.broker.listener.name=PLAINTEXT",
                "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                "log.dirs=" + logDir(),
                "auto.create.topics.enable=false",
                "num.partitions=1",
                "default.replication.factor=" + rf,
                "min.insync.replicas=" + minInsyncReplicas(),
                "offsets.topic.replication.factor=" + rf,
                "transaction.state.log.replication.factor=" + rf,
                "transaction.state.log.min.isr=" + minInsyncReplicas(),
                "unclean.leader.election.enable=false",
                "log.retention.hours=" + retentionHours,
                "group.initial.rebalance.delay.ms=0",
                "num.network.threads=2",
                "num.io.threads=4",
                "num.recovery.threads.per.data.dir=1",
                "");
    }

    /** Log4j 1 (reload4j) configuration: a rolling {@code data/log/kafka.log} next to Karaf's own log. */
    String log4jText(Path logFile) {
        return String.join("\n",
                "# Written by Tandem at every start of the broker.",
                "log4j.rootLogger=INFO, file",
                "log4j.appender.file=org.apache.log4j.RollingFileAppender",
                "log4j.appender.file.File=" + logFile,
                "log4j.appender.file.MaxFileSize=16MB",
                "log4j.appender.file.MaxBackupIndex=5",
                "log4j.appender.file.layout=org.apache.log4j.PatternLayout",
                "log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n",
                "log4j.logger.kafka.request.logger=WARN",
                "log4j.logger.state.change.logger=WARN",
                "log4j.logger.kafka.log.LogCleaner=WARN",
                "");
    }

    /**
     * The start script: formats the storage at the first start (no {@code meta.properties} yet) with
     * the cluster id, then replaces itself with the broker's JVM, so the supervised pid is the broker's.
     */
    String startScriptText() {
        String jvm = "-Xms64m -Xmx" + heap + (jvmOptions.isEmpty() ? "" : " " + jvmOptions)
                + " -Djava.awt.headless=true -Dlog4j.configuration=" + quote("file:" + log4jProperties());
        return String.join("\n",
                "#!/bin/sh",
                "# Written by Tandem from etc/tandem.kafka.cfg at every start of the broker: edit that file, not this one.",
                "set -e",
                "JAVA=" + quote(java.toString()),
                "CP=" + quote(libDir + "/*"),
                "if [ ! -f " + quote(logDir().resolve("meta.properties").toString()) + " ]; then",
                "  \"$JAVA\" -Xmx128m -Dlog4j.configuration=" + quote("file:" + log4jProperties()) + " -cp \"$CP\" kafka.tools.StorageTool format"
                        + " --ignore-formatted -t " + quote(clusterId) + " -c " + quote(serverProperties().toString()),
                "fi",
                "exec \"$JAVA\" " + jvm + " -cp \"$CP\" kafka.Kafka " + quote(serverProperties().toString()),
                "");
    }

    /** Single-quoted for sh. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static String hostPort(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    // ---- reading the raw properties ----

    static IllegalArgumentException bad(String key, String value, String expected) {
        return new IllegalArgumentException(PID + ": " + key + " = '" + (value == null ? "" : value) + "' is invalid: expected " + expected);
    }

    private static String string(Map<String, ?> props, String key, String dflt) {
        Object v = props.get(key);
        String s = v == null ? "" : v.toString().trim();
        return s.isEmpty() ? dflt : s;
    }

    private static boolean bool(Map<String, ?> props, String key, boolean dflt) {
        String s = string(props, key, Boolean.toString(dflt)).toLowerCase(Locale.ROOT);
        return switch (s) {
            case "true" -> true;
            case "false" -> false;
            default -> throw bad(key, s, "true or false");
        };
    }

    private static int integer(Map<String, ?> props, String key, int dflt, int min, int max) {
        String s = string(props, key, Integer.toString(dflt));
        try {
            int v = Integer.parseInt(s);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw bad(key, s, "a whole number from " + min + " to " + max);
    }

    private static int port(Map<String, ?> props, String key, int dflt) {
        return integer(props, key, dflt, 1, 65535);
    }

    private static double seconds(Map<String, ?> props, String key, double dflt) {
        String s = string(props, key, Double.toString(dflt));
        try {
            double v = Double.parseDouble(s);
            if (v > 0 && v <= 3600) {
                return v;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw bad(key, s, "a number of seconds > 0 and <= 3600");
    }

    private static Path path(Map<String, ?> props, String key, Path dflt) {
        String s = string(props, key, "");
        if (s.isEmpty()) {
            return dflt.toAbsolutePath().normalize();
        }
        Path p = Path.of(s);
        if (!p.isAbsolute()) {
            throw bad(key, s, "an absolute path, or empty for the default (" + dflt.toAbsolutePath().normalize() + ")");
        }
        return p.normalize();
    }
}
