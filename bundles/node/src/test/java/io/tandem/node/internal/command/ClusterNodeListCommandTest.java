package io.tandem.node.internal.command;

import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.node.Role;
import io.tandem.api.test.ClusterServiceAdapter;
import org.junit.Before;
import org.junit.Test;

import java.util.List;
import java.util.Set;

import static io.tandem.api.test.ClusterServiceAdapter.node;
import static io.tandem.node.internal.command.CommandOutput.rows;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

public class ClusterNodeListCommandTest {

    private final ClusterServiceAdapter cluster = new ClusterServiceAdapter();
    private final ClusterNodeListCommand command = new ClusterNodeListCommand();

    @Before
    public void setUp() {
        command.cluster = cluster;
        command.setNoFormat(true);
    }

    private void threeNodes() {
        cluster.setNodes(
                node("mbox2", "10.0.0.2", false, Set.of(Role.MAILSTORE, Role.MTA), Set.of(Role.MTA)),
                node("mbox1", "10.0.0.1", true, Role.MAILSTORE, Role.CORE),
                node("spare", "10.0.0.3", false));
    }

    @Test
    public void listsNodesWithLocalMarkerRolesAndState() throws Exception {
        threeNodes();
        assertEquals(List.of(
                List.of("*", "mbox1", "10.0.0.1", "core,mailstore", "0.0.0-test", "UP"),
                List.of("", "mbox2", "10.0.0.2", "mailstore,mta", "0.0.0-test", "DEGRADED (mta down)"),
                List.of("", "spare", "10.0.0.3", "-", "0.0.0-test", "UP")),
                rows(command.render()));
    }

    @Test
    public void formattedTableHasAHeader() throws Exception {
        threeNodes();
        command.setNoFormat(false);
        List<String> lines = command.render().lines().toList();
        assertTrue(lines.get(0), lines.get(0).matches(" +\\| Name +\\| Address +\\| Roles +\\| Version +\\| State *"));
        assertTrue(lines.get(2), lines.get(2).startsWith("* | mbox1 "));
        assertEquals(5, lines.size());
    }

    @Test
    public void emptyTable() throws Exception {
        command.setNoFormat(false);
        String out = command.render();
        assertTrue(out, out.contains("no cluster member visible"));
        // scripts reading --no-format get no line at all
        command.setNoFormat(true);
        assertEquals("", command.render());
    }

    @Test
    public void json() throws Exception {
        ClusterNode degraded = new ClusterNode("uuid-2", "mbox2", "mbox2.example.com", "10.0.0.2", "1.0",
                Set.of(Role.MTA, Role.CORE), Set.of(Role.MTA), java.util.Map.of("health", "http://10.0.0.2:8405/health"), false);
        cluster.setNodes(degraded);
        command.setJson(true);
        assertEquals(String.join("\n",
                "[",
                "  {",
                "    \"name\": \"mbox2\",",
                "    \"fqdn\": \"mbox2.example.com\",",
                "    \"address\": \"10.0.0.2\",",
                "    \"roles\": [",
                "      \"core\",",
                "      \"mta\"",
                "    ],",
                "    \"version\": \"1.0\",",
                "    \"state\": \"DEGRADED\",",
                "    \"unhealthyRoles\": [",
                "      \"mta\"",
                "    ],",
                "    \"endpoints\": {",
                "      \"health\": \"http://10.0.0.2:8405/health\"",
                "    },",
                "    \"local\": false,",
                "    \"id\": \"uuid-2\"",
                "  }",
                "]",
                ""), command.render());
    }

    @Test
    public void jsonOfNoNode() throws Exception {
        command.setJson(true);
        assertEquals("[]\n", command.render());
    }
}
