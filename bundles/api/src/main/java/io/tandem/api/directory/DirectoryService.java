package io.tandem.api.directory;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Read side of the directory. */
@org.osgi.annotation.versioning.ProviderType // implemented by the directory bundle only
public interface DirectoryService {

    List<Domain> domains();

    Optional<Domain> domain(String name);

    Optional<Account> account(String name);

    Optional<Account> account(UUID id);

    /** Accounts of a domain ({@code null}: all), by name. */
    List<Account> accounts(String domain);

    /** Accounts whose owner ({@code mailHost}) is {@code mailHost}, by name. */
    default List<Account> accountsOn(String mailHost) {
        return accounts(null).stream().filter(a -> a.mailHost().equals(mailHost)).toList();
    }

    /**
     * The current owner of an account: answered from a cache that is invalidated by the cluster
     * notification of every ownership change, so it never returns an owner older than the last
     * notification this node received.
     */
    Optional<Account> owner(UUID accountId);

    Optional<String> global(String key);

    Map<String, String> globals();

    List<Server> servers();

    /** The account's replicas, preferred (lowest priority value) first. */
    List<Replica> replicas(UUID accountId);

    /** Every replica kept on {@code destination}. */
    List<Replica> replicasOn(String destination);

    /** Every replica of every account. */
    List<Replica> replicas();

    /**
     * Take-overs not finished: replica rows kept on the account's own owner. A promotion moves the ownership
     * first, then the new owner applies the log up to the promotion marker and removes its replica row; until
     * then it refuses the account's writes. A row that stays (marker never written, copy failed, owner gone)
     * is a wedged account. By account.
     */
    List<Replica> unfinishedTakeOvers();

    /** The replicas of these accounts, by account, each list preferred first. */
    default List<Replica> replicasOf(java.util.Collection<UUID> accountIds) {
        java.util.Set<UUID> wanted = java.util.Set.copyOf(accountIds);
        return replicas().stream().filter(r -> wanted.contains(r.accountId())).toList();
    }

    Optional<Operation> operation(UUID id);

    /** Newest first. */
    List<Operation> operations(int limit);

    /** Newest first. */
    List<Notification> notifications(int limit);
}
