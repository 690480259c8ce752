package io.tandem.api.mailbox;

/**
 * The mailbox store's database failed (unreachable, full, timed out) and the request was not carried out;
 * the same request may work later. Callers answer "try again" (LMTP 4xx, HTTP 503), never "no such thing".
 */
public class MailboxStoreUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public MailboxStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
