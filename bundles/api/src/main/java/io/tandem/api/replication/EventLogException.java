package io.tandem.api.replication;

/** The event log refused or did not acknowledge an operation; the message says why (never a secret). */
public class EventLogException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public EventLogException(String message) {
        super(message);
    }

    public EventLogException(String message, Throwable cause) {
        super(message, cause);
    }
}
