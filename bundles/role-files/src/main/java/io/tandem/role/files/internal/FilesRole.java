package io.tandem.role.files.internal;

import io.tandem.api.node.BasicRoleService;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import org.osgi.service.component.annotations.Component;

/**
 * The files role on this node. Present exactly while the {@code tandem-role-files} feature is installed
 * (the node installs it when {@code roles} names it); announces the role to the node, the health
 * endpoints and the cluster.
 */
@Component(service = RoleService.class, immediate = true, property = RoleService.ROLE_PROPERTY + "=files")
public class FilesRole extends BasicRoleService {

    public FilesRole() {
        super(Role.FILES);
    }
}
