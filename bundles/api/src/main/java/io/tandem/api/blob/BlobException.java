package io.tandem.api.blob;

/**
 * A blob operation failed. {@link #temporary()} tells callers whether trying again later may succeed
 * (storage unreachable, timeout, server busy: delivery answers 4xx) or not (credentials refused,
 * bucket or volume missing, blob missing: 5xx). Messages name the volume, bucket or key, never a
 * credential; the cause, when there is one, is a JDK exception (no storage client type).
 */
public class BlobException extends Exception {

    private static final long serialVersionUID = 1L;

    private final boolean temporary;

    public BlobException(String message, boolean temporary) {
        super(message);
        this.temporary = temporary;
    }

    public BlobException(String message, boolean temporary, Throwable cause) {
        super(message, cause);
        this.temporary = temporary;
    }

    /** Trying again later may succeed. */
    public boolean temporary() {
        return temporary;
    }
}
