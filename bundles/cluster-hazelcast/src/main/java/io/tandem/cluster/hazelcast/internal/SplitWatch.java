package io.tandem.cluster.hazelcast.internal;

import java.util.function.BooleanSupplier;

/**
 * Decides when this member, cut off from the core majority, should leave the cluster and join it again.
 *
 * <p>Hazelcast heals a split by merging the smaller side into the larger one, but a merge can stay blocked
 * for as long as a member is hung (SIGSTOP): the split then lasts as long as the hang, and the side without
 * the core quorum refuses writes all that time. A member that had the quorum, lost it, has been without it
 * for {@code after} (plus a per-node share, so two cut-off members do not restart together) while a seed that
 * is not in its view answers on its cluster port, joins again as a new member. A real network partition is
 * left alone: no seed outside the view answers there. Repeated attempts back off, doubling up to 16 times
 * {@code after}.
 */
final class SplitWatch {

    private final long baseNanos;
    private boolean hadQuorum;
    private long minoritySince = -1;
    private int rejoins;
    /** No probe of the seeds before this (nanoTime): they are probed at most every {@link #PROBE_GAP_NANOS}. */
    private long notBefore;
    static final long PROBE_GAP_NANOS = 5_000_000_000L;

    /**
     * @param afterNanos how long without the quorum before rejoining; 0 disables it
     * @param share      this node's extra share, in [0, 1): it waits {@code afterNanos * (1 + share / 2)}
     */
    SplitWatch(long afterNanos, double share) {
        this.baseNanos = afterNanos + (long) (afterNanos * Math.max(0, Math.min(share, 0.99)) / 2);
    }

    /**
     * One look, at {@code now} (nanoTime).
     *
     * @param quorum          whether this member sees the core quorum
     * @param strangerAnswers whether a seed that is not a member of this member's cluster answers; asked only
     *                        when everything else says it is time
     * @return whether to leave and join again now
     */
    boolean check(long now, boolean quorum, BooleanSupplier strangerAnswers) {
        if (quorum) {
            hadQuorum = true;
            minoritySince = -1;
            rejoins = 0;
            return false;
        }
        if (!hadQuorum || baseNanos <= 0) {
            return false;
        }
        if (minoritySince < 0) {
            minoritySince = now;
            return false;
        }
        if (now - minoritySince < waitNanos() || now - notBefore < 0) {
            return false;
        }
        if (!strangerAnswers.getAsBoolean()) {
            notBefore = now + PROBE_GAP_NANOS;
            return false;
        }
        minoritySince = now;
        rejoins = Math.min(rejoins + 1, 4);
        return true;
    }

    /** How long the current episode waits without the quorum before rejoining, in ns. */
    long waitNanos() {
        return baseNanos << rejoins;
    }
}
