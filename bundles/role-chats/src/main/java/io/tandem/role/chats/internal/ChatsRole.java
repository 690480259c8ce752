package io.tandem.role.chats.internal;

import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import io.tandem.supervisor.SupervisedRoleService;
import io.tandem.supervisor.SupervisedServices;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * The chats role on this node. Present exactly while the {@code tandem-role-chats} feature is installed
 * (the node installs it when {@code roles} names it); announces the role to the node, the health
 * endpoints and the cluster. Its health is that of the role's supervised services on this node
 * (chat service (active-standby by default), etc/tandem.service-*.cfg with {@code role = chats}):
 * {@code /health/chats} answers 200 only where they are active and their probes pass.
 */
@Component(service = RoleService.class, immediate = true, property = RoleService.ROLE_PROPERTY + "=chats")
public class ChatsRole extends SupervisedRoleService {

    @Activate
    public ChatsRole(@Reference SupervisedServices services) {
        super(Role.CHATS, services);
    }
}
