package io.tandem.replication.internal;

/** Cluster message topics of replication (the event log carries the data; these carry coordination). */
final class Topics {

    /** "accountId destination": the owner writes a snapshot of the account for the destination. */
    static final String SNAPSHOT = "tandem.replication.snapshot";
    /** "": replica rows changed in the directory; appliers re-read theirs now. */
    static final String REPLICAS = "tandem.replication.replicas";
    /**
     * "requestId" or "requestId light": every Mailstore answers on {@link #STATUS_REPLY} with {@link NodeStatus#encode()}
     * (light: without its mailboxes, and without waiting for its applier).
     */
    static final String STATUS_REQUEST = "tandem.replication.status.request";
    /** The flag of a light status request. */
    static final String LIGHT = "light";
    static final String STATUS_REPLY = "tandem.replication.status.reply";

    private Topics() {
    }
}
