package io.tandem.directory.jdbc.internal;

/** The directory database could not be reached or failed; nothing can be assumed changed or not. */
final class DirectoryUnavailableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    DirectoryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
