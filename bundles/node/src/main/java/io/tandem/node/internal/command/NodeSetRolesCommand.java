package io.tandem.node.internal.command;

import io.tandem.api.node.LocalNode;
import io.tandem.api.node.Role;
import io.tandem.node.internal.NodeComponent;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Set;

/**
 * Changes the roles of this node: validates them, then writes {@code roles} of {@code tandem.node}
 * (and so {@code etc/tandem.node.cfg}); the node switches the role features live.
 */
@Service
@Command(scope = "node", name = "set-roles", description = "Sets the roles of this node (written to etc/tandem.node.cfg, applied live)")
public class NodeSetRolesCommand extends CommandSupport {

    @Argument(index = 0, name = "roles", required = true,
            description = "Comma separated roles (core, mailstore, mta, proxy, files, video, chats); \"\" for none")
    @Completion(RoleCompleter.class)
    String roles;

    @Reference
    ConfigurationAdmin configurationAdmin;

    @Reference
    LocalNode node;

    @Override
    public String render() throws Exception {
        Set<Role> before = node.configuredRoles();
        Set<Role> parsed = audited(node.identity().name(), () -> {
            Set<Role> wanted = Role.parseList(roles);
            Configuration cfg = configurationAdmin.getConfiguration(NodeComponent.PID, null);
            Dictionary<String, Object> props = cfg.getProperties();
            if (props == null) {
                throw new IllegalStateException("configuration " + NodeComponent.PID + " does not exist (etc/tandem.node.cfg is missing)");
            }
            Dictionary<String, Object> updated = new Hashtable<>();
            for (var keys = props.keys(); keys.hasMoreElements(); ) {
                String k = keys.nextElement();
                updated.put(k, props.get(k));
            }
            updated.put("roles", Role.ids(wanted));
            cfg.update(updated);
            return wanted;
        }, wanted -> "from=[" + Role.ids(before) + "] to=[" + Role.ids(wanted) + "]");
        return "Roles of " + node.identity().name() + " set to [" + Role.ids(parsed)
                + "] (was [" + Role.ids(before) + "]); use node:roles to follow the activation\n";
    }
}
