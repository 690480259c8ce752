package io.tandem.role.mta.internal.spool;

import java.util.ArrayList;
import java.util.List;

/**
 * A spooled message's envelope: its spool id, the sender, when and from whom it was received, its size,
 * the recipients with their delivery state, and (in the failed area) why it failed. The message itself is
 * a separate, immutable file of the spool.
 */
public final class Envelope {

    private final String id;
    private final String sender;
    private final long received;
    private final String client;
    private final long size;
    private final List<Recipient> recipients;
    private String failure;

    public Envelope(String id, String sender, long received, String client, long size, List<Recipient> recipients) {
        this(id, sender, received, client, size, recipients, "");
    }

    Envelope(String id, String sender, long received, String client, long size, List<Recipient> recipients, String failure) {
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("message " + id + " has no recipient");
        }
        this.id = id;
        this.sender = sender;
        this.received = received;
        this.client = client;
        this.size = size;
        this.recipients = List.copyOf(recipients);
        this.failure = failure;
    }

    public String id() {
        return id;
    }

    /** The reverse path of MAIL FROM, empty for a bounce ({@code <>}). */
    public String sender() {
        return sender;
    }

    /** Epoch millis when the message was accepted. */
    public long received() {
        return received;
    }

    /** The SMTP client: HELO name and address. */
    public String client() {
        return client;
    }

    /** Size of the spooled message in bytes (with the Received header added here). */
    public long size() {
        return size;
    }

    /** The live recipients: change them only from the message's delivery. */
    public List<Recipient> recipients() {
        return recipients;
    }

    public synchronized String failure() {
        return failure;
    }

    public synchronized void failure(String reason) {
        this.failure = reason;
    }

    /** True while a recipient is pending. */
    public synchronized boolean pending() {
        return recipients.stream().anyMatch(Recipient::pending);
    }

    /** Earliest next attempt of a pending recipient, {@link Long#MAX_VALUE} when none is pending. */
    public synchronized long nextAttempt() {
        return recipients.stream().filter(Recipient::pending).mapToLong(Recipient::nextAttempt).min().orElse(Long.MAX_VALUE);
    }

    /** A consistent copy, for the commands and for writing the envelope. */
    public synchronized Envelope snapshot() {
        List<Recipient> copies = new ArrayList<>();
        for (Recipient r : recipients) {
            copies.add(r.copy());
        }
        return new Envelope(id, sender, received, client, size, copies, failure);
    }
}
