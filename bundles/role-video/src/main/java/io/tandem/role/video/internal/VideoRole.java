package io.tandem.role.video.internal;

import io.tandem.api.node.BasicRoleService;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import org.osgi.service.component.annotations.Component;

/**
 * The video role on this node. Present exactly while the {@code tandem-role-video} feature is installed
 * (the node installs it when {@code roles} names it); announces the role to the node, the health
 * endpoints and the cluster.
 */
@Component(service = RoleService.class, immediate = true, property = RoleService.ROLE_PROPERTY + "=video")
public class VideoRole extends BasicRoleService {

    public VideoRole() {
        super(Role.VIDEO);
    }
}
