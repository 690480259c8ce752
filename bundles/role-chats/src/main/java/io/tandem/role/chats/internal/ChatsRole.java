package io.tandem.role.chats.internal;

import io.tandem.api.node.BasicRoleService;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import org.osgi.service.component.annotations.Component;

/**
 * The chats role on this node. Present exactly while the {@code tandem-role-chats} feature is installed
 * (the node installs it when {@code roles} names it); announces the role to the node, the health
 * endpoints and the cluster.
 */
@Component(service = RoleService.class, immediate = true, property = RoleService.ROLE_PROPERTY + "=chats")
public class ChatsRole extends BasicRoleService {

    public ChatsRole() {
        super(Role.CHATS);
    }
}
