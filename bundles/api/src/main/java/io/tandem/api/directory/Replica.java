package io.tandem.api.directory;

import java.util.Objects;
import java.util.UUID;

/**
 * A replica destination of an account: the Mailstore {@code destination} keeps a copy, applied from the
 * event log.
 *
 * @param priority      lower is preferred for promotion
 * @param state         {@link #INITIALISING}, {@link #IN_SYNC}, {@link #FAILED} or {@link #PAUSED}
 * @param detail        why it failed, or "" (never a secret)
 * @param operationId   the operation that added it ({@code null}: none)
 * @param updatedMillis when the state last changed
 */
public record Replica(UUID accountId, String destination, int priority, String state, String detail, UUID operationId,
                      long updatedMillis) {

    public static final String INITIALISING = "initialising";
    public static final String IN_SYNC = "in-sync";
    public static final String FAILED = "failed";
    public static final String PAUSED = "paused";

    public Replica {
        Objects.requireNonNull(accountId, "accountId");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(state, "state");
        detail = detail == null ? "" : detail;
    }

    public boolean inSync() {
        return IN_SYNC.equals(state);
    }

    public boolean paused() {
        return PAUSED.equals(state);
    }
}
