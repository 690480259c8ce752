package io.tandem.node.internal;

import io.tandem.api.node.Health;
import io.tandem.api.node.NodeIdentity;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import io.tandem.api.node.RoleStatus;
import io.tandem.api.test.ConfigProxy;
import org.junit.After;
import org.junit.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

public class NodeComponentTest {

    private static final long WAIT_SECONDS = 10;
    private final List<NodeComponent> started = new ArrayList<>();

    @After
    public void stop() {
        started.forEach(NodeComponent::deactivate);
    }

    private static NodeComponent.Config config(String roles) {
        return ConfigProxy.of(NodeComponent.Config.class,
                Map.of("node_name", "mbox1", "node_fqdn", "mbox1.example.com", "node_address", "127.0.0.1", "roles", roles));
    }

    private NodeComponent start(RecordingInstaller installer, String roles) throws InterruptedException {
        NodeComponent node = new NodeComponent(installer, "1.2.3", config(roles));
        started.add(node);
        awaitRoles(node);
        return node;
    }

    private static void awaitRoles(NodeComponent node) throws InterruptedException {
        assertTrue("role activation still busy after " + WAIT_SECONDS + " s", node.awaitRoles(WAIT_SECONDS));
    }

    private static Set<String> features(String... names) {
        return new TreeSet<>(List.of(names));
    }

    private static RoleService roleService(Role role, Health health) {
        return new RoleService() {
            @Override
            public Role role() {
                return role;
            }

            @Override
            public Health health() {
                return health;
            }
        };
    }

    @Test
    public void identityComesFromTheConfiguration() throws Exception {
        NodeComponent node = start(new RecordingInstaller(), "");
        assertEquals(new NodeIdentity("mbox1", "mbox1.example.com", "127.0.0.1", "1.2.3"), node.identity());
    }

    @Test
    public void installsExactlyTheConfiguredRoleFeatures() throws Exception {
        RecordingInstaller installer = new RecordingInstaller("tandem-role-mta", "tandem-role-video", "tandem-health", "ssh");
        NodeComponent node = start(installer, "core,mailstore");

        assertEquals(features("tandem-role-core", "tandem-role-mailstore"), installer.roleFeatures());
        assertEquals(List.of("uninstall [tandem-role-mta, tandem-role-video]",
                "install [tandem-role-core, tandem-role-mailstore]"), installer.calls);
        assertTrue("other features are left alone", installer.installed.containsAll(Set.of("tandem-health", "ssh")));
        assertEquals(EnumSet.of(Role.CORE, Role.MAILSTORE), node.configuredRoles());
        assertEquals(Optional.empty(), node.activationError());
        assertEquals(Optional.empty(), node.configurationError());
    }

    @Test
    public void nothingIsChangedWhenTheRightFeaturesAreInstalled() throws Exception {
        RecordingInstaller installer = new RecordingInstaller("tandem-role-core");
        start(installer, "core");
        assertEquals(List.of(), installer.calls);
    }

    @Test
    public void noRoleUninstallsEveryRoleFeature() throws Exception {
        RecordingInstaller installer = new RecordingInstaller("tandem-role-core", "tandem-role-chats");
        NodeComponent node = start(installer, "");
        assertEquals(features(), installer.roleFeatures());
        assertEquals(List.of("uninstall [tandem-role-chats, tandem-role-core]"), installer.calls);
        assertEquals(Health.up("no role configured"), node.health());
    }

    @Test
    public void invalidConfigurationFailsActivation() {
        NodeComponent.Config bad = ConfigProxy.of(NodeComponent.Config.class,
                Map.of("node_name", "mbox1", "node_address", "127.0.0.1", "roles", "core,bogus"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> started.add(new NodeComponent(new RecordingInstaller(), "1.2.3", bad)));
        assertTrue(e.getMessage(), e.getMessage().contains("'bogus'"));
    }

    @Test
    public void modifiedRolesSwitchTheFeatures() throws Exception {
        RecordingInstaller installer = new RecordingInstaller();
        NodeComponent node = start(installer, "core,mailstore");
        installer.calls.clear();

        node.modified(config("mailstore, mta"));
        awaitRoles(node);

        assertEquals(features("tandem-role-mailstore", "tandem-role-mta"), installer.roleFeatures());
        assertEquals(List.of("uninstall [tandem-role-core]", "install [tandem-role-mta]"), installer.calls);
        assertEquals(EnumSet.of(Role.MAILSTORE, Role.MTA), node.configuredRoles());
    }

    @Test
    public void modifiedWithAnUnknownRoleKeepsTheOldRoles() throws Exception {
        RecordingInstaller installer = new RecordingInstaller();
        NodeComponent node = start(installer, "core");
        installer.calls.clear();

        node.modified(config("core,mailstor"));
        awaitRoles(node);

        assertEquals(EnumSet.of(Role.CORE), node.configuredRoles());
        assertEquals(features("tandem-role-core"), installer.roleFeatures());
        assertEquals("nothing installed or uninstalled", List.of(), installer.calls);
        String error = node.configurationError().orElseThrow(() -> new AssertionError("no configuration error"));
        assertTrue(error, error.contains("'mailstor'"));
        assertTrue(error, error.contains("roles"));

        // a valid configuration clears the error and is applied
        node.modified(config("mta"));
        awaitRoles(node);
        assertEquals(Optional.empty(), node.configurationError());
        assertEquals(features("tandem-role-mta"), installer.roleFeatures());
    }

    @Test
    public void modifiedWithABadAddressKeepsTheIdentity() throws Exception {
        NodeComponent node = start(new RecordingInstaller(), "core");
        node.modified(ConfigProxy.of(NodeComponent.Config.class,
                Map.of("node_name", "mbox1", "node_address", "mbox1.example.com", "roles", "")));
        assertEquals("127.0.0.1", node.identity().address());
        assertEquals(EnumSet.of(Role.CORE), node.configuredRoles());
        String error = node.configurationError().orElseThrow(() -> new AssertionError("no configuration error"));
        assertTrue(error, error.contains("node.address") && error.contains("'mbox1.example.com'"));
    }

    @Test
    public void aFailingInstallerIsReportedAsActivationError() throws Exception {
        RecordingInstaller installer = new RecordingInstaller();
        installer.failure = new IllegalStateException("repository unreachable");
        NodeComponent node = start(installer, "core");

        String error = node.activationError().orElseThrow(() -> new AssertionError("no activation error"));
        assertTrue(error, error.contains("repository unreachable"));
        assertTrue(error, error.contains("[core]"));
        RoleStatus core = node.roleStatus().get(0);
        assertEquals(new RoleStatus(Role.CORE, true, false, core.health()), core);
        assertFalse(core.health().up());
        assertTrue("the role's detail gives the reason: " + core.health().detail(),
                core.health().detail().contains("repository unreachable"));
        assertFalse(node.health().up());

        // the next change that succeeds clears the error
        installer.failure = null;
        node.modified(config("core"));
        awaitRoles(node);
        assertEquals(Optional.empty(), node.activationError());
        assertEquals(features("tandem-role-core"), installer.roleFeatures());
    }

    @Test
    public void configuredActiveAndHealthyRolesMakeTheNodeUp() throws Exception {
        NodeComponent node = start(new RecordingInstaller(), "core,mailstore");
        node.addRoleService(roleService(Role.CORE, Health.up("core ok")));
        node.addRoleService(roleService(Role.MAILSTORE, Health.up("mailstore ok")));

        assertEquals(List.of(new RoleStatus(Role.CORE, true, true, Health.up("core ok")),
                new RoleStatus(Role.MAILSTORE, true, true, Health.up("mailstore ok"))), node.roleStatus());
        assertEquals(EnumSet.of(Role.CORE, Role.MAILSTORE), node.activeRoles());
        assertEquals(Health.up("all roles up"), node.health());
    }

    @Test
    public void aConfiguredRoleThatIsNotActiveIsDown() throws Exception {
        NodeComponent node = start(new RecordingInstaller(), "core,mailstore");
        node.addRoleService(roleService(Role.CORE, Health.up("core ok")));

        assertEquals(new RoleStatus(Role.MAILSTORE, true, false, Health.down("not active")), node.roleStatus().get(1));
        assertEquals(Health.down("mailstore: not active"), node.health());
    }

    @Test
    public void anUnhealthyRoleMakesTheNodeDown() throws Exception {
        NodeComponent node = start(new RecordingInstaller(), "core");
        node.addRoleService(roleService(Role.CORE, Health.down("quorum lost")));
        assertEquals(Health.down("core: quorum lost"), node.health());
    }

    @Test
    public void aFailingHealthCheckIsDown() throws Exception {
        NodeComponent node = start(new RecordingInstaller(), "core");
        node.addRoleService(new RoleService() {
            @Override
            public Role role() {
                return Role.CORE;
            }

            @Override
            public Health health() {
                throw new IllegalStateException("boom");
            }
        });
        Health core = node.roleStatus().get(0).health();
        assertFalse(core.up());
        assertTrue(core.detail(), core.detail().startsWith("health check failed") && core.detail().contains("boom"));
        assertFalse(node.health().up());
    }

    @Test
    public void anActiveRoleThatIsNotConfiguredIsReported() throws Exception {
        NodeComponent node = start(new RecordingInstaller(), "core");
        node.addRoleService(roleService(Role.CORE, Health.up("core ok")));
        RoleService video = roleService(Role.VIDEO, Health.up("video ok"));
        node.addRoleService(video);

        List<RoleStatus> status = node.roleStatus();
        assertEquals(2, status.size());
        RoleStatus v = status.get(1);
        assertEquals(Role.VIDEO, v.role());
        assertFalse(v.configured());
        assertTrue(v.active());
        assertEquals(Health.down("active but not configured on this node"), v.health());
        assertEquals(EnumSet.of(Role.CORE, Role.VIDEO), node.activeRoles());
        assertTrue("only configured roles count for the node's health", node.health().up());

        node.removeRoleService(video);
        assertEquals(EnumSet.of(Role.CORE), node.activeRoles());
        assertEquals(1, node.roleStatus().size());
    }
}
