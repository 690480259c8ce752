package io.tandem.role.files.internal;

import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import io.tandem.supervisor.SupervisedRoleService;
import io.tandem.supervisor.SupervisedServices;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The files role on this node. Present exactly while the {@code tandem-role-files} feature is installed
 * (the node installs it when {@code roles} names it); announces the role to the node, the health
 * endpoints and the cluster. Its health is that of the role's supervised services on this node
 * (Files, Preview and Docs services (active-active by default), etc/tandem.service-*.cfg with {@code role = files}):
 * {@code /health/files} answers 200 only where they are active and their probes pass.
 */
@Component(service = RoleService.class, immediate = true, property = RoleService.ROLE_PROPERTY + "=files")
public class FilesRole extends SupervisedRoleService {

    @Activate
    public FilesRole(@Reference SupervisedServices services) {
        super(Role.FILES, services);
    }
}
