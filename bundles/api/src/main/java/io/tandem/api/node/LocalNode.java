package io.tandem.api.node;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The local node: identity, configured roles and their live state. */
public interface LocalNode {

    NodeIdentity identity();

    /** Roles named in the node configuration (the last accepted one). */
    Set<Role> configuredRoles();

    /** Roles whose role service is registered right now. */
    Set<Role> activeRoles();

    /** Every role that is configured or active, with its state. */
    List<RoleStatus> roleStatus();

    /**
     * Why the last configuration change was refused, if it was; the node keeps running with the last
     * accepted configuration until a valid one arrives.
     */
    Optional<String> configurationError();

    /** Last failure of the role activation (feature install/uninstall), if the last attempt failed. */
    Optional<String> activationError();

    /** UP when every configured role is active and healthy and no role is pending or failing. */
    Health health();
}
