package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "global", name = "set", description = "Sets a cluster-wide configuration key, e.g. global:set brokers \"h1:9092,h2:9092\"")
public class GlobalSetCommand extends CommandSupport {

    @Argument(index = 0, name = "key", required = true, description = "Configuration key")
    String key;

    @Argument(index = 1, name = "value", required = false, description = "Value (omit with --remove)")
    String value;

    @Option(name = "--remove", description = "Remove the key")
    boolean remove;

    @Reference
    DirectoryAdminService directory;

    /** Present where the event log runs (core and mailstore nodes): tells whether new brokers are the same cluster. */
    @Reference(optional = true)
    io.tandem.api.replication.EventLog log;

    /** The global that names the event log's brokers. */
    static final String BROKERS = "brokers";

    @Override
    public String render() {
        return audited(key, () -> {
            if (remove == (value != null)) {
                throw new IllegalArgumentException(key + ": give either a value or --remove");
            }
            if (BROKERS.equals(key)) {
                guardBrokersSwitch(remove ? null : value);
            }
            directory.setGlobal(key, remove ? null : value);
            String done = remove ? "Global " + key + " removed" : "Global " + key + " = " + value;
            return BROKERS.equals(key) ? done + inUseHere(remove ? "" : value) : done;
        }, done -> "") + "\n";
    }

    /** How long global:set brokers waits for this node's event log to use the new brokers (it polls the global). */
    java.time.Duration inUseWait = java.time.Duration.ofSeconds(15);

    /**
     * Waits until this node's event log uses the brokers just set, so that the next command here (a
     * setAccountDestination in the same script) finds replication enabled; the other nodes pick the global up within
     * their own poll interval.
     */
    private String inUseHere(String next) {
        io.tandem.api.replication.EventLog l = log;
        if (l == null) {
            return "";
        }
        String wanted = compact(next);
        long deadline = System.nanoTime() + inUseWait.toNanos();
        while (!compact(l.brokers()).equals(wanted)) {
            if (System.nanoTime() > deadline) {
                return " (this node's event log still uses '" + l.brokers() + "' after " + inUseWait.toMillis()
                        + " ms: see cluster:check)";
            }
            try {
                Thread.sleep(100); // the log reads the global on its own poller thread
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return "";
            }
        }
        return wanted.isEmpty() ? " (replication disabled on this node)" : " (in use on this node)";
    }

    /** A broker list without blanks or empty entries, as the event log keeps it. */
    static String compact(String brokers) {
        return String.join(",", java.util.Arrays.stream(brokers.split(",")).map(String::trim).filter(b -> !b.isEmpty()).toList());
    }

    /**
     * While replicas follow the log, its brokers may only change within the same cluster (a broker added or
     * replaced): moving to another cluster, or removing them, would let a source be acknowledged on one cluster
     * while its replicas and the promotion markers are on the other (decision 0023). The way to switch is to
     * pause every replica first; then nothing is published, and the replicas re-sync from snapshots on the new
     * cluster when restarted.
     */
    private void guardBrokersSwitch(String next) {
        String current = directory.global(BROKERS).orElse("");
        if (current.isBlank() || current.equals(next)) {
            return;
        }
        long following = directory.replicas().stream().filter(r -> !r.paused()).count();
        if (following == 0) {
            return;
        }
        String procedure = ": pause them first (ha:pauseReplicas for their accounts), set brokers, then ha:restartReplicas "
                + "(they re-sync from snapshots on the new cluster); see the admin guide, \"Changing the brokers\"";
        if (next == null) {
            throw new IllegalArgumentException("brokers --remove: " + following + " replica(s) follow the "
                    + "event log at " + current + procedure);
        }
        io.tandem.api.replication.EventLog l = log;
        java.time.Duration timeout = java.time.Duration.ofSeconds(10);
        java.util.Optional<String> was = l == null ? java.util.Optional.empty() : l.clusterId(current, timeout);
        java.util.Optional<String> will = l == null ? java.util.Optional.empty() : l.clusterId(next, timeout);
        if (was.isPresent() && was.equals(will)) {
            return; // the same cluster reached through other brokers
        }
        String why = l == null ? "this node cannot reach the event log to compare the clusters (run it on a core or mailstore node)"
                : was.isEmpty() || will.isEmpty() ? "cannot tell whether '" + next + "' is the same Kafka cluster as '" + current
                + "' (" + (was.isEmpty() ? current : next) + " does not answer)"
                : "'" + next + "' is another Kafka cluster (" + will.get() + ") than '" + current + "' (" + was.get() + ")";
        throw new IllegalArgumentException("brokers " + next + ": " + why + ", while " + following
                + " replica(s) follow the event log" + procedure);
    }
}
