package io.tandem.itests;

import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.cluster.OwnershipLease;
import io.tandem.api.node.Role;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

import org.ops4j.pax.exam.OptionUtils;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;

import javax.inject.Inject;
import java.io.File;
import java.net.http.HttpResponse;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.ops4j.pax.exam.karaf.options.KarafDistributionOption.replaceConfigurationFile;

/**
 * What ships and what a node keeps across upgrades. A node with the cluster settings as they ship (no seeds, no
 * expected.roles) is a healthy cluster of one: it expects one node of each role it plays, so it has its core quorum
 * and the ownership lease, and /health is UP (shipped with core=3, such a node waited for two core nodes that never
 * came: decision 0032). And an etc/ of an earlier release, whose durations end in .millis, still configures the
 * components: the keys reach them under their current .ms names.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShippedConfigurationIT extends TandemKarafTestSupport {

    private static final String LEASE = "io.tandem.failover.internal.QuorumLease";

    @Inject
    private OwnershipLease lease;

    @Inject
    private ServiceComponentRuntime scr;

    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        return OptionUtils.combine(tandemConfiguration("core,mailstore", null),
                replaceConfigurationFile("etc/tandem.failover.cfg", new File("src/test/resources/etc-before-ms/tandem.failover.cfg")));
    }

    @Test
    public void aNodeAsShippedIsAHealthyClusterOfOne() throws Exception {
        awaitClusterConnected();
        ClusterStatus status = await("a core quorum of one", () -> clusterService.status(), ClusterStatus::quorum);
        assertEquals(status.toString(), 1, status.coreExpected());
        await("the ownership lease", () -> lease.valid(), valid -> valid);
        HttpResponse<String> health = await("/health UP", () -> httpGet("/health"), r -> r.statusCode() == 200);
        assertTrue(health.body(), health.body().replaceAll("\\s+", "").contains("\"status\":\"UP\""));
        assertEquals(roles(Role.CORE, Role.MAILSTORE), localNode.activeRoles());
    }

    @Test
    public void theKeysOfAnEarlierReleaseReachTheComponentsUnderTheirCurrentNames() throws Exception {
        Map<String, Object> properties = await("the ownership lease's configuration", () -> scr.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals(LEASE)).flatMap(d -> scr.getComponentConfigurationDTOs(d).stream())
                .filter(c -> c.state == ComponentConfigurationDTO.ACTIVE).map(c -> c.properties).findFirst().orElse(null),
                p -> p != null);
        assertEquals(properties.toString(), "2500", String.valueOf(properties.get("grace.ms")));
        assertEquals(properties.toString(), "200", String.valueOf(properties.get("check.interval.ms")));
        assertFalse(properties.toString(), properties.containsKey("grace.millis"));
    }
}
