package io.tandem.itests.cluster;

import io.tandem.itests.cluster.AckJournal.Ack;
import io.tandem.itests.cluster.History.Attempt;
import io.tandem.itests.cluster.History.Outcome;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Judges a recorded history against what the cluster holds at the end (no cluster needed: unit-tested on
 * small synthetic histories by HistoryCheckerTest).
 *
 * <p>Mailboxes: every acknowledged subject is in its account's mailbox on the owner exactly once. An attempt
 * in doubt (the connection broke after the message was sent) may have stored a copy, so a subject may have
 * at most one copy more than it had attempts in doubt; a 4xx rolled the attempt back and allows none. A
 * subject nobody acknowledged may have at most as many copies as it had attempts in doubt.
 *
 * <p>Acknowledgement journal (when the nodes write one): per account, every epoch is acknowledged by one node
 * only, and in time order epochs never go back and sequences strictly increase.
 */
final class HistoryChecker {

    /**
     * What the mailboxes show: {@code lost} acknowledged subjects that are not there, {@code duplicated}
     * acknowledged subjects with more copies than the history allows, {@code unexplained} subjects stored
     * although never acknowledged and never in doubt, or never sent at all.
     */
    record MailboxVerdict(int acknowledged, List<String> lost, List<String> duplicated, List<String> unexplained) {
        boolean ok() {
            return lost.isEmpty() && duplicated.isEmpty() && unexplained.isEmpty();
        }
    }

    private HistoryChecker() {
    }

    /** {@code stored}: account -> the subjects in its mailbox on its owner, one entry per copy. */
    static MailboxVerdict mailboxes(List<Attempt> attempts, Map<String, List<String>> stored) {
        Map<String, Map<String, List<Attempt>>> bySubject = new TreeMap<>();
        for (Attempt a : attempts) {
            bySubject.computeIfAbsent(a.account(), x -> new LinkedHashMap<>()).computeIfAbsent(a.subject(), x -> new ArrayList<>()).add(a);
        }
        int acknowledged = 0;
        List<String> lost = new ArrayList<>();
        List<String> duplicated = new ArrayList<>();
        List<String> unexplained = new ArrayList<>();
        Set<String> accounts = new TreeSet<>(bySubject.keySet());
        accounts.addAll(stored.keySet());
        for (String account : accounts) {
            Map<String, Integer> copies = new HashMap<>();
            stored.getOrDefault(account, List.of()).forEach(s -> copies.merge(s, 1, Integer::sum));
            Map<String, List<Attempt>> subjects = bySubject.getOrDefault(account, Map.of());
            for (Map.Entry<String, List<Attempt>> e : subjects.entrySet()) {
                List<Attempt> tries = e.getValue();
                boolean acked = tries.stream().anyMatch(t -> t.outcome() == Outcome.ACK);
                long inDoubt = tries.stream().filter(t -> t.outcome() == Outcome.INDETERMINATE).count();
                int n = copies.getOrDefault(e.getKey(), 0);
                String what = account + " '" + e.getKey() + "': " + n + " cop" + (n == 1 ? "y" : "ies") + ", attempts " + summary(tries);
                if (acked) {
                    acknowledged++;
                    if (n == 0) {
                        lost.add(what);
                    } else if (n > 1 + inDoubt) {
                        duplicated.add(what);
                    }
                } else if (n > inDoubt) {
                    unexplained.add(what);
                }
            }
            copies.keySet().stream().filter(s -> !subjects.containsKey(s)).sorted()
                    .forEach(s -> unexplained.add(account + " '" + s + "': stored " + copies.get(s) + " time(s), never sent"));
        }
        return new MailboxVerdict(acknowledged, lost, duplicated, unexplained);
    }

    private static String summary(List<Attempt> tries) {
        StringBuilder b = new StringBuilder();
        for (Attempt t : tries) {
            b.append(b.length() == 0 ? "" : ", ").append(t.outcome()).append('@').append(t.node());
        }
        return b.toString();
    }

    /** The journal's violations, one line each; empty when it holds. */
    static List<String> journal(List<Ack> acks) {
        Map<String, List<Ack>> byAccount = new TreeMap<>();
        acks.forEach(a -> byAccount.computeIfAbsent(a.account(), x -> new ArrayList<>()).add(a));
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, List<Ack>> e : byAccount.entrySet()) {
            List<Ack> list = new ArrayList<>(e.getValue());
            list.sort(Comparator.comparingLong(Ack::nanos));
            Map<Long, Ack> firstOfEpoch = new HashMap<>();
            Ack latestEpoch = null;
            Ack previous = null;
            for (Ack a : list) {
                Ack first = firstOfEpoch.putIfAbsent(a.epoch(), a);
                if (first != null && !first.node().equals(a.node())) {
                    out.add(e.getKey() + ": epoch " + a.epoch() + " acknowledged by two nodes: [" + first + "] and [" + a + "]");
                }
                if (latestEpoch != null && a.epoch() < latestEpoch.epoch()) {
                    out.add(e.getKey() + ": epoch went back: [" + a + "] after [" + latestEpoch + "]");
                } else if (latestEpoch == null || a.epoch() > latestEpoch.epoch()) {
                    latestEpoch = a;
                }
                if (previous != null && a.sequence() <= previous.sequence()) {
                    out.add(e.getKey() + ": sequence did not increase: [" + a + "] after [" + previous + "]");
                }
                previous = a;
            }
        }
        return out;
    }
}
