package io.tandem.supervisor.internal;

import io.tandem.api.cluster.ClusterNode;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Who runs an active-standby service, decided by every node from the same membership view
 * (docs/decisions/0013-supervised-services.md). Each node announces, per service, either
 * {@code service.<name>} (it holds the service; the URI carries {@code #since=<ms>}, when it took
 * it) or {@code standby.<name>} (it can take it over). The rule:
 * <ol>
 * <li>a holder keeps the service unless another visible holder took it earlier (equal times: the
 *     lower node name keeps it); the one that must yield stops at once;</li>
 * <li>a standby never starts while a holder is visible;</li>
 * <li>with no holder visible, only the candidate with the lowest node name starts it, and only once
 *     this node has been connected for the take-over grace (so a node that just joined first
 *     learns who holds the service).</li>
 * </ol>
 */
final class StandbyRule {

    static final String HOLDER = "service.";
    static final String CANDIDATE = "standby.";
    static final String SINCE = "#since=";

    private StandbyRule() {
    }

    /** A peer's announcement for one service. */
    record Peer(String node, boolean holds, long since) {
    }

    record Decision(boolean run, String reason) {
    }

    /** The other nodes' announcements of {@code service} in the view (the local node is skipped). */
    static List<Peer> peers(List<ClusterNode> view, String service) {
        List<Peer> out = new ArrayList<>();
        for (ClusterNode n : view) {
            if (n.local()) {
                continue;
            }
            String held = n.endpoints().get(HOLDER + service);
            if (held != null) {
                out.add(new Peer(n.name(), true, since(held)));
            } else if (n.endpoints().containsKey(CANDIDATE + service)) {
                out.add(new Peer(n.name(), false, 0));
            }
        }
        return out;
    }

    /** The take-over time in a holder's URI; a holder without one counts as the oldest possible. */
    static long since(String uri) {
        int i = uri.lastIndexOf(SINCE);
        if (i < 0) {
            return 0;
        }
        try {
            return Long.parseLong(uri.substring(i + SINCE.length()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * @param local        this node's name
     * @param localSince   when this node took the service, or -1 when it does not hold it
     * @param connectedFor how long this node has been connected to the cluster (null: not connected)
     */
    static Decision decide(String local, long localSince, List<Peer> peers, java.time.Duration connectedFor,
                           java.time.Duration grace) {
        Comparator<Peer> order = Comparator.comparingLong(Peer::since).thenComparing(Peer::node);
        Optional<Peer> oldest = peers.stream().filter(Peer::holds).min(order);
        if (localSince >= 0) {
            if (oldest.isPresent() && order.compare(oldest.get(), new Peer(local, true, localSince)) < 0) {
                return new Decision(false, "yielded to " + oldest.get().node() + " (it holds the service since earlier)");
            }
            return new Decision(true, "holds the service");
        }
        if (oldest.isPresent()) {
            return new Decision(false, "active on " + oldest.get().node());
        }
        if (connectedFor == null) {
            return new Decision(false, "not connected to the cluster");
        }
        if (connectedFor.compareTo(grace) < 0) {
            return new Decision(false, "joined the cluster " + connectedFor.toMillis() + " ms ago, waiting "
                    + grace.toMillis() + " ms before taking over");
        }
        Optional<String> lower = peers.stream().map(Peer::node).filter(n -> n.compareTo(local) < 0).min(Comparator.naturalOrder());
        if (lower.isPresent()) {
            return new Decision(false, "no active node; " + lower.get() + " takes over first");
        }
        return new Decision(true, "no active node: taking over");
    }
}
