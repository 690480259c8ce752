package io.tandem.api.directory;

import java.time.Instant;
import java.util.UUID;

/**
 * An account.
 *
 * @param name         full address, {@code local@domain}, lower case
 * @param mailHost     the Mailstore (node name) holding the account's primary
 * @param epoch        ownership epoch: incremented by every change of {@code mailHost}; a Mailstore writes
 *                     for an account only under the epoch it was given
 * @param claimedHost  the last owner that claimed its epoch before its copy adopted it (docs/decisions/0027);
 *                     its copy holds every change acknowledged under an epoch up to {@code claimedEpoch}
 * @param claimedEpoch the epoch {@code claimedHost} claimed; lower than {@code epoch} while the owner has not
 *                     taken the account over, and then nothing was acknowledged under a newer epoch
 */
public record Account(UUID id, String name, String domain, String mailHost, long epoch, AccountStatus status,
                      Instant created, String claimedHost, long claimedEpoch) {

    /** An account whose owner claimed its epoch. */
    public Account(UUID id, String name, String domain, String mailHost, long epoch, AccountStatus status, Instant created) {
        this(id, name, domain, mailHost, epoch, status, created, mailHost, epoch);
    }

    /** Whether the owner claimed the current epoch: only then may it acknowledge changes under it. */
    public boolean claimed() {
        return epoch == claimedEpoch && mailHost.equals(claimedHost);
    }

    /**
     * The copy of {@code replicas} (this account's) it can be given back to (decision 0027): its owner never claimed
     * its epoch and never recorded its take-over (it keeps its own replica row: a node of an older version records
     * take-overs without claiming), and the claimant is in {@code live} and keeps a copy that reads the log (not
     * paused) and did not stop (a claimant whose copy could not take the account back once is not given it again
     * and again).
     */
    public java.util.Optional<Replica> claimantCopy(java.util.Collection<Replica> replicas, java.util.Set<String> live) {
        if (claimed() || claimedHost == null || !live.contains(claimedHost)
                || replicas.stream().noneMatch(r -> r.destination().equals(mailHost))) {
            return java.util.Optional.empty();
        }
        return replicas.stream().filter(r -> r.destination().equals(claimedHost) && !Replica.PAUSED.equals(r.state())
                && !Replica.FAILED.equals(r.state())).findFirst();
    }
}
