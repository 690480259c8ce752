package io.tandem.replication.internal;

import java.util.List;
import java.util.UUID;

/**
 * One row of {@code ha:getAccountStatus}: the account on its primary, then each replica. Numbers are -1
 * when the node holding them did not answer.
 *
 * @param sourceAnswered whether the account's mailHost answered the status request
 */
public record AccountStatus(UUID accountId, String accountName, String accountMailHost, long epoch, boolean paused,
                            long mailboxId, long sequence, long itemId, boolean sourceAnswered,
                            List<ReplicaStatus> replicas) {

    /**
     * @param available         in sync and its node is in the cluster (promotable)
     * @param canConnectToKafka whether the replica's node reached the event log at its last exchange
     * @param lagEvents         changes the replica is behind its source (-1 unknown)
     * @param lagMillis         0 when level; else how old the newest change it applied is (-1 unknown)
     */
    public record ReplicaStatus(UUID accountId, String destination, int priority, String state, String detail,
                                boolean available, boolean canConnectToKafka, long mailboxId, long sequence, long itemId,
                                long lagEvents, long lagMillis, long lastAppliedMillis, long fenced) {
    }
}
