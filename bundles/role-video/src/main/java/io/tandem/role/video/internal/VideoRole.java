package io.tandem.role.video.internal;

import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import io.tandem.supervisor.SupervisedRoleService;
import io.tandem.supervisor.SupervisedServices;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The video role on this node. Present exactly while the {@code tandem-role-video} feature is installed
 * (the node installs it when {@code roles} names it); announces the role to the node, the health
 * endpoints and the cluster. Its health is that of the role's supervised services on this node
 * (video service (active-standby by default), etc/tandem.service-*.cfg with {@code role = video}):
 * {@code /health/video} answers 200 only where they are active and their probes pass.
 */
@Component(service = RoleService.class, immediate = true, property = RoleService.ROLE_PROPERTY + "=video")
public class VideoRole extends SupervisedRoleService {

    @Activate
    public VideoRole(@Reference SupervisedServices services) {
        super(Role.VIDEO, services);
    }
}
