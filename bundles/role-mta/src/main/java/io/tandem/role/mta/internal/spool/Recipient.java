package io.tandem.role.mta.internal.spool;

import java.util.UUID;

/**
 * One recipient of a spooled message and where its delivery stands. Mutated only by the delivery of its
 * message (one at a time); read through {@link Envelope#snapshot()}.
 */
public final class Recipient {

    /** Where a recipient's delivery stands. */
    public enum State {
        /** Not delivered yet: attempted at {@link #nextAttempt()}. */
        PENDING,
        /** A Mailstore answered 2xx. */
        DELIVERED,
        /** A Mailstore answered 5xx, the account went away, or the message expired. */
        FAILED;

        public String id() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        static State parse(String value) {
            return State.valueOf(value.toUpperCase(java.util.Locale.ROOT));
        }
    }

    private final String address;
    private final UUID accountId;
    private State state;
    private int attempts;
    private long nextAttempt;
    private String lastReply;
    private String destination;
    /** The route of the last attempt (Mailstore, its membership id and endpoint); not persisted. */
    private String route = "";

    public Recipient(String address, UUID accountId) {
        this(address, accountId, State.PENDING, 0, 0L, "", "");
    }

    Recipient(String address, UUID accountId, State state, int attempts, long nextAttempt, String lastReply, String destination) {
        this.address = address;
        this.accountId = accountId;
        this.state = state;
        this.attempts = attempts;
        this.nextAttempt = nextAttempt;
        this.lastReply = lastReply;
        this.destination = destination;
    }

    public String address() {
        return address;
    }

    public UUID accountId() {
        return accountId;
    }

    public State state() {
        return state;
    }

    public int attempts() {
        return attempts;
    }

    /** Epoch millis of the next attempt while pending. */
    public long nextAttempt() {
        return nextAttempt;
    }

    /** The last reply (or failure) of an attempt, empty before the first. */
    public String lastReply() {
        return lastReply;
    }

    /** The Mailstore (node name) of the last attempt, empty before the first. */
    public String destination() {
        return destination;
    }

    public boolean pending() {
        return state == State.PENDING;
    }

    /** Records an attempt's outcome. */
    public void attempted(State state, String reply, String destination, long nextAttempt) {
        this.state = state;
        this.attempts++;
        this.lastReply = reply;
        this.destination = destination;
        this.nextAttempt = nextAttempt;
    }

    /** The route of the last attempt in this run of the MTA, empty before it. */
    public String route() {
        return route;
    }

    public void route(String route) {
        this.route = route;
    }

    /** Makes a pending recipient due at {@code when} (flush, or its route changed). */
    public void dueAt(long when) {
        if (state == State.PENDING) {
            nextAttempt = when;
        }
    }

    Recipient copy() {
        return new Recipient(address, accountId, state, attempts, nextAttempt, lastReply, destination);
    }
}
