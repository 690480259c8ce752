package io.tandem.api.directory;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * An asynchronous administration operation ({@code ha:setAccountDestination}, {@code ha:promoteAccounts},
 * ...), visible from every node ({@code ha:monitor}).
 *
 * @param kind   e.g. {@code setAccountDestination}
 * @param node   the node that started it
 * @param state  {@link #RUNNING}, {@link #DONE} (every item succeeded) or {@link #FAILED} (some did not)
 * @param total  items (accounts) to process
 * @param detail a summary, then one line per failed item with the reason
 */
public record Operation(UUID id, String kind, String node, String state, int total, int done, int failed, String detail,
                        Instant created, Instant updated) {

    public static final String RUNNING = "running";
    public static final String DONE = "done";
    public static final String FAILED = "failed";

    public Operation {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(state, "state");
        detail = detail == null ? "" : detail;
    }

    public boolean finished() {
        return !RUNNING.equals(state);
    }
}
