package io.tandem.checks.internal.command;

import io.tandem.checks.internal.Check;
import io.tandem.checks.internal.Report;
import io.tandem.shell.TandemCommandSupport;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A check report: one {@code PASS|WARN|FAIL section target: reason} line per check, then a summary line;
 * with {@code --json} the same as an object. The report is computed once per run.
 */
abstract class ReportCommandSupport extends TandemCommandSupport {

    private Report report;

    protected abstract Report compute();

    /** The summary word (PASS/WARN/FAIL, or OK/DEGRADED/FAILED). */
    protected abstract String summary(Report r);

    /** The label of the summary line and JSON key. */
    protected abstract String summaryKey();

    protected Report report() {
        if (report == null) {
            report = compute();
        }
        return report;
    }

    @Override
    protected Object toJson() {
        Report r = report();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("checks", r.checks().stream().map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("section", c.section());
            m.put("target", c.target());
            m.put("result", c.outcome().name());
            m.put("detail", c.detail());
            return m;
        }).toList());
        out.put("pass", r.with(io.tandem.checks.internal.Outcome.PASS).size());
        out.put("warn", r.with(io.tandem.checks.internal.Outcome.WARN).size());
        out.put("fail", r.with(io.tandem.checks.internal.Outcome.FAIL).size());
        out.put(summaryKey(), summary(r));
        return out;
    }

    @Override
    protected String text() {
        Report r = report();
        List<Check> checks = r.checks();
        int width = checks.stream().mapToInt(c -> label(c).length()).max().orElse(0);
        StringBuilder b = new StringBuilder();
        for (Check c : checks) {
            b.append(String.format("%-4s  %-" + width + "s  %s%n", c.outcome(), label(c), c.detail()));
        }
        b.append(String.format("%s: %s (%d pass, %d warn, %d fail)%n", capitalised(summaryKey()), summary(r),
                r.with(io.tandem.checks.internal.Outcome.PASS).size(), r.with(io.tandem.checks.internal.Outcome.WARN).size(),
                r.with(io.tandem.checks.internal.Outcome.FAIL).size()));
        return b.toString();
    }

    private static String label(Check c) {
        return c.target().isEmpty() ? c.section() : c.section() + " " + c.target();
    }

    private static String capitalised(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    /** Prints the report, then fails (non-zero exit through bin/tandem) with {@code failure} unless it is null. */
    protected Object printAndFailWith(String failure) {
        System.out.print(render());
        System.out.flush();
        if (failure != null) {
            throw new CheckFailedException(failure);
        }
        return null;
    }

    @Override
    public String render() {
        try {
            return super.render();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The checks ran and found problems: the message names them, the report is already printed. */
    static final class CheckFailedException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CheckFailedException(String message) {
            super(message);
        }
    }

    /** {@code section target: detail} of the first lines with this outcome, for the failure message. */
    static String firstOf(List<Check> checks, int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < Math.min(max, checks.size()); i++) {
            Check c = checks.get(i);
            b.append(i == 0 ? "" : "; ").append(c.section()).append(c.target().isEmpty() ? "" : " " + c.target()).append(": ").append(c.detail());
        }
        if (checks.size() > max) {
            b.append("; and ").append(checks.size() - max).append(" more");
        }
        return b.toString();
    }
}
