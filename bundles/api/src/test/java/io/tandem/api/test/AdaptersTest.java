package io.tandem.api.test;

import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.cluster.RoleRedundancy;
import io.tandem.api.node.Health;
import io.tandem.api.node.NodeIdentity;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleStatus;
import org.junit.Test;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

/** The test doubles behave as their javadoc says (other bundles' tests rely on it). */
public class AdaptersTest {

    @Test
    public void localNodeDerivesRoleStatusAndHealth() {
        LocalNodeAdapter node = new LocalNodeAdapter("n1", "127.0.0.1");
        assertEquals(new NodeIdentity("n1", "n1.test", "127.0.0.1", LocalNodeAdapter.VERSION), node.identity());
        assertEquals(List.of(), node.roleStatus());
        assertEquals(Health.up("no role configured"), node.health());

        node.setConfiguredRoles(Role.MTA, Role.CORE);
        assertEquals(List.of(new RoleStatus(Role.CORE, true, false, Health.down("not active")),
                new RoleStatus(Role.MTA, true, false, Health.down("not active"))), node.roleStatus());
        assertFalse(node.health().up());
        assertEquals("core: not active; mta: not active", node.health().detail());

        node.setRoleActive(Role.CORE, Health.up("ok")).setRoleActive(Role.MTA, Health.up("ok"));
        assertEquals(EnumSet.of(Role.CORE, Role.MTA), node.activeRoles());
        assertEquals(Health.up("all roles up"), node.health());

        node.setRoleActive(Role.VIDEO, Health.down("not configured"));
        assertEquals(new RoleStatus(Role.VIDEO, false, true, Health.down("not configured")), node.roleStatus().get(2));
        assertTrue("a role that is not configured does not make the node DOWN", node.health().up());

        node.setConfiguredRoles(Role.CORE);
        assertEquals(EnumSet.of(Role.CORE), node.configuredRoles());
        assertFalse("mta is no longer configured", node.roleStatus().get(1).configured());

        node.setRoles(Role.FILES);
        assertEquals(List.of(new RoleStatus(Role.FILES, true, true, Health.up("files up"))), node.roleStatus());
        node.setHealth(Health.down("forced"));
        assertEquals(Health.down("forced"), node.health());
    }

    @Test
    public void clusterDerivesRedundancyAndStatusFromNodes() {
        ClusterNode a = ClusterServiceAdapter.node("b-node", "127.0.0.2", false, Role.CORE, Role.MTA);
        ClusterNode b = ClusterServiceAdapter.node("a-node", "127.0.0.1", true, Set.of(Role.CORE), Set.of(Role.CORE));
        ClusterServiceAdapter cluster = new ClusterServiceAdapter().setNodes(a, b).setExpected(Role.CORE, 3);
        assertEquals(List.of("a-node", "b-node"), cluster.nodes().stream().map(ClusterNode::name).toList());
        assertEquals(List.of(b), cluster.nodes(Role.CORE).subList(0, 1));
        RoleRedundancy core = cluster.redundancy().get(0);
        assertEquals(new RoleRedundancy(Role.CORE, List.of("a-node", "b-node"), 1, 3), core);
        assertEquals(new ClusterStatus("test-cluster", true, 2, 2, 3), cluster.status());

        ClusterStatus fixed = new ClusterStatus("x", false, 0, 0, 0);
        assertEquals(fixed, cluster.setStatus(fixed).status());
        assertEquals(List.of(), cluster.setRedundancy(List.of()).redundancy());
    }

    public @interface Sample {
        String text();

        String withDefault() default "d";

        int number() default 7;

        boolean flag();
    }

    @Test
    public void configProxyUsesValuesThenDefaults() {
        Map<String, Object> values = new HashMap<>();
        values.put("text", "t");
        values.put("number", "12");
        Sample s = ConfigProxy.of(Sample.class, values);
        assertEquals("t", s.text());
        assertEquals("d", s.withDefault());
        assertEquals(12, s.number());
        assertFalse(s.flag());
        assertEquals(Sample.class, s.annotationType());

        Sample empty = ConfigProxy.of(Sample.class, Map.of());
        assertNull(empty.text());
        assertEquals(7, empty.number());

        assertThrows(IllegalArgumentException.class, () -> ConfigProxy.of(Sample.class, Map.of("txet", "x")));
    }
}
