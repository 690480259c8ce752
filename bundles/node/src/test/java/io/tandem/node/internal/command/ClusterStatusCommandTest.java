package io.tandem.node.internal.command;

import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.node.Role;
import io.tandem.api.test.ClusterServiceAdapter;
import org.junit.Before;
import org.junit.Test;

import java.util.Set;

import static io.tandem.api.test.ClusterServiceAdapter.node;
import static io.tandem.node.internal.command.CommandOutput.assertValue;
import static org.junit.Assert.assertTrue;

public class ClusterStatusCommandTest {

    private final ClusterServiceAdapter cluster = new ClusterServiceAdapter().setClusterName("prod");
    private final ClusterStatusCommand command = new ClusterStatusCommand();

    @Before
    public void setUp() {
        cluster.setExpected(Role.CORE, 3).setExpected(Role.MAILSTORE, 2).setExpected(Role.MTA, 1);
        command.cluster = cluster;
    }

    @Test
    public void quorumPresentWithTwoOfThreeCoreNodes() throws Exception {
        cluster.setNodes(
                node("n1", "10.0.0.1", true, Role.CORE, Role.MAILSTORE, Role.MTA),
                node("n2", "10.0.0.2", false, Set.of(Role.CORE, Role.MAILSTORE), Set.of(Role.MAILSTORE)));
        String out = command.render();
        assertValue(out, "Cluster", "prod");
        assertValue(out, "Members", "2");
        assertValue(out, "Local node", "n1");
        assertValue(out, "Core nodes", "2 live of 3 expected");
        assertValue(out, "Core quorum", "PRESENT");
        assertValue(out, "Degraded roles", "core 2/3, mailstore 1/2");
    }

    @Test
    public void quorumAbsentWithOneOfThreeCoreNodes() throws Exception {
        cluster.setNodes(node("n1", "10.0.0.1", true, Role.CORE, Role.MAILSTORE, Role.MTA),
                node("n2", "10.0.0.2", false, Role.MAILSTORE));
        String out = command.render();
        assertValue(out, "Core nodes", "1 live of 3 expected");
        assertValue(out, "Core quorum", "ABSENT");
        assertValue(out, "Degraded roles", "core 1/3");
    }

    @Test
    public void nothingDegraded() throws Exception {
        cluster.setExpected(Role.CORE, 1).setExpected(Role.MAILSTORE, 0).setExpected(Role.MTA, 0)
                .setNodes(node("n1", "10.0.0.1", true, Role.CORE));
        String out = command.render();
        assertValue(out, "Core quorum", "PRESENT");
        assertValue(out, "Degraded roles", "none");
    }

    @Test
    public void notConnected() throws Exception {
        cluster.setStatus(new ClusterStatus("prod", false, 1, 0, 3));
        String out = command.render();
        assertValue(out, "Cluster", "prod (not connected)");
        assertValue(out, "Local node", "null");
        assertValue(out, "Core quorum", "ABSENT");
    }

    @Test
    public void json() throws Exception {
        cluster.setNodes(node("n1", "10.0.0.1", true, Role.CORE, Role.MAILSTORE, Role.MTA),
                node("n2", "10.0.0.2", false, Role.CORE));
        command.setJson(true);
        String out = command.render();
        assertTrue(out, out.equals(String.join("\n",
                "{",
                "  \"cluster\": \"prod\",",
                "  \"connected\": true,",
                "  \"members\": 2,",
                "  \"localNode\": \"n1\",",
                "  \"coreLive\": 2,",
                "  \"coreExpected\": 3,",
                "  \"quorum\": true,",
                "  \"degradedRoles\": [",
                "    \"core 2/3\",",
                "    \"mailstore 1/2\"",
                "  ]",
                "}",
                "")));
    }
}
