package io.tandem.checks.internal.command;

import io.tandem.checks.internal.Checks;
import io.tandem.checks.internal.Outcome;
import io.tandem.checks.internal.Report;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/**
 * {@code node:preflight [--json]}: the pre-installation checks of this node, one PASS/WARN/FAIL line each;
 * fails (non-zero exit of {@code bin/tandem node preflight}) when a check FAILs.
 */
@Service
@Command(scope = "node", name = "preflight",
        description = "Pre-installation checks of this node (FQDN, peers, clock, storage, buckets, repository channel); fails on a FAIL")
public class NodePreflightCommand extends ReportCommandSupport {

    @Reference
    Checks checks;

    @Override
    protected Report compute() {
        return checks.preflight();
    }

    @Override
    protected String summary(Report r) {
        return r.worst().name();
    }

    @Override
    protected String summaryKey() {
        return "result";
    }

    @Override
    public Object execute() {
        Report r = report();
        return printAndFailWith(r.worst() == Outcome.FAIL
                ? "node:preflight FAILED: " + firstOf(r.with(Outcome.FAIL), 3) : null);
    }
}
