package io.tandem.role.proxy.internal;

import io.tandem.api.node.BasicRoleService;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import org.osgi.service.component.annotations.Component;

/**
 * The proxy role on this node. Present exactly while the {@code tandem-role-proxy} feature is installed
 * (the node installs it when {@code roles} names it); announces the role to the node, the health
 * endpoints and the cluster.
 */
@Component(service = RoleService.class, immediate = true, property = RoleService.ROLE_PROPERTY + "=proxy")
public class ProxyRole extends BasicRoleService {

    public ProxyRole() {
        super(Role.PROXY);
    }
}
