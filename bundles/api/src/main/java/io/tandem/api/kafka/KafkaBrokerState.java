package io.tandem.api.kafka;

import java.util.Locale;

/** Where the embedded Kafka broker of a core node stands. */
public enum KafkaBrokerState {
    /** Not run on this node ({@code enabled = false}): the cluster uses an external Kafka. */
    DISABLED,
    /** The process runs but the broker does not serve yet (starting, or waiting for a majority of the voters). */
    STARTING,
    /** The broker answers metadata requests. */
    RUNNING,
    /** The process ended; it is started again after a backoff delay. */
    RESTARTING,
    /** Not started: invalid configuration, or given up after repeated fast failures. */
    FAILED;

    /** Lower-case name as commands show it. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return id();
    }
}
