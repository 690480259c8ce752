package io.tandem.mailstore.internal.lmtp;

import java.nio.file.Path;
import java.util.List;

/** What the LMTP server asks of the Mailstore. Called from connection threads; must be thread-safe. */
public interface LmtpHandler {

    /** At RCPT time: 250 when the address is delivered here, 550 when unknown, 451 when not right now. */
    Reply recipient(String address);

    /**
     * After DATA: stores the message for every recipient accepted at RCPT time.
     *
     * @param message the message as received (dot-stuffing undone, CRLF line ends); deleted after the call
     * @return one reply per recipient, in the same order
     */
    List<Reply> deliver(String sender, List<String> recipients, Path message);
}
