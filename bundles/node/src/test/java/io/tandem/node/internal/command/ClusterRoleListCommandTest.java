package io.tandem.node.internal.command;

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

public class ClusterRoleListCommandTest {

    private final ClusterServiceAdapter cluster = new ClusterServiceAdapter();
    private final ClusterRoleListCommand command = new ClusterRoleListCommand();

    @Before
    public void setUp() {
        cluster.setNodes(
                node("n1", "10.0.0.1", true, Role.CORE, Role.MAILSTORE),
                node("n2", "10.0.0.2", false, Set.of(Role.CORE, Role.MAILSTORE), Set.of(Role.MAILSTORE)),
                node("n3", "10.0.0.3", false, Role.CORE))
                .setExpected(Role.CORE, 3).setExpected(Role.MAILSTORE, 2).setExpected(Role.MTA, 2);
        command.cluster = cluster;
        command.setNoFormat(true);
    }

    @Test
    public void listsEveryRoleWithItsRedundancy() throws Exception {
        assertEquals(List.of(
                List.of("core", "n1,n2,n3", "3", "3", "3", "OK"),
                List.of("mailstore", "n1,n2", "2", "1", "2", "DEGRADED"),
                List.of("mta", "-", "0", "0", "2", "DOWN"),
                List.of("proxy", "-", "0", "0", "0", "NONE_EXPECTED"),
                List.of("files", "-", "0", "0", "0", "NONE_EXPECTED"),
                List.of("video", "-", "0", "0", "0", "NONE_EXPECTED"),
                List.of("chats", "-", "0", "0", "0", "NONE_EXPECTED")),
                rows(command.render()));
    }

    @Test
    public void formattedTableHasAHeader() throws Exception {
        command.setNoFormat(false);
        String header = command.render().lines().findFirst().orElseThrow();
        assertTrue(header, header.matches("Role +\\| Nodes +\\| Live \\| Healthy \\| Expected \\| Redundancy *"));
    }

    @Test
    public void json() throws Exception {
        command.setJson(true);
        String out = command.render();
        assertTrue(out, out.startsWith(String.join("\n",
                "[",
                "  {",
                "    \"role\": \"core\",",
                "    \"nodes\": [",
                "      \"n1\",",
                "      \"n2\",",
                "      \"n3\"",
                "    ],",
                "    \"live\": 3,",
                "    \"healthy\": 3,",
                "    \"expected\": 3,",
                "    \"redundancy\": \"OK\"",
                "  },")));
        assertTrue(out, out.contains(String.join("\n",
                "    \"role\": \"mailstore\",",
                "    \"nodes\": [",
                "      \"n1\",",
                "      \"n2\"",
                "    ],",
                "    \"live\": 2,",
                "    \"healthy\": 1,",
                "    \"expected\": 2,",
                "    \"redundancy\": \"DEGRADED\"")));
        assertTrue(out, out.contains("\"role\": \"mta\",\n    \"nodes\": [],\n"));
        assertEquals(7, out.split("\"role\"", -1).length - 1);
    }
}
