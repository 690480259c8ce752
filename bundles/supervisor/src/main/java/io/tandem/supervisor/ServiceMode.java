package io.tandem.supervisor;

import java.util.Arrays;
import java.util.Optional;

/** How the nodes of a role share a supervised service. */
public enum ServiceMode {
    /** Every node that plays the role runs the service. */
    ACTIVE_ACTIVE("active-active"),
    /** Exactly one live node of the role runs the service; the others stand by and take over when it leaves. */
    ACTIVE_STANDBY("active-standby");

    private final String id;

    ServiceMode(String id) {
        this.id = id;
    }

    /** The mode as operators write it ({@code active-standby}). */
    public String id() {
        return id;
    }

    public static Optional<ServiceMode> find(String id) {
        return Arrays.stream(values()).filter(m -> m.id.equals(id)).findFirst();
    }

    @Override
    public String toString() {
        return id;
    }
}
