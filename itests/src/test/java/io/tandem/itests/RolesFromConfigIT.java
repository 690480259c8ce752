package io.tandem.itests;

import io.tandem.api.node.NodeIdentity;
import io.tandem.api.node.Role;
import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.startlevel.BundleStartLevel;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

import javax.inject.Inject;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * A node given {@code roles = core,mta} in its tandem.node configuration: the role features, the
 * {@code LocalNode} service, the shell commands and the health endpoints agree on it. Nothing here
 * changes the node's state (the refused {@code node:set-roles} writes nothing), so the tests share
 * one container in any order.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RolesFromConfigIT extends TandemKarafTestSupport {

    /** The start level below which a bundle is one of etc/startup.properties (features get 80). */
    private static final int STARTUP_LEVELS = 30;

    @Inject
    private BundleContext bundleContext;

    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        return tandemConfiguration("core,mta");
    }

    @Before
    public void nodeIsUp() {
        // the role services, not the features service's records: those have their own test below
        awaitActiveRoles(Role.CORE, Role.MTA);
        awaitClusterConnected();
    }

    @Test
    public void configuredRoleFeaturesAreInstalledAndNoOther() throws Exception {
        awaitRoleFeatures(Role.CORE, Role.MTA);
        for (Role role : Role.values()) {
            // every role feature is known to the features service, so "not installed" means something
            assertNotNull("feature " + role.feature() + " is not in any repository", featuresService.getFeature(role.feature()));
            boolean configured = role == Role.CORE || role == Role.MTA;
            assertEquals(role.feature() + " installed", configured, featuresService.isInstalled(featuresService.getFeature(role.feature())));
        }
    }

    @Test
    public void localNodeReportsConfiguredAndActiveRoles() {
        assertEquals(roles(Role.CORE, Role.MTA), localNode.configuredRoles());
        assertEquals(roles(Role.CORE, Role.MTA), localNode.activeRoles());
        assertEquals(List.of(Role.CORE, Role.MTA), localNode.roleStatus().stream().map(s -> s.role()).toList());
        assertTrue("configuration error: " + localNode.configurationError(), localNode.configurationError().isEmpty());
        assertTrue("activation error: " + localNode.activationError(), localNode.activationError().isEmpty());
        assertTrue("node health: " + localNode.health(), localNode.health().up());
        NodeIdentity id = localNode.identity();
        assertEquals(NODE_NAME, id.name());
        assertEquals(NODE_FQDN, id.fqdn());
        assertEquals(NODE_ADDRESS, id.address());
        assertEquals(containerProperty(VERSION), id.version());
    }

    @Test
    public void nodeInfoShowsIdentityRolesAndHealth() throws Exception {
        String out = execute("node:info");
        assertLine(out, "name", NODE_NAME);
        assertLine(out, "fqdn", NODE_FQDN);
        assertLine(out, "address", NODE_ADDRESS);
        assertLine(out, "version", containerProperty(VERSION));
        assertLine(out, "configuredRoles", "core,mta");
        assertLine(out, "activeRoles", "core,mta");
        assertLine(out, "health", "UP");
        assertLine(out, "cluster", containerProperty(CLUSTER_NAME));
        assertLine(out, "clusterConnected", "true");
        assertFalse("no configuration error expected:\n" + out, out.contains("configurationError"));
        assertFalse("no activation error expected:\n" + out, out.contains("activationError"));
    }

    @Test
    public void nodeRolesListsExactlyTheConfiguredRoles() throws Exception {
        String out = execute("node:roles");
        List<List<String>> rows = tableRows(out);
        assertEquals("rows of node:roles:\n" + out, 2, rows.size());
        assertEquals(out, List.of("core", "true", "true", "UP", "core role active"), row(rows, 0, "core", out));
        List<String> mta = row(rows, 0, "mta", out);
        assertEquals(out, List.of("mta", "true", "true", "UP"), mta.subList(0, 4));
        assertTrue(out, mta.get(4).startsWith("SMTP on smtp://" + NODE_ADDRESS + ":"));
    }

    @Test
    public void clusterNodeListMarksTheLocalNodeWithItsRoles() throws Exception {
        String out = execute("cluster:node-list");
        List<List<String>> rows = tableRows(out);
        assertEquals("rows of cluster:node-list:\n" + out, 1, rows.size());
        assertEquals(out, List.of("*", NODE_NAME, NODE_ADDRESS, "core,mta", containerProperty(VERSION), "UP"), rows.get(0));
    }

    @Test
    public void clusterNodeListJsonDescribesTheLocalNode() throws Exception {
        String out = execute("cluster:node-list --json");
        String compact = out.replaceAll("\\s+", "");
        assertTrue("a JSON array expected:\n" + out, compact.startsWith("[{") && compact.endsWith("}]"));
        assertEquals("one node expected:\n" + out, 1, count(compact, "\"name\":"));
        assertTrue(out, compact.contains("\"name\":\"" + NODE_NAME + "\""));
        assertTrue(out, compact.contains("\"fqdn\":\"" + NODE_FQDN + "\""));
        assertTrue(out, compact.contains("\"address\":\"" + NODE_ADDRESS + "\""));
        assertTrue(out, compact.contains("\"roles\":[\"core\",\"mta\"]"));
        assertTrue(out, compact.contains("\"state\":\"UP\""));
        assertTrue(out, compact.contains("\"unhealthyRoles\":[]"));
        assertTrue(out, compact.contains("\"local\":true"));
        assertTrue(out, compact.contains("\"health\":\"http://" + NODE_ADDRESS + ":" + containerProperty(HEALTH_PORT) + "/health\""));
        assertTrue(out, compact.contains("\"cluster\":\"" + NODE_ADDRESS + ":" + containerProperty(CLUSTER_PORT) + "\""));
    }

    @Test
    public void clusterRoleListShowsRedundancyOfEveryRole() throws Exception {
        // expected.roles = core=1,mta=2,mailstore=1,video=1 (EXPECTED_ROLES)
        String out = execute("cluster:role-list");
        List<List<String>> rows = tableRows(out);
        assertEquals("one row per role:\n" + out, Role.values().length, rows.size());
        assertEquals(out, List.of("core", NODE_NAME, "1", "1", "1", "OK"), row(rows, 0, "core", out));
        assertEquals(out, List.of("mta", NODE_NAME, "1", "1", "2", "DEGRADED"), row(rows, 0, "mta", out));
        assertEquals(out, List.of("mailstore", "-", "0", "0", "1", "DOWN"), row(rows, 0, "mailstore", out));
        assertEquals(out, List.of("video", "-", "0", "0", "1", "DOWN"), row(rows, 0, "video", out));
        for (String role : List.of("proxy", "files", "chats")) {
            assertEquals(out, List.of(role, "-", "0", "0", "0", "NONE_EXPECTED"), row(rows, 0, role, out));
        }
    }

    @Test
    public void clusterStatusSummarizesMembersQuorumAndDegradedRoles() throws Exception {
        String out = execute("cluster:status");
        assertLine(out, "Cluster", containerProperty(CLUSTER_NAME));
        assertLine(out, "Members", "1");
        assertLine(out, "Local node", NODE_NAME);
        assertLine(out, "Core nodes", "1 live of 1 expected");
        assertLine(out, "Core quorum", "PRESENT");
        assertLine(out, "Degraded roles", "mailstore 0/1, mta 1/2, video 0/1");
    }

    @Test
    public void setRolesRefusesAnUnknownRoleAndChangesNothing() throws Exception {
        Set<String> featuresBefore = installedRoleFeatures();
        // (JUnit inside the container is Pax Exam's 4.12 bundle: no assertThrows)
        try {
            String out = execute("node:set-roles core,bogus");
            fail("node:set-roles core,bogus should fail, printed:\n" + out);
        } catch (Exception e) {
            assertTrue("the error should name 'bogus': " + e, String.valueOf(e.getMessage()).contains("'bogus'"));
        }
        // refused before anything was written: configuration, roles and features as they were
        assertEquals("core,mta", rolesConfiguration());
        assertTrue("configuration error: " + localNode.configurationError(), localNode.configurationError().isEmpty());
        assertEquals(roles(Role.CORE, Role.MTA), localNode.configuredRoles());
        assertEquals(roles(Role.CORE, Role.MTA), localNode.activeRoles());
        assertEquals(featuresBefore, installedRoleFeatures());
    }

    @Test
    public void healthEndpointsAnswerPerRole() throws Exception {
        HttpResponse<String> core = httpGet("/health/core");
        assertEquals(core.body(), 200, core.statusCode());
        assertTrue(core.body(), core.body().replaceAll("\\s+", "").contains("\"status\":\"UP\""));

        HttpResponse<String> video = httpGet("/health/video");
        assertEquals(video.body(), 503, video.statusCode());
        assertTrue(video.body(), video.body().replaceAll("\\s+", "").contains("\"status\":\"DOWN\""));

        HttpResponse<String> unknown = httpGet("/health/nosuch");
        assertEquals(unknown.body(), 404, unknown.statusCode());
        assertTrue(unknown.body(), unknown.body().contains("nosuch"));

        HttpResponse<String> node = httpGet("/health");
        assertEquals(node.body(), 200, node.statusCode());
    }

    /**
     * The first boot installs the boot features in one deployment that stops and refreshes none of the
     * bundles Karaf starts before the features service (etc/startup.properties). When it refreshed them
     * (an optional import of a boot feature's package, the Event Admin's), it restarted the features
     * service itself, which ran the boot again: a bundle installed in that window (Pax Exam's probe, an
     * operator's) was in no region and the resolver hook refused it for good.
     */
    @Test
    public void theFirstBootIsOneDeploymentThatRefreshesNothing() throws Exception {
        Set<String> startup = new TreeSet<>();
        for (Bundle b : bundleContext.getBundles()) {
            if (b.getBundleId() != 0 && b.adapt(BundleStartLevel.class).getStartLevel() < STARTUP_LEVELS) {
                startup.add(b.getSymbolicName() + "/" + b.getVersion());
            }
        }
        assertTrue("startup bundles: " + startup, startup.stream().anyMatch(b -> b.startsWith("org.apache.karaf.features.core/")));

        List<String> steps = deploymentSteps(Path.of(System.getProperty("karaf.log"), "karaf.log"));
        long deployments = steps.stream().filter("Changes to perform:"::equals).count();
        assertTrue("the features service's steps are in the log:\n" + String.join("\n", steps), deployments >= 1);

        List<String> touched = new ArrayList<>();
        String section = "";
        for (String step : steps) {
            if (step.endsWith(":")) {
                section = step;
            } else if ((section.equals("Stopping bundles:") || section.equals("Refreshing bundles:")) && startup.contains(step.split(" ")[0])) {
                touched.add(section + " " + step);
            }
        }
        assertEquals("startup bundles stopped or refreshed by a deployment:\n" + String.join("\n", steps), List.of(), touched);
        // the boot is one deployment: the features service was never restarted to run it again
        assertEquals("features service starts:\n" + String.join("\n", steps), 1,
                Files.readAllLines(Path.of(System.getProperty("karaf.log"), "karaf.log"), StandardCharsets.UTF_8).stream()
                        .filter(l -> l.contains("Adding features:") && l.contains("tandem-base")).count());
    }

    /** The features service's messages of the container's log, trimmed, in order. */
    private static List<String> deploymentSteps(Path log) throws Exception {
        List<String> steps = new ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (line.contains("| FeaturesServiceImpl ") || line.contains("| Deployer ")) {
                steps.add(line.substring(line.lastIndexOf(" | ") + 3).trim());
            }
        }
        return steps;
    }

    /** Asserts a "key : value" line of Karaf's info style output. */
    private static void assertLine(String output, String key, String value) {
        Pattern line = Pattern.compile("(?m)^" + Pattern.quote(key) + "\\s*: " + Pattern.quote(value) + "\\s*$");
        assertTrue("expected line '" + key + " : " + value + "' in:\n" + output, line.matcher(output).find());
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }
}
