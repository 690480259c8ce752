package io.tandem.checks.internal.command;

import io.tandem.checks.internal.Checks;
import io.tandem.checks.internal.ClusterChecks;
import io.tandem.checks.internal.Outcome;
import io.tandem.checks.internal.Report;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code cluster:check [--json] [--fail-on degraded|failed]}: is HA working? Core quorum, Kafka brokers and
 * the replication topic's replication, the directory database, every bucket, the replicas of every
 * Mailstore, roles and supervised services; then the verdict OK, DEGRADED or FAILED. Fails (non-zero exit)
 * when the verdict is DEGRADED or FAILED, or only FAILED with {@code --fail-on failed}.
 */
@Service
@Command(scope = "cluster", name = "check",
        description = "Is HA working: quorum, Kafka replication, directory database, buckets, replicas, services; verdict OK/DEGRADED/FAILED")
public class ClusterCheckCommand extends ReportCommandSupport {

    @Option(name = "--fail-on", description = "Lowest verdict that exits non-zero: degraded (default) or failed")
    String failOn = "degraded";

    @Reference
    Checks checks;

    @Override
    protected Report compute() {
        return checks.clusterCheck();
    }

    @Override
    protected String summary(Report r) {
        return ClusterChecks.verdict(r.worst());
    }

    @Override
    protected String summaryKey() {
        return "verdict";
    }

    @Override
    public Object execute() {
        Outcome threshold = switch (failOn == null ? "" : failOn.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "degraded" -> Outcome.WARN;
            case "failed" -> Outcome.FAIL;
            default -> throw new IllegalArgumentException("--fail-on '" + failOn + "' is not degraded or failed");
        };
        Report r = report();
        if (r.worst().compareTo(threshold) < 0) {
            return printAndFailWith(null);
        }
        List<io.tandem.checks.internal.Check> problems = new ArrayList<>(r.with(Outcome.FAIL));
        problems.addAll(r.with(Outcome.WARN));
        return printAndFailWith("cluster:check verdict " + summary(r) + ": " + firstOf(problems, 3));
    }
}
