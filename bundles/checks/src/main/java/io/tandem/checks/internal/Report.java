package io.tandem.checks.internal;

import java.util.List;

/** The lines of a check run, in the order they were checked. */
public record Report(List<Check> checks) {

    public Report {
        checks = List.copyOf(checks);
    }

    /** The worst outcome of all lines (PASS for none). */
    public Outcome worst() {
        return checks.stream().map(Check::outcome).reduce(Outcome.PASS, Outcome::worst);
    }

    public List<Check> with(Outcome outcome) {
        return checks.stream().filter(c -> c.outcome() == outcome).toList();
    }
}
