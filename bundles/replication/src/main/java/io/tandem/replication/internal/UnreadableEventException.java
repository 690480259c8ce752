package io.tandem.replication.internal;

/**
 * An event this node cannot decode (newer encoding, unknown type or operation, corrupt bytes). The applier
 * stops the account's replica with this message; it never skips the event.
 */
public class UnreadableEventException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public UnreadableEventException(String message) {
        super(message);
    }

    public UnreadableEventException(String message, Throwable cause) {
        super(message, cause);
    }
}
