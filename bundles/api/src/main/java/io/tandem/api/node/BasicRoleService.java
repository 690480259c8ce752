package io.tandem.api.node;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A role whose health is "up while its component runs". Role bundles whose role has no own health
 * probe yet extend it; roles with real work override {@link #health()}.
 */
public abstract class BasicRoleService implements RoleService {

    private static final Logger LOG = LoggerFactory.getLogger(BasicRoleService.class);
    private final Role role;

    protected BasicRoleService(Role role) {
        this.role = role;
        LOG.info("Started role {}", role.id());
    }

    @Override
    public final Role role() {
        return role;
    }

    @Override
    public Health health() {
        return Health.up(role.id() + " role active");
    }

    @Override
    public String toString() {
        return "role " + role.id();
    }
}
