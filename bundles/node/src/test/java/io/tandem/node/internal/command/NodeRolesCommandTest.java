package io.tandem.node.internal.command;

import io.tandem.api.node.Health;
import io.tandem.api.node.Role;
import io.tandem.api.test.LocalNodeAdapter;
import org.junit.Before;
import org.junit.Test;

import java.util.List;

import static io.tandem.node.internal.command.CommandOutput.rows;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

public class NodeRolesCommandTest {

    private final LocalNodeAdapter node = new LocalNodeAdapter();
    private final NodeRolesCommand command = new NodeRolesCommand();

    @Before
    public void setUp() {
        command.node = node;
        command.setNoFormat(true);
    }

    @Test
    public void listsConfiguredAndActiveRoles() throws Exception {
        node.setConfiguredRoles(Role.CORE, Role.MAILSTORE)
                .setRoleActive(Role.CORE, Health.up("core ok"))
                .setRoleActive(Role.VIDEO, Health.down("active but not configured on this node"));
        assertEquals(List.of(
                List.of("core", "true", "true", "UP", "core ok"),
                List.of("mailstore", "true", "false", "DOWN", "not active"),
                List.of("video", "false", "true", "DOWN", "active but not configured on this node")),
                rows(command.render()));
    }

    @Test
    public void formattedTableHasAHeader() throws Exception {
        node.setRoles(Role.MTA);
        command.setNoFormat(false);
        List<String> lines = command.render().lines().toList();
        assertTrue(lines.get(0), lines.get(0).matches("Role +\\| Configured \\| Active \\| Health \\| Detail *"));
        assertTrue(lines.get(2), lines.get(2).matches("mta +\\| true +\\| true +\\| UP +\\| mta up *"));
        assertEquals(3, lines.size());
    }

    @Test
    public void emptyTable() throws Exception {
        command.setNoFormat(false);
        String out = command.render();
        assertTrue(out, out.contains("no role configured or active on this node"));
        // scripts reading --no-format get no line at all
        command.setNoFormat(true);
        assertEquals("", command.render());
    }

    @Test
    public void errorsFollowTheTable() throws Exception {
        node.setRoles(Role.CORE);
        node.setConfigurationError("roles = 'bogus' refused");
        node.setActivationError("install failed");
        String out = command.render();
        assertTrue(out, out.endsWith("Configuration refused: roles = 'bogus' refused\nActivation failed: install failed\n"));
    }

    @Test
    public void json() throws Exception {
        node.setConfiguredRoles(Role.CORE);
        command.setJson(true);
        assertEquals(String.join("\n",
                "[",
                "  {",
                "    \"role\": \"core\",",
                "    \"configured\": true,",
                "    \"active\": false,",
                "    \"health\": \"DOWN\",",
                "    \"detail\": \"not active\"",
                "  }",
                "]",
                ""), command.render());
    }
}
