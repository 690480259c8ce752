package io.tandem.mailstore.jdbc.internal;

import io.tandem.api.mailbox.MailboxStoreUnavailableException;

/**
 * The mailstore database failed (unreachable, constraint, timeout) at the end of a transaction: the request was
 * not carried out (a local change whose hooks accepted it is rolled forward first, see JdbcMailboxStore).
 */
public class MailstoreUnavailableException extends MailboxStoreUnavailableException {

    private static final long serialVersionUID = 1L;

    public MailstoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
