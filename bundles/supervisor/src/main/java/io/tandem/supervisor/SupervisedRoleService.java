package io.tandem.supervisor;

import io.tandem.api.node.BasicRoleService;
import io.tandem.api.node.Health;
import io.tandem.api.node.Role;

import java.util.Objects;

/**
 * A role whose health is the health of its supervised services on this node (files, video, chats):
 * {@code /health/<role>} answers 200 only where the role's services are active and their probes pass.
 */
public abstract class SupervisedRoleService extends BasicRoleService {

    private final SupervisedServices services;

    protected SupervisedRoleService(Role role, SupervisedServices services) {
        super(role);
        this.services = Objects.requireNonNull(services, "services");
    }

    @Override
    public Health health() {
        return services.roleHealth(role());
    }
}
