package io.tandem.api.cluster;

import java.time.Duration;

/**
 * This node's right to acknowledge writes of replicated accounts it owns (self-fencing,
 * docs/decisions/0010). The lease is held while the node sees a majority of the configured core
 * nodes, and for {@link #duration()} after it stopped seeing one. Automatic failover waits longer
 * than that before it promotes a departed Mailstore's accounts, so a Mailstore cut off from the
 * core quorum has stopped acknowledging before anyone else takes its accounts over. (The ownership
 * epoch, checked in the directory after the event log acknowledged a change, remains the final
 * fence.)
 */
public interface OwnershipLease {

    /** True while writes may be acknowledged: cheap, never blocks (called for every change). */
    boolean valid();

    /** How long the lease outlives the last moment a core quorum was seen. */
    Duration duration();

    /** One line for operators, e.g. {@code held (quorum 3 of 3 core nodes)} or {@code expired 1.2 s ago ...}. */
    String describe();
}
