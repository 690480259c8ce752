package io.tandem.api.node;

/**
 * Registered (whiteboard) by a role's bundle while that role is active on this node.
 * The node, the health endpoints and the cluster membership read the active roles and
 * their health from these services.
 */
public interface RoleService {

    /** Service property carrying the role id, for filters: {@code (tandem.role=mailstore)}. */
    String ROLE_PROPERTY = "tandem.role";

    Role role();

    /** Current health; must be cheap and must not block (it is polled). */
    Health health();
}
