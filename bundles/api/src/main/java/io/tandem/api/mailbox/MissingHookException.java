package io.tandem.api.mailbox;

/** A required change hook (e.g. replication) is not running: the change is refused, nothing changed. Temporary. */
public class MissingHookException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public MissingHookException(String message) {
        super(message);
    }
}
