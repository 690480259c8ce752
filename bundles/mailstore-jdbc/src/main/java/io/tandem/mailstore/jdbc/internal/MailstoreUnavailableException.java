package io.tandem.mailstore.jdbc.internal;

/** The mailstore database failed (unreachable, constraint, timeout): the request was not carried out. */
public class MailstoreUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public MailstoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
