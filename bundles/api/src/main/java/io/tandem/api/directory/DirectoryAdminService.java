package io.tandem.api.directory;

import java.util.UUID;

/**
 * Changes to the directory. Every method validates its input first and throws
 * {@link IllegalArgumentException} naming the bad value, changing nothing.
 */
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

    /** Sets a global configuration key (e.g. {@code brokers}); {@code null} value removes it. */
    void setGlobal(String key, String value);

    /** Registers or updates a server (nodes do it for themselves). */
    Server registerServer(Server server);

    Notification notify(Notification.Severity severity, String subject, String body);
}
