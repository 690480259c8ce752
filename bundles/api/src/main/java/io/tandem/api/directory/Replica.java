package io.tandem.api.directory;

import java.util.UUID;

/**
 * A replica destination of an account.
 *
 * @param priority lower value = preferred for promotion
 * @param state    replication state as the replication layer reports it (e.g. initialising, in-sync)
 */
public record Replica(UUID accountId, String destination, int priority, String state) {
}
