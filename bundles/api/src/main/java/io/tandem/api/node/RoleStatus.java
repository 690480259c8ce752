package io.tandem.api.node;

/**
 * One role as seen on the local node.
 *
 * @param configured the role is in {@code etc/tandem.node.cfg}
 * @param active     the role's service is registered (its feature is installed and its component runs)
 * @param health     the role service's health, or DOWN with the reason when it is not active
 */
public record RoleStatus(Role role, boolean configured, boolean active, Health health) {
}
