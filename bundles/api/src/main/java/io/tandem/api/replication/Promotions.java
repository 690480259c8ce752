package io.tandem.api.replication;

import io.tandem.api.directory.Operation;

/**
 * The lossless promotion path of {@code ha:promoteAccounts}, for automatic failover: every account
 * hosted on a Mailstore is promoted to its preferred available in-sync replica.
 */
public interface Promotions {

    /**
     * Starts promoting every account whose {@code mailHost} is {@code sourceHost}; returns at once with
     * the operation (kind {@code kind}) that records the progress. The source may be offline.
     *
     * @throws IllegalArgumentException when {@code sourceHost} is not a Mailstore, {@code threads} is out
     *                                  of range or replication is disabled (nothing started)
     */
    Operation promoteAllOf(String sourceHost, int threads, String kind);
}
