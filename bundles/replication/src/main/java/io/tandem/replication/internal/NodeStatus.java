package io.tandem.replication.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What one Mailstore reports about replication (answer to a status request): its event log connection,
 * its applier ({@link #RUNNING}, or {@link #IDLE} while it keeps no replica copy and fetches nothing), and
 * per local mailbox its position, plus applier details for the replica copies it keeps. A line-based text
 * form travels over the cluster topic; a field added at the end of the first line is read as
 * {@link #RUNNING} (the applier) or empty (its detail) from a node that does not send it yet.
 */
public record NodeStatus(UUID requestId, String node, boolean logConnected, long subscriptionLag, String brokers,
                  String applier, String applierDetail, List<Box> boxes) {

    public static final String RUNNING = "running";
    public static final String IDLE = "idle";
    /**
     * The applier has been in one call for longer than {@code applier.stall.ms} (a database or broker call that
     * does not return): its copies are not kept up, none of them is a promotion target, and no box is sent.
     */
    public static final String STALLED = "stalled";
    /** The applier held its lock for the whole status wait (a long batch): no box is sent this time. */
    public static final String BUSY = "busy";

    public NodeStatus(UUID requestId, String node, boolean logConnected, long subscriptionLag, String brokers, String applier,
                      List<Box> boxes) {
        this(requestId, node, logConnected, subscriptionLag, brokers, applier, "", boxes);
    }

    /** Whether its applier is stalled: its copies are not promotion targets. */
    public boolean stalled() {
        return STALLED.equals(applier);
    }

    /**
     * One local mailbox.
     *
     * @param state             for a replica copy: its applier state; for a primary: {@code primary}
     * @param lastAppliedMillis when this copy last applied a change (replicas; 0 never)
     * @param lastCommitMillis  when the last change it applied was committed at the source (replicas; 0 never)
     * @param fenced            changes refused because they came from an older epoch
     */
    public record Box(UUID accountId, long mailboxId, long sequence, long itemId, String state, long lastAppliedMillis,
               long lastCommitMillis, long fenced, String detail) {
    }

    String encode() {
        StringBuilder b = new StringBuilder();
        b.append(requestId).append('\t').append(node).append('\t').append(logConnected ? 1 : 0).append('\t')
                .append(subscriptionLag).append('\t').append(clean(brokers)).append('\t')
                .append(clean(applier)).append('\t').append(clean(applierDetail)).append('\n');
        for (Box x : boxes) {
            b.append(x.accountId).append('\t').append(x.mailboxId).append('\t').append(x.sequence).append('\t')
                    .append(x.itemId).append('\t').append(x.state).append('\t').append(x.lastAppliedMillis).append('\t')
                    .append(x.lastCommitMillis).append('\t').append(x.fenced).append('\t').append(clean(x.detail)).append('\n');
        }
        return b.toString();
    }

    private static String clean(String s) {
        return s == null ? "" : s.replace('\t', ' ').replace('\n', ' ');
    }

    static NodeStatus decode(String text) {
        String[] lines = text.split("\n");
        String[] h = lines[0].split("\t", -1);
        List<Box> boxes = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            if (lines[i].isEmpty()) {
                continue;
            }
            String[] f = lines[i].split("\t", -1);
            boxes.add(new Box(UUID.fromString(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), f[4],
                    Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]), f[8]));
        }
        return new NodeStatus(UUID.fromString(h[0]), h[1], "1".equals(h[2]), Long.parseLong(h[3]), h[4],
                h.length > 5 && !h[5].isEmpty() ? h[5] : RUNNING, h.length > 6 ? h[6] : "", boxes);
    }
}
