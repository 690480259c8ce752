package io.tandem.mailstore.internal;

import io.tandem.api.node.BasicRoleService;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import org.osgi.service.component.annotations.Component;

/**
 * The mailstore role on this node. Present exactly while the {@code tandem-role-mailstore} feature is installed
 * (the node installs it when {@code roles} names it); announces the role to the node, the health
 * endpoints and the cluster.
 */
@Component(service = RoleService.class, immediate = true, property = RoleService.ROLE_PROPERTY + "=mailstore")
public class MailstoreRole extends BasicRoleService {

    public MailstoreRole() {
        super(Role.MAILSTORE);
    }
}
