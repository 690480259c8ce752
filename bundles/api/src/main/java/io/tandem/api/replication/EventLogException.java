package io.tandem.api.replication;

/** The event log refused or did not acknowledge an operation; the message says why (never a secret). */
public class EventLogException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final boolean outcomeUnknown;

    public EventLogException(String message) {
        this(message, null, false);
    }

    public EventLogException(String message, Throwable cause) {
        this(message, cause, false);
    }

    /**
     * @param outcomeUnknown whether the records concerned may still become visible (the log could not say
     *                       whether it committed them)
     */
    public EventLogException(String message, Throwable cause, boolean outcomeUnknown) {
        super(message, cause);
        this.outcomeUnknown = outcomeUnknown;
    }

    /** Whether the records concerned may still become visible: the log could not tell whether it committed them. */
    public boolean outcomeUnknown() {
        return outcomeUnknown;
    }
}
