package io.tandem.supervisor;

import java.util.Locale;

/** Where a supervised service stands on this node. */
public enum ServiceState {
    /** {@code enabled = false} in its configuration: never started. */
    DISABLED,
    /** This node does not play the service's role (right now): not started. */
    INACTIVE,
    /** Active-standby: another node runs it; this node takes over when that node leaves. */
    STANDBY,
    /** The process runs, its probe has not passed yet. */
    STARTING,
    /** The process runs and its probe passes. */
    ACTIVE,
    /** The process runs but its probe failed {@code probe.failures} times in a row. */
    UNHEALTHY,
    /** The process ended or was stopped as unhealthy; restarted after an exponential delay. */
    BACKOFF,
    /** Too many fast failures: not restarted until {@code supervisor:restart} or a configuration change. */
    FAILED;

    /** Lower-case name as shown by {@code supervisor:list}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The node runs (or keeps trying to run) the service: it holds it against the other nodes. */
    public boolean holding() {
        return this == STARTING || this == ACTIVE || this == UNHEALTHY || this == BACKOFF;
    }

    @Override
    public String toString() {
        return id();
    }
}
