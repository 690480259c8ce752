package io.tandem.api.replication;

import io.tandem.api.directory.Operation;

/**
 * The lossless promotion path of {@code ha:promoteAccounts}, for automatic failover: every account
 * hosted on a Mailstore is promoted to its preferred available in-sync replica.
 */
@org.osgi.annotation.versioning.ProviderType // implemented by the replication bundle only
public interface Promotions {

    /**
     * Starts promoting every account whose {@code mailHost} is {@code sourceHost}; returns at once with
     * the operation (kind {@code kind}) that records the progress. The source may be offline.
     *
     * @throws IllegalArgumentException when {@code sourceHost} is not a Mailstore, {@code threads} is out
     *                                  of range or replication is disabled (nothing started)
     */
    Operation promoteAllOf(String sourceHost, int threads, String kind);

    /**
     * Finishes the take-overs of these accounts (by name): an account whose owner still keeps an in-sync copy
     * as a replica on a live Mailstore gets its promotion marker again (the take-over goes on); one whose owner
     * cannot take it over (its copy failed, it left) is promoted to its preferred other available in-sync
     * replica, as {@code ha:promoteAccounts accounts ...} does. Returns at once with the operation (kind
     * {@code kind}).
     *
     * @throws IllegalArgumentException an account does not exist, {@code threads} is out of range or replication
     *                                  is disabled (nothing started)
     */
    Operation finishTakeOvers(java.util.List<String> names, int threads, String kind);
}
