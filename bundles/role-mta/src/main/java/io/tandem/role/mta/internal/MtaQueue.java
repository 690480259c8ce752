package io.tandem.role.mta.internal;

import io.tandem.role.mta.internal.spool.Envelope;

import java.io.IOException;
import java.util.List;

/** What the {@code mta:*} commands see of the running MTA (a service of this bundle only). */
public interface MtaQueue {

    /** Snapshots of the queued messages, oldest first. */
    List<Envelope> queued();

    /** The failed area, oldest first. */
    List<Envelope> failed() throws IOException;

    /**
     * Retries now every pending recipient of the message, or of every message when {@code id} is null.
     *
     * @return the number of messages flushed
     * @throws IllegalArgumentException naming the id when no queued message has it
     */
    int flush(String id);
}
