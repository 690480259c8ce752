package io.tandem.node.internal.command;

import io.tandem.api.node.Health;
import io.tandem.api.node.NodeIdentity;
import io.tandem.api.node.Role;
import io.tandem.api.test.ClusterServiceAdapter;
import io.tandem.api.test.LocalNodeAdapter;
import org.junit.Before;
import org.junit.Test;

import static io.tandem.node.internal.command.CommandOutput.assertValue;
import static io.tandem.node.internal.command.CommandOutput.hasKey;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

public class NodeInfoCommandTest {

    private final LocalNodeAdapter node = new LocalNodeAdapter(
            new NodeIdentity("mbox1", "mbox1.example.com", "10.0.0.5", "1.2.3"));
    private final NodeInfoCommand command = new NodeInfoCommand();

    @Before
    public void setUp() {
        node.setConfiguredRoles(Role.MAILSTORE, Role.CORE).setRoleActive(Role.CORE, Health.up("core ok"));
        command.node = node;
    }

    @Test
    public void showsIdentityRolesAndHealth() throws Exception {
        command.cluster = new ClusterServiceAdapter().setClusterName("prod");
        String out = command.render();

        assertValue(out, "name", "mbox1");
        assertValue(out, "fqdn", "mbox1.example.com");
        assertValue(out, "address", "10.0.0.5");
        assertValue(out, "version", "1.2.3");
        assertValue(out, "configuredRoles", "core,mailstore");
        assertValue(out, "activeRoles", "core");
        assertValue(out, "health", "DOWN");
        assertValue(out, "healthDetail", "mailstore: not active");
        assertValue(out, "cluster", "prod");
        assertValue(out, "clusterConnected", "true");
        assertFalse("no error, no line", hasKey(out, "configurationError") || hasKey(out, "activationError"));
    }

    @Test
    public void withoutClusterServiceAndWithoutRoles() throws Exception {
        command.node = new LocalNodeAdapter("lonely", "127.0.0.1");
        String out = command.render();
        assertValue(out, "configuredRoles", "-");
        assertValue(out, "activeRoles", "-");
        assertValue(out, "health", "UP");
        assertValue(out, "clusterConnected", "false");
        assertFalse(out, hasKey(out, "cluster"));
    }

    @Test
    public void showsRefusedConfigurationAndFailedActivation() throws Exception {
        node.setConfigurationError("tandem.node: roles = 'x': unknown role 'x'");
        node.setActivationError("feature repository unreachable");
        String out = command.render();
        assertValue(out, "configurationError", "tandem.node: roles = 'x': unknown role 'x'");
        assertValue(out, "activationError", "feature repository unreachable");
    }

    @Test
    public void json() throws Exception {
        command.setJson(true);
        String out = command.render();
        assertTrue(out, out.startsWith("{\n  \"name\": \"mbox1\",\n"));
        assertTrue(out, out.contains("\"configuredRoles\": [\n    \"core\",\n    \"mailstore\"\n  ],"));
        assertTrue(out, out.contains("\"activeRoles\": [\n    \"core\"\n  ],"));
        assertTrue(out, out.contains("\"health\": \"DOWN\","));
        assertTrue(out, out.contains("\"cluster\": null,"));
        assertTrue(out, out.contains("\"clusterConnected\": false,"));
        assertTrue(out, out.contains("\"configurationError\": null,"));
        assertTrue(out, out.endsWith("\"activationError\": null\n}\n"));
    }
}
