package io.tandem.replication.internal;

/** A replication rule refused something; the message says what and why. */
public class ReplicationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ReplicationException(String message) {
        super(message);
    }
}
