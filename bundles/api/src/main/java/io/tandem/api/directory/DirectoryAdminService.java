package io.tandem.api.directory;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Changes to the directory. Every method validates its input first and throws
 * {@link IllegalArgumentException} naming the bad value, changing nothing.
 */
@org.osgi.annotation.versioning.ProviderType // implemented by the directory bundle only
public interface DirectoryAdminService extends DirectoryService {

    Domain createDomain(String name);

    /** Refused while the domain has accounts. */
    void deleteDomain(String name);

    /** The account's domain must exist; {@code mailHost} is the node name of its Mailstore. */
    Account createAccount(String name, String mailHost);

    void deleteAccount(String name);

    Account setAccountStatus(String name, AccountStatus status);

    /**
     * Moves ownership of an account: compare-and-set on ({@code mailHost}, {@code epoch}) in the
     * database; on success the epoch is incremented and every node is notified.
     *
     * @throws OwnershipConflictException when the account is not owned by {@code expectedHost}
     *                                    under {@code expectedEpoch} any more
     */
    Account changeOwner(UUID accountId, String expectedHost, long expectedEpoch, String newHost)
            throws OwnershipConflictException;

    /**
     * Several {@link #changeOwner} compare-and-sets in one database transaction (a failover moves many accounts
     * at once). Each change succeeds or conflicts on its own: the result has, in order, the moved account or
     * {@code null} when that account was not owned by {@code expectedHost} under {@code expectedEpoch} any more.
     * Every moved account is notified as {@link #changeOwner} does.
     */
    default List<Account> changeOwners(List<OwnerChange> changes) {
        List<Account> out = new java.util.ArrayList<>(changes.size());
        for (OwnerChange c : changes) {
            try {
                out.add(changeOwner(c.accountId(), c.expectedHost(), c.expectedEpoch(), c.newHost()));
            } catch (OwnershipConflictException e) {
                out.add(null);
            }
        }
        return out;
    }

    /** One ownership move of {@link #changeOwners}. */
    record OwnerChange(UUID accountId, String expectedHost, long expectedEpoch, String newHost) {
    }

    /**
     * Claims epochs for {@code owner} before its copies adopt them (docs/decisions/0027): each account whose
     * owner is {@code owner} under the given epoch records {@code owner} and that epoch as its claim. A claim is
     * what allows the owner to acknowledge changes under the epoch; an epoch never claimed had none.
     *
     * @return the accounts claimed (those the directory no longer names {@code owner} under that epoch are not)
     */
    java.util.Set<UUID> claim(String owner, java.util.Map<UUID, Long> epochs);

    /**
     * Gives accounts back to their claimant (docs/decisions/0027): each account still owned by {@code
     * expectedHost} under {@code expectedEpoch}, whose owner never claimed that epoch and whose claimant is
     * {@code newHost}, gets {@code newHost} as owner under the next epoch (the claim stays as it was until {@code
     * newHost} claims the new epoch). One transaction; each account succeeds or not on its own.
     *
     * @return in order, the account as given back, or {@code null} when that account changed meanwhile (or was claimed)
     */
    List<Account> giveBack(List<OwnerChange> changes);

    /** Sets a global configuration key (e.g. {@code brokers}); {@code null} value removes it. */
    void setGlobal(String key, String value);

    /** Registers or updates a server (nodes do it for themselves). */
    Server registerServer(Server server);

    /**
     * Adds a replica destination in state {@link Replica#INITIALISING}.
     *
     * @throws IllegalArgumentException the account does not exist, or already replicates to {@code destination}
     */
    Replica addReplica(UUID accountId, String destination, int priority, UUID operationId);

    /**
     * Adds several replicas in state {@link Replica#INITIALISING} in one transaction, skipping those that
     * exist already (same account and destination) and accounts that no longer exist.
     *
     * @param replicas account, destination and priority of each (the other fields are ignored)
     * @return how many were added
     */
    default int addReplicas(List<Replica> replicas) {
        int n = 0;
        for (Replica r : replicas) {
            if (replicas(r.accountId()).stream().noneMatch(x -> x.destination().equals(r.destination()))) {
                try {
                    addReplica(r.accountId(), r.destination(), r.priority(), r.operationId());
                    n++;
                } catch (IllegalArgumentException e) {
                    // the account was deleted meanwhile
                }
            }
        }
        return n;
    }

    /** @return whether there was such a replica */
    boolean removeReplica(UUID accountId, String destination);

    /**
     * Records take-overs by {@code newOwner} in one transaction, each only if the directory still names
     * {@code newOwner} the account's owner under the promotion's epoch (a stale promotion marker read late
     * takes nothing over): its replica row of the account is removed and the former owner becomes a replica
     * ({@code initialising}, with the priority given) unless it keeps one already, is the owner, or the account
     * is gone (decision 0023).
     *
     * @return the accounts taken over
     */
    java.util.Set<UUID> takeOver(String newOwner, List<TakeOver> takeOvers);

    /** One take-over of {@link #takeOver}: the account, the promotion's epoch, the former owner and its priority as a replica. */
    record TakeOver(UUID accountId, long epoch, String formerOwner, int priority) {
    }

    /**
     * Sets a replica's state only if the row is still as {@code expected} says (its state and {@code
     * updatedMillis}): an operator's pause, or pause and restart, in between wins over the applier's own transition.
     *
     * @return the replica as it is after the call, empty when there is no such replica
     */
    Optional<Replica> compareAndSetReplicaState(Replica expected, String state, String detail);

    /** Removes the replicas of several accounts on {@code destination} in one transaction; @return how many there were. */
    default int removeReplicas(String destination, java.util.Collection<UUID> accountIds) {
        int n = 0;
        for (UUID id : accountIds) {
            n += removeReplica(id, destination) ? 1 : 0;
        }
        return n;
    }

    /** Sets a replica's state and detail; returns the updated replica, empty when there is no such replica. */
    Optional<Replica> setReplicaState(UUID accountId, String destination, String state, String detail);

    /** Records a new {@link Operation#RUNNING} operation. */
    Operation startOperation(String kind, String node, int total, String detail);

    /**
     * Counts items of an operation as done or failed ({@code line}, if not empty, is appended to its detail);
     * the operation finishes when every item is counted: then {@code finished} says so, exactly once cluster-wide.
     */
    Progress progress(UUID operationId, int done, int failed, String line);

    /** The operation after {@link #progress}, and whether this call finished it. */
    record Progress(Operation operation, boolean finished) {
    }

    Notification notify(Notification.Severity severity, String subject, String body);
}
