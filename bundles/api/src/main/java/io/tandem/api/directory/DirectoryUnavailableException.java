package io.tandem.api.directory;

/**
 * The directory database could not be reached or failed; nothing can be assumed changed or not. Callers
 * answer "try again" (HTTP 503), and an administrator's command says the directory is unavailable.
 */
public class DirectoryUnavailableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public DirectoryUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
