package io.tandem.api.mailbox;

/**
 * A change refused because this node's ownership lease has expired: it cannot see a majority of
 * the core nodes, so its accounts may be promoted elsewhere. Nothing was changed; temporary (LMTP
 * 451, HTTP 503): the client retries, through a load balancer or the MTA, on the new owner.
 */
public class WritesFencedException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public WritesFencedException(String message) {
        super(message);
    }
}
