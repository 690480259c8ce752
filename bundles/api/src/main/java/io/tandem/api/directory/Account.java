package io.tandem.api.directory;

import java.time.Instant;
import java.util.UUID;

/**
 * An account.
 *
 * @param name     full address, {@code local@domain}, lower case
 * @param mailHost the Mailstore (node name) holding the account's primary
 * @param epoch    ownership epoch: incremented by every change of {@code mailHost}; a Mailstore writes
 *                 for an account only under the epoch it was given
 */
public record Account(UUID id, String name, String domain, String mailHost, long epoch, AccountStatus status,
                      Instant created) {
}
