package io.tandem.checks.internal;

import io.tandem.api.kafka.KafkaBrokerState;
import io.tandem.api.kafka.KafkaBrokerStatus;
import io.tandem.api.blob.BucketConfig;
import io.tandem.api.blob.ProbeReport;
import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.cluster.RoleRedundancy;
import io.tandem.api.directory.DatabaseStatus;
import io.tandem.api.node.Role;
import io.tandem.api.replication.LogStatus;
import io.tandem.api.replication.ReplicaHealth;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The lines of {@code cluster:check}, computed from what the services report. A FAIL means the HA setup does
 * not work (mail or replication stops, or the next failure loses service); a WARN means it works with less
 * redundancy than configured.
 */
public final class ClusterChecks {

    /**
     * @param minReplicationFactor the topic's replication factor below this is a WARN
     * @param minInsyncReplicas    the topic's {@code min.insync.replicas} below this is a WARN
     * @param maxReplicaLagMillis  a replica behind by more than this is a WARN
     * @param minStandbys          standbys a PostgreSQL primary should have
     * @param maxStandbyLagBytes   a standby whose replay is further behind is a WARN
     */
    public record Limits(int minReplicationFactor, int minInsyncReplicas, long maxReplicaLagMillis, int minStandbys,
                         long maxStandbyLagBytes) {
    }

    /** The roles whose health is their supervised services' health. */
    static final Set<Role> SUPERVISED = Set.of(Role.FILES, Role.VIDEO, Role.CHATS);

    private final Limits limits;

    public ClusterChecks(Limits limits) {
        this.limits = limits;
    }

    public Check quorum(ClusterStatus s) {
        String counts = s.coreLive() + " of " + s.coreExpected() + " core nodes live (majority " + (s.coreExpected() / 2 + 1) + ")";
        if (!s.connected()) {
            return Check.fail("quorum", "", "this node is not part of a cluster");
        }
        if (!s.quorum()) {
            return Check.fail("quorum", "", "ABSENT: " + counts + "; automatic failover and replicated writes stop");
        }
        if (s.coreLive() < s.coreExpected()) {
            return Check.warn("quorum", "", "present, " + counts + ": one more core failure may lose it");
        }
        return Check.pass("quorum", "", "present, " + counts);
    }

    public List<Check> kafka(boolean enabled, LogStatus s) {
        List<Check> out = new ArrayList<>();
        if (!enabled) {
            out.add(Check.warn("kafka", "", "replication is disabled: the global 'brokers' is not set"));
            return out;
        }
        if (!s.reachable()) {
            out.add(Check.fail("kafka", s.brokers(), s.error()));
            return out;
        }
        out.add(Check.pass("kafka", "brokers", s.liveBrokers().size() + " live: " + String.join(", ", s.liveBrokers())));
        if (!s.topicExists()) {
            out.add(Check.warn("kafka", s.topic(), "topic not created yet (it is created at the first contact)"));
            return out;
        }
        String shape = s.partitions().size() + " partitions, RF " + s.replicationFactor() + ", min.insync.replicas "
                + s.minInsyncReplicas();
        if (s.offline() > 0 || s.belowMinInsync() > 0) {
            out.add(Check.fail("kafka", s.topic(), shape + "; " + s.offline() + " without leader, " + s.belowMinInsync()
                    + " below min.insync.replicas: appends to them are refused"));
        } else if (s.underReplicated() > 0) {
            out.add(Check.warn("kafka", s.topic(), shape + "; " + s.underReplicated() + " under-replicated (ISR < replicas)"));
        } else {
            out.add(Check.pass("kafka", s.topic(), shape + "; every partition fully replicated (ISR = replicas)"));
        }
        if (s.replicationFactor() < limits.minReplicationFactor() || s.minInsyncReplicas() < limits.minInsyncReplicas()) {
            out.add(Check.warn("kafka", "replication", "RF " + s.replicationFactor() + ", min.insync.replicas " + s.minInsyncReplicas()
                    + ": below the expected RF " + limits.minReplicationFactor() + ", min.insync.replicas " + limits.minInsyncReplicas()
                    + " (a broker failure can lose or stop replication)"));
        }
        return out;
    }

    /**
     * Whose brokers replication uses, seen from a core node's broker service: the ones the core nodes run
     * (embedded) or an external Kafka cluster; {@code null} (not a core node) says nothing.
     */
    public List<Check> kafkaOrigin(KafkaBrokerStatus b) {
        if (b == null) {
            return List.of();
        }
        if (!b.embedded()) {
            return List.of(Check.pass("kafka", "origin", "external: the global 'brokers' (" + b.brokers()
                    + ") names a Kafka cluster run outside Tandem (embedded brokers disabled)"));
        }
        String mine = "this node's broker " + b.state().id() + (b.detail().isEmpty() ? "" : " (" + b.detail() + ")") + ", "
                + b.voters().size() + " voter(s)";
        if (!b.brokersEmbedded()) {
            return List.of(Check.warn("kafka", "origin", "embedded brokers run on the core nodes but the global 'brokers' ("
                    + (b.brokers().isEmpty() ? "unset" : b.brokers()) + ") does not name them; " + mine));
        }
        if (b.state() != KafkaBrokerState.RUNNING) {
            return List.of(Check.warn("kafka", "origin", "embedded: the core nodes run the brokers; " + mine));
        }
        return List.of(Check.pass("kafka", "origin", "embedded: the core nodes run the brokers; " + mine));
    }

    public List<Check> database(DatabaseStatus s) {
        List<Check> out = new ArrayList<>();
        if (!s.reachable()) {
            out.add(Check.fail("directory", "database", s.url() + " does not answer: " + s.error()));
            return out;
        }
        if (!s.error().isEmpty()) {
            out.add(Check.fail("directory", "database", s.url() + ": " + s.error()));
            return out;
        }
        String base = s.url() + ", " + s.product() + ", answered in " + s.millis() + " ms";
        switch (s.role()) {
            case DatabaseStatus.STANDBY -> out.add(Check.fail("directory", "database", base + "; it is a standby (in recovery): read-only"));
            case DatabaseStatus.PRIMARY -> {
                out.add(Check.pass("directory", "database", base + "; primary with " + s.standbys().size() + " standby"
                        + (s.standbys().size() == 1 ? "" : "s")));
                for (DatabaseStatus.Standby sb : s.standbys()) {
                    String line = sb.state() + ", " + sb.syncState() + ", replay " + (sb.lagBytes() < 0 ? "position unknown"
                            : sb.lagBytes() + " bytes behind") + (sb.replayLagMillis() < 0 ? "" : ", replay lag " + sb.replayLagMillis() + " ms");
                    String name = sb.name() + (sb.address().isEmpty() ? "" : "@" + sb.address());
                    boolean lagging = sb.lagBytes() > limits.maxStandbyLagBytes() || !"streaming".equals(sb.state());
                    out.add(lagging ? Check.warn("directory", name, line + " (limit " + limits.maxStandbyLagBytes() + " bytes, streaming)")
                            : Check.pass("directory", name, line));
                }
                if (s.standbys().size() < limits.minStandbys()) {
                    out.add(Check.warn("directory", "standbys", s.standbys().size() + " streaming, " + limits.minStandbys() + " expected"));
                }
                if (!s.failoverSafe()) {
                    // an ownership change committed on the primary but not on the standby is lost by a failover to it:
                    // the former owner writes again under the former epoch (decision 0023)
                    out.add(Check.warn("directory", "failover", "no synchronous standby (synchronous_commit "
                            + (s.synchronousCommit().isEmpty() ? "unknown" : s.synchronousCommit()) + ", standbys "
                            + s.standbys().stream().map(DatabaseStatus.Standby::syncState).toList() + "): a failover to a standby can "
                            + "lose ownership changes; set synchronous_standby_names and synchronous_commit = on"));
                }
            }
            default -> {
                out.add(Check.pass("directory", "database", base + "; no replication reported"));
                if (limits.minStandbys() > 0) {
                    out.add(Check.warn("directory", "standbys", "none reported, " + limits.minStandbys() + " expected"));
                }
            }
        }
        return out;
    }

    /** One line per bucket, from the probe {@code core:testS3Connection} runs. */
    public static List<Check> buckets(List<BucketConfig> buckets, Function<BucketConfig, ProbeReport> probe) {
        List<Check> out = new ArrayList<>();
        if (buckets.isEmpty()) {
            out.add(Check.pass("buckets", "", "no S3 bucket configured"));
        }
        for (BucketConfig b : buckets) {
            String target = b.bucket() + "@" + b.endpoint();
            ProbeReport r;
            try {
                r = probe.apply(b);
            } catch (RuntimeException e) {
                out.add(Check.fail("buckets", target, "probe failed: " + e.getMessage()));
                continue;
            }
            if (r.ok()) {
                long total = r.steps().stream().mapToLong(ProbeReport.Step::millis).sum();
                out.add(Check.pass("buckets", target, "put, stat, get, delete in " + total + " ms (" + b.id() + ")"));
            } else {
                ProbeReport.Step f = r.failure().orElseThrow();
                out.add(Check.fail("buckets", target, f.name() + " failed: " + f.detail() + " (" + b.id() + ")"));
            }
        }
        return out;
    }

    public List<Check> replicas(List<ReplicaHealth.MailstoreReplicas> all) {
        List<Check> out = new ArrayList<>();
        if (all.isEmpty()) {
            out.add(Check.pass("replicas", "", "no replicated account"));
        }
        for (ReplicaHealth.MailstoreReplicas m : all) {
            StringBuilder d = new StringBuilder();
            d.append(m.total()).append(m.total() == 1 ? " copy: " : " copies: ").append(m.inSync()).append(" in sync");
            if (m.behind() > 0) {
                d.append(", ").append(m.behind()).append(" behind (max ").append(lag(m.maxLagEvents(), " changes")).append(", ")
                        .append(lag(m.maxLagMillis(), " ms")).append(')');
            }
            if (m.initialising() > 0) {
                d.append(", ").append(m.initialising()).append(" initialising");
            }
            if (m.paused() > 0) {
                d.append(", ").append(m.paused()).append(" paused");
            }
            if (m.failed() > 0) {
                d.append(", ").append(m.failed()).append(" failed (").append(String.join("; ", m.problems())).append(')');
            }
            if (!m.live()) {
                out.add(Check.warn("replicas", m.mailstore(), "not in the cluster; " + d + " (status as last recorded)"));
            } else if (m.failed() > 0) {
                out.add(Check.warn("replicas", m.mailstore(), d.toString()));
            } else if (m.paused() > 0) {
                out.add(Check.warn("replicas", m.mailstore(), d + "; paused copies do not follow their primary (ha:restartReplicas)"));
            } else if (m.behind() > 0 && (m.maxLagMillis() < 0 || m.maxLagMillis() > limits.maxReplicaLagMillis())) {
                out.add(Check.warn("replicas", m.mailstore(), d + "; lag above " + limits.maxReplicaLagMillis() + " ms"));
            } else {
                out.add(Check.pass("replicas", m.mailstore(), d.toString()));
            }
        }
        return out;
    }

    /**
     * Replicated accounts that lost their redundancy (no available copy): a WARN naming the first of them, since
     * the next failure of their owner leaves them unwritable until it is back.
     */
    public List<Check> redundancy(List<String> unprotected) {
        if (unprotected.isEmpty()) {
            return List.of(Check.pass("redundancy", "", "every replicated account has an available copy"));
        }
        String shown = String.join(", ", unprotected.subList(0, Math.min(10, unprotected.size())))
                + (unprotected.size() > 10 ? " and " + (unprotected.size() - 10) + " more" : "");
        return List.of(Check.warn("redundancy", "", unprotected.size() + " replicated account(s) without an available copy: "
                + shown + " (ha:getAccountStatus accountStatus unprotected)"));
    }

    private static String lag(long v, String unit) {
        return v < 0 ? "unknown" : v + unit;
    }

    /**
     * Roles other than core (whose redundancy is the quorum line) that the configuration expects or a node
     * plays; files, video and chats are the supervised services, healthy when their probes pass.
     */
    public static List<Check> roles(List<RoleRedundancy> redundancy, Map<String, String> localDetail) {
        List<Check> out = new ArrayList<>();
        for (RoleRedundancy r : redundancy) {
            if (r.role() == Role.CORE || r.expected() == 0 && r.nodes().isEmpty()) {
                continue;
            }
            String section = SUPERVISED.contains(r.role()) ? "services" : "roles";
            String d = r.healthy() + " healthy of " + r.expected() + " expected" + (r.nodes().isEmpty() ? "" : " (" + String.join(", ", r.nodes()) + ")");
            String local = localDetail.get(r.role().id());
            if (local != null) {
                d += "; here: " + local;
            }
            switch (r.level()) {
                case DOWN -> out.add(Check.fail(section, r.role().id(), "no healthy node: " + d));
                case DEGRADED -> out.add(Check.warn(section, r.role().id(), d));
                default -> out.add(Check.pass(section, r.role().id(), d));
            }
        }
        return out;
    }

    /** OK, DEGRADED (a WARN) or FAILED (a FAIL). */
    public static String verdict(Outcome worst) {
        return switch (worst) {
            case PASS -> "OK";
            case WARN -> "DEGRADED";
            case FAIL -> "FAILED";
        };
    }
}
