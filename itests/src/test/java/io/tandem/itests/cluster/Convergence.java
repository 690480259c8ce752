package io.tandem.itests.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Whether every account's copies converged after the faults: each account is replicated to every node but
 * its owner, every replica is in sync and available, and every copy has its owner's checksum. Reads each
 * node's copies with one shell session (mailbox:info of every account, chained) rather than one per copy.
 */
final class Convergence {

    private final HaCluster cluster;
    private final List<String> nodes;

    Convergence(HaCluster cluster, List<String> nodes) {
        this.cluster = cluster;
        this.nodes = List.copyOf(nodes);
    }

    /** account -> its owner (mailHost in the directory), as {@code node} reads ha:getAccountStatus. */
    Map<String, String> owners(String node) throws Exception {
        Map<String, String> out = new TreeMap<>();
        for (JsonNode a : cluster.json(node, "ha", "getAccountStatus")) {
            out.put(a.get("accountName").asText(), a.get("accountMailHost").asText());
        }
        return out;
    }

    /**
     * Waits (bounded) until every copy converged; returns what still differs at the deadline, one line per
     * problem (empty when everything converged).
     */
    List<String> await(List<String> accounts, Duration timeout) {
        AtomicReference<List<String>> last = new AtomicReference<>(List.of("not checked yet"));
        try {
            Harness.await("every copy converged", timeout, () -> {
                last.set(problems(accounts));
                return last.get().isEmpty();
            });
        } catch (AssertionError e) {
            return last.get();
        }
        return List.of();
    }

    private List<String> problems(List<String> accounts) {
        List<String> out = new ArrayList<>();
        Map<String, JsonNode> status = new HashMap<>();
        try {
            for (JsonNode a : cluster.json(nodes.get(0), "ha", "getAccountStatus")) {
                status.put(a.get("accountName").asText(), a);
            }
        } catch (Exception | AssertionError e) {
            return List.of("ha:getAccountStatus on " + nodes.get(0) + " failed: " + e.getMessage());
        }
        Map<String, Map<String, String>> checksums = new HashMap<>();
        for (String n : nodes) {
            checksums.put(n, checksums(n, accounts));
        }
        for (String account : accounts) {
            JsonNode s = status.get(account);
            if (s == null) {
                out.add(account + ": not in ha:getAccountStatus");
                continue;
            }
            String owner = s.get("accountMailHost").asText();
            String want = checksums.get(owner).get(account);
            List<String> replicas = new ArrayList<>();
            for (JsonNode r : s.get("replicas")) {
                String dest = r.get("destination").asText();
                replicas.add(dest);
                if (!"in-sync".equals(r.get("state").asText()) || !r.get("available").asBoolean()) {
                    out.add(account + ": replica on " + dest + " is " + r.get("state").asText() + (r.get("available").asBoolean() ? "" : ", unavailable")
                            + " (" + r.get("reason").asText() + ")");
                }
            }
            for (String n : nodes) {
                if (n.equals(owner)) {
                    continue;
                }
                if (!replicas.contains(n)) {
                    out.add(account + ": no replica on " + n + " (owner " + owner + ", replicas " + replicas + ")");
                } else if (want == null || !want.equals(checksums.get(n).get(account))) {
                    out.add(account + ": copy on " + n + " has checksum " + checksums.get(n).get(account) + ", owner " + owner + " has " + want);
                }
            }
        }
        return out;
    }

    /** account -> checksum of the node's copy; an account whose copy the node cannot show is absent. */
    private Map<String, String> checksums(String node, List<String> accounts) {
        List<String> args = new ArrayList<>(List.of("exec", node, "mailbox", "info"));
        for (String a : accounts) {
            if (args.size() > 4) {
                args.addAll(List.of(";", "mailbox:info"));
            }
            args.addAll(List.of("--json", a));
        }
        Harness.Result r = cluster.harness.tryRun(120, args.toArray(String[]::new));
        Map<String, String> out = new HashMap<>();
        int start = r.output().indexOf('{');
        if (start < 0) {
            return out;
        }
        // the chain stops at the first copy the node does not have: read what came before it
        try (MappingIterator<JsonNode> it = HaCluster.JSON.readerFor(JsonNode.class).readValues(r.output().substring(start))) {
            while (it.hasNextValue()) {
                JsonNode c = it.nextValue();
                out.put(c.get("accountName").asText(), c.get("checksum").asText());
            }
        } catch (java.io.IOException | RuntimeException e) {
            // the error text after the last copy: the copies read so far stand
        }
        return out;
    }
}
