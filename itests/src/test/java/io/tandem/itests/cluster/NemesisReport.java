package io.tandem.itests.cluster;

import io.tandem.itests.cluster.History.Attempt;
import io.tandem.itests.cluster.History.Fault;
import io.tandem.itests.cluster.History.Outcome;
import io.tandem.itests.cluster.HistoryChecker.MailboxVerdict;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The summary of a nemesis run, for people and for bench/nemesis: the faults by type with the time until
 * every account was writable again after the heal and the longest time an account went without an
 * acknowledged delivery during the fault (a failover shows there), then the attempts by outcome and the
 * checker's findings.
 */
final class NemesisReport {

    private NemesisReport() {
    }

    static String summary(long seed, int seconds, long elapsedNanos, List<Fault> faults, List<Attempt> attempts, MailboxVerdict mailboxes,
            List<String> replicas, List<String> clientFailures, String journal, List<String> availability) {
        StringBuilder b = new StringBuilder();
        String pace = System.getProperty("tandem.nemesis.pace", "");
        b.append(String.format("nemesis seed %d, %d s of faults, %d s in all%s%n", seed, seconds, TimeUnit.NANOSECONDS.toSeconds(elapsedNanos),
                pace.isBlank() ? "" : ", pace " + Nemesis.Pace.parse(pace) + " (hold min-max / gap max, ms)"));
        b.append(String.format("%-12s %6s %26s %26s%n", "fault", "count", "writable after heal (ms)", "longest outage (ms)"));
        b.append(String.format("%-12s %6s %26s %26s%n", "", "", "median / max", "median / max"));
        Map<String, List<Fault>> byType = new TreeMap<>();
        faults.forEach(f -> byType.computeIfAbsent(f.type(), t -> new ArrayList<>()).add(f));
        for (Map.Entry<String, List<Fault>> e : byType.entrySet()) {
            List<Long> writable = new ArrayList<>();
            List<Long> outage = new ArrayList<>();
            int unrecovered = 0;
            for (Fault f : e.getValue()) {
                if (f.writable() < 0) {
                    unrecovered++;
                    continue;
                }
                writable.add(TimeUnit.NANOSECONDS.toMillis(f.writable() - f.end()));
                outage.add(TimeUnit.NANOSECONDS.toMillis(longestOutage(f, attempts)));
            }
            b.append(String.format("%-12s %6d %26s %26s%s%n", e.getKey(), e.getValue().size(), medianMax(writable), medianMax(outage),
                    unrecovered == 0 ? "" : "   " + unrecovered + " not recovered"));
        }
        Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
        attempts.forEach(a -> outcomes.merge(a.outcome(), 1, Integer::sum));
        b.append(String.format("attempts: %d %s%n", attempts.size(), outcomes));
        b.append(String.format("acknowledged: %d, lost: %d, duplicated: %d, unexplained: %d%n", mailboxes.acknowledged(),
                mailboxes.lost().size(), mailboxes.duplicated().size(), mailboxes.unexplained().size()));
        b.append(String.format("replicas not converged: %d, client failures: %d%n", replicas.size(), clientFailures.size()));
        b.append("acknowledgement journal: ").append(journal).append(System.lineSeparator());
        b.append(String.format("availability problems: %d%n", availability.size()));
        availability.forEach(p -> b.append("  ").append(p).append(System.lineSeparator()));
        return b.toString();
    }

    /**
     * The longest span, from the fault's start until every account was writable again, during which one
     * account had no delivery acknowledged (every account has one within, started after the heal).
     */
    static long longestOutage(Fault f, List<Attempt> attempts) {
        Map<String, List<Long>> acks = new TreeMap<>();
        for (Attempt a : attempts) {
            acks.computeIfAbsent(a.account(), x -> new ArrayList<>());
            if (a.outcome() == Outcome.ACK && a.end() > f.start() && a.end() <= f.writable()) {
                acks.get(a.account()).add(a.end());
            }
        }
        long longest = 0;
        for (List<Long> ends : acks.values()) {
            Collections.sort(ends);
            long previous = f.start();
            for (long t : ends) {
                longest = Math.max(longest, t - previous);
                previous = t;
            }
        }
        return longest;
    }

    private static String medianMax(List<Long> values) {
        if (values.isEmpty()) {
            return "-";
        }
        List<Long> v = new ArrayList<>(values);
        Collections.sort(v);
        return v.get(v.size() / 2) + " / " + v.get(v.size() - 1);
    }
}
