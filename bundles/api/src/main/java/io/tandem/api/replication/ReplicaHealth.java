package io.tandem.api.replication;

import java.util.List;
import java.util.Objects;

/**
 * Replication health per Mailstore, as {@code ha:getAccountStatus} computes it: for every Mailstore holding
 * replica copies, how many are in sync, behind (with the largest lag), failed, paused or still initialising.
 */
public interface ReplicaHealth {

    /** One entry per Mailstore named as a replica destination, sorted by name; empty when nothing is replicated. */
    List<MailstoreReplicas> replicasByMailstore();

    /**
     * Replicated accounts (at least one replica row) that lost their redundancy: none of their copies is
     * available (in sync, on a live Mailstore that answers), so the next failure of their owner cannot be
     * taken over. Names, sorted.
     */
    default List<String> unprotectedAccounts() {
        return List.of();
    }

    /** {@link #replicasByMailstore()} and {@link #unprotectedAccounts()}, computed once for both. */
    default Summary summary() {
        return new Summary(replicasByMailstore(), unprotectedAccounts());
    }

    /** The replica copies per Mailstore and the replicated accounts without an available copy. */
    record Summary(List<MailstoreReplicas> byMailstore, List<String> unprotected) {
        public Summary {
            byMailstore = List.copyOf(byMailstore);
            unprotected = List.copyOf(unprotected);
        }
    }

    /**
     * The replica copies one Mailstore keeps.
     *
     * @param live           the Mailstore is a live member of the cluster
     * @param inSync         copies level with their primary
     * @param behind         copies in sync but not yet level with their primary's latest change
     * @param failed         copies stopped by a failure (gap, unreadable event ...)
     * @param initialising   copies still applying their initial snapshot
     * @param paused         copies paused by an operator
     * @param maxLagEvents   the largest lag in changes over the copies behind (0 when none, -1 unknown)
     * @param maxLagMillis   the largest lag in milliseconds over the copies behind (0 when none, -1 unknown)
     * @param problems       one line per failed copy ({@code account: reason}), at most a few
     */
    record MailstoreReplicas(String mailstore, boolean live, int inSync, int behind, int failed, int initialising,
                             int paused, long maxLagEvents, long maxLagMillis, List<String> problems) {

        public MailstoreReplicas {
            Objects.requireNonNull(mailstore, "mailstore");
            problems = List.copyOf(problems);
        }

        public int total() {
            return inSync + behind + failed + initialising + paused;
        }
    }
}
