package io.tandem.checks.internal;

import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.VolumeRegistry;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.directory.DirectoryDatabase;
import io.tandem.api.kafka.KafkaBrokerService;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.RoleStatus;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.ReplicaHealth;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
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
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Runs {@code node:preflight} and {@code cluster:check}: the settings of {@code etc/tandem.checks.cfg}, and
 * every service a check looks at as an optional reference (a check whose service is missing says so).
 */
@Component(service = Checks.class, configurationPid = Checks.PID, configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = Checks.Config.class)
public class Checks {

    public static final String PID = "tandem.checks";
    private static final Logger LOG = LoggerFactory.getLogger(Checks.class);

    @ObjectClassDefinition(name = "Tandem checks", description = "Thresholds and paths of node:preflight and cluster:check")
    public @interface Config {
        @AttributeDefinition(description = "Hosts file that must list node.fqdn with node.address")
        String hosts_file() default "/etc/hosts";

        @AttributeDefinition(description = "Milliseconds to open a TCP connection to a peer (seeds of tandem.cluster)")
        int peer_connect_timeout_ms() default 3000;

        @AttributeDefinition(description = "Largest clock offset to another live member, milliseconds")
        long clock_max_skew_ms() default 1000;

        @AttributeDefinition(description = "Milliseconds to wait for the other members' clocks")
        long clock_wait_ms() default 3000;

        @AttributeDefinition(description = "Where a Mailstore's primary storage is mounted")
        String storage_path() default "/opt";

        @AttributeDefinition(description = "Whether storage.path must be a mount point of its own")
        boolean storage_must_be_mount() default true;

        @AttributeDefinition(description = "Free space required on storage.path, MiB")
        long storage_min_free_mb() default 10240;

        @AttributeDefinition(description = "Package repository files, comma separated; the first present one is read for its channel")
        String channel_files() default "/etc/apt/sources.list.d/zextras.list,/etc/yum.repos.d/zextras.repo";

        @AttributeDefinition(description = "Mount table read for storage.path")
        String mounts_file() default "/proc/mounts";

        @AttributeDefinition(description = "Milliseconds a cluster:check waits for the brokers' description")
        long kafka_timeout_ms() default 10000;

        @AttributeDefinition(description = "Replication factor of the replication topic expected at least")
        int kafka_min_replication_factor() default 3;

        @AttributeDefinition(description = "min.insync.replicas of the replication topic expected at least")
        int kafka_min_insync_replicas() default 2;

        @AttributeDefinition(description = "A replica behind its primary by more than this many milliseconds is reported")
        long replica_max_lag_ms() default 60000;

        @AttributeDefinition(description = "Standbys a PostgreSQL directory primary should have")
        int database_min_standbys() default 0;

        @AttributeDefinition(description = "A standby whose replay is more WAL bytes behind than this is reported")
        long database_max_standby_lag_bytes() default 16777216;
    }

    private volatile Config config;
    private volatile Preflight preflight;
    private volatile ClusterChecks clusterChecks;

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY, policy = ReferencePolicy.DYNAMIC)
    volatile ConfigurationAdmin configAdmin;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY, policy = ReferencePolicy.DYNAMIC)
    volatile LocalNode node;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY, policy = ReferencePolicy.DYNAMIC)
    volatile ClusterService cluster;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY, policy = ReferencePolicy.DYNAMIC)
    volatile ClockSkew clocks;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY, policy = ReferencePolicy.DYNAMIC)
    volatile VolumeRegistry volumes;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY, policy = ReferencePolicy.DYNAMIC)
    volatile BlobService blobs;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY, policy = ReferencePolicy.DYNAMIC)
    volatile EventLog log;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY, policy = ReferencePolicy.DYNAMIC)
    volatile DirectoryDatabase database;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY, policy = ReferencePolicy.DYNAMIC)
    volatile KafkaBrokerService kafkaBroker;
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policyOption = ReferencePolicyOption.GREEDY, policy = ReferencePolicy.DYNAMIC)
    volatile ReplicaHealth replicas;

    @Activate
    void activate(Config c) {
        apply(c);
        LOG.info("Started checks (hosts file {}, storage {}, channel files {})", c.hosts_file(), c.storage_path(), c.channel_files());
    }

    @Modified
    void modified(Config c) {
        apply(c);
    }

    private void apply(Config c) {
        positive("peer.connect.timeout.ms", c.peer_connect_timeout_ms());
        positive("clock.max.skew.ms", c.clock_max_skew_ms());
        positive("clock.wait.ms", c.clock_wait_ms());
        positive("kafka.timeout.ms", c.kafka_timeout_ms());
        positive("kafka.min.replication.factor", c.kafka_min_replication_factor());
        positive("kafka.min.insync.replicas", c.kafka_min_insync_replicas());
        positive("replica.max.lag.ms", c.replica_max_lag_ms());
        positive("database.max.standby.lag.bytes", c.database_max_standby_lag_bytes());
        if (c.storage_min_free_mb() < 0) {
            throw invalid("storage.min.free.mb", c.storage_min_free_mb(), "must be >= 0");
        }
        if (c.database_min_standbys() < 0) {
            throw invalid("database.min.standbys", c.database_min_standbys(), "must be >= 0");
        }
        List<Path> channels = new ArrayList<>();
        for (String f : c.channel_files().split(",")) {
            if (!f.isBlank()) {
                channels.add(absolute("channel.files", f.trim()));
            }
        }
        Preflight.Settings s = new Preflight.Settings(absolute("hosts.file", c.hosts_file()), c.peer_connect_timeout_ms(),
                absolute("storage.path", c.storage_path()), c.storage_must_be_mount(), c.storage_min_free_mb(), channels,
                absolute("mounts.file", c.mounts_file()));
        this.preflight = new Preflight(s, Preflight.Programs.system());
        this.clusterChecks = new ClusterChecks(new ClusterChecks.Limits(c.kafka_min_replication_factor(), c.kafka_min_insync_replicas(),
                c.replica_max_lag_ms(), c.database_min_standbys(), c.database_max_standby_lag_bytes()));
        this.config = c;
    }

    private static void positive(String key, long value) {
        if (value < 1) {
            throw invalid(key, value, "must be >= 1");
        }
    }

    private static Path absolute(String key, String value) {
        try {
            Path p = Path.of(value == null ? "" : value.trim());
            if (!p.isAbsolute()) {
                throw invalid(key, "'" + value + "'", "must be an absolute path");
            }
            return p.normalize();
        } catch (InvalidPathException e) {
            throw invalid(key, "'" + value + "'", "is not a path: " + e.getReason());
        }
    }

    private static IllegalArgumentException invalid(String key, Object value, String rule) {
        return new IllegalArgumentException(PID + ": " + key + " = " + value + " " + rule);
    }

    // ------------------------------------------------------------------ node:preflight

    /** Every pre-installation check of this node. */
    public Report preflight() {
        List<Check> out = new ArrayList<>();
        Preflight p = preflight;
        Preflight.Node n;
        try {
            n = nodeSettings();
        } catch (IllegalStateException e) {
            out.add(Check.fail("config", "", e.getMessage()));
            return new Report(out);
        }
        out.addAll(p.fqdn(n));
        out.addAll(p.peers(n));
        out.add(p.localClock());
        out.addAll(skew());
        out.add(p.storage(n.roles()));
        out.addAll(preflightBuckets(n.roles()));
        out.add(p.channel());
        return new Report(out);
    }

    /** tandem.node and tandem.cluster as Configuration Admin holds them (also when the node refused them). */
    private Preflight.Node nodeSettings() {
        Map<String, Object> nodeCfg = properties("tandem.node");
        Map<String, Object> clusterCfg = properties("tandem.cluster");
        String name = string(nodeCfg, "node.name");
        String address = string(nodeCfg, "node.address");
        if (address.isEmpty()) {
            throw new IllegalStateException("tandem.node: node.address is not set (etc/tandem.node.cfg)");
        }
        String fqdn = string(nodeCfg, "node.fqdn");
        if (fqdn.isEmpty()) {
            fqdn = name;
        }
        Set<String> roles = Arrays.stream(string(nodeCfg, "roles").split(",")).map(String::trim).filter(r -> !r.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new));
        List<String> seeds = Arrays.stream(string(clusterCfg, "seeds").split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
        int port;
        try {
            String raw = string(clusterCfg, "port");
            port = raw.isEmpty() ? 5701 : Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("tandem.cluster: port = '" + clusterCfg.get("port") + "' is not a number");
        }
        return new Preflight.Node(fqdn, address, roles, seeds, port);
    }

    private Map<String, Object> properties(String pid) {
        ConfigurationAdmin ca = configAdmin;
        if (ca == null) {
            throw new IllegalStateException("Configuration Admin is not running: cannot read " + pid);
        }
        try {
            Configuration[] found = ca.listConfigurations("(service.pid=" + pid + ")");
            if (found == null || found.length == 0 || found[0].getProperties() == null) {
                throw new IllegalStateException(pid + " is not configured (etc/" + pid + ".cfg is missing)");
            }
            Dictionary<String, Object> d = found[0].getProperties();
            Map<String, Object> out = new HashMap<>();
            for (String k : java.util.Collections.list(d.keys())) {
                out.put(k, d.get(k));
            }
            return out;
        } catch (IOException | InvalidSyntaxException e) {
            throw new IllegalStateException("cannot read " + pid + ": " + e.getMessage(), e);
        }
    }

    private static String string(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v == null ? "" : v.toString().trim();
    }

    /** Offsets of the other live members' clocks. */
    private List<Check> skew() {
        ClusterService c = cluster;
        ClockSkew k = clocks;
        Config cfg = config;
        if (c == null || k == null || !c.status().connected()) {
            return List.of(Check.pass("clock", "members", "not in a cluster: no other clock to compare with"));
        }
        Set<String> others = c.nodes().stream().filter(n -> !n.local()).map(ClusterNode::name).collect(Collectors.toCollection(TreeSet::new));
        if (others.isEmpty()) {
            return List.of(Check.pass("clock", "members", "no other live member to compare with"));
        }
        Map<String, ClockSkew.Sample> samples = k.measure(others, cfg.clock_wait_ms());
        List<Check> out = new ArrayList<>();
        for (String o : others) {
            ClockSkew.Sample s = samples.get(o);
            if (s == null) {
                out.add(Check.warn("clock", o, "no answer within " + cfg.clock_wait_ms() + " ms"));
                continue;
            }
            String d = String.format("offset %+d ms (±%d ms)", s.offsetMillis(), s.uncertaintyMillis());
            if (Math.abs(s.offsetMillis()) - s.uncertaintyMillis() > cfg.clock_max_skew_ms()) {
                out.add(Check.fail("clock", o, d + ", more than the allowed " + cfg.clock_max_skew_ms() + " ms"));
            } else {
                out.add(Check.pass("clock", o, d + ", within " + cfg.clock_max_skew_ms() + " ms"));
            }
        }
        return out;
    }

    private List<Check> preflightBuckets(Set<String> roles) {
        VolumeRegistry v = volumes;
        BlobService b = blobs;
        if (v == null) {
            return List.of(Check.warn("buckets", "", "the directory is not available on this node: buckets not checked"));
        }
        if (b == null) {
            return List.of(roles.contains("mailstore") || roles.contains("core")
                    ? Check.warn("buckets", "", "blob storage is not running yet on this node: buckets not checked")
                    : Check.pass("buckets", "", "not needed: blob storage runs on core and mailstore nodes"));
        }
        return buckets(v, b);
    }

    private static List<Check> buckets(VolumeRegistry v, BlobService b) {
        try {
            return ClusterChecks.buckets(v.buckets(), bucket -> b.probe(bucket.id()));
        } catch (RuntimeException e) {
            return List.of(Check.fail("buckets", "", "cannot list the buckets: " + e.getMessage()));
        }
    }

    // ------------------------------------------------------------------ cluster:check

    /** Is HA working: quorum, Kafka, directory database, buckets, replicas, roles and services. */
    public Report clusterCheck() {
        ClusterChecks cc = clusterChecks;
        Config cfg = config;
        List<Check> out = new ArrayList<>();
        ClusterService c = cluster;
        if (c == null) {
            out.add(Check.fail("quorum", "", "cluster membership is not running on this node"));
        } else {
            out.add(cc.quorum(c.status()));
        }
        EventLog l = log;
        if (l == null) {
            out.add(Check.fail("kafka", "", "the replication event log is not running on this node"));
        } else {
            out.addAll(cc.kafka(l.enabled(), l.describe(Duration.ofMillis(cfg.kafka_timeout_ms()))));
        }
        KafkaBrokerService k = kafkaBroker;
        out.addAll(cc.kafkaOrigin(k == null ? null : k.status()));
        DirectoryDatabase d = database;
        if (d == null) {
            out.add(Check.fail("directory", "", "the directory is not running on this node"));
        } else {
            out.addAll(cc.database(d.databaseStatus()));
        }
        VolumeRegistry v = volumes;
        BlobService b = blobs;
        if (v == null || b == null) {
            out.add(Check.warn("buckets", "", "blob storage is not running on this node (run cluster:check on a core or mailstore node)"));
        } else {
            out.addAll(buckets(v, b));
        }
        ReplicaHealth r = replicas;
        if (r == null) {
            out.add(Check.warn("replicas", "", "replication status is not available on this node"));
        } else {
            try {
                ReplicaHealth.Summary summary = r.summary(); // one collection of every Mailstore's status
                out.addAll(cc.replicas(summary.byMailstore()));
                out.addAll(cc.redundancy(summary.unprotected()));
            } catch (RuntimeException e) {
                out.add(Check.fail("replicas", "", "cannot read the replication status: " + e.getMessage()));
            }
        }
        if (c != null) {
            Map<String, String> local = new HashMap<>();
            LocalNode n = node;
            if (n != null) {
                for (RoleStatus s : n.roleStatus()) {
                    if (s.configured() && !s.health().up()) {
                        local.put(s.role().id(), s.health().detail());
                    }
                }
            }
            out.addAll(ClusterChecks.roles(c.redundancy(), local));
        }
        return new Report(out);
    }
}
