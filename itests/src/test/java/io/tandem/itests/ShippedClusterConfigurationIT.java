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

import javax.inject.Inject;
import java.net.http.HttpResponse;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * A node with the cluster settings as they ship (no seeds, no expected.roles) is a healthy cluster of one: it
 * expects one node of each role it plays, so it has its core quorum and the ownership lease, and /health is UP.
 * Shipped with core=3, such a node waited for two core nodes that never came (decision 0032).
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ShippedClusterConfigurationIT extends TandemKarafTestSupport {

    @Inject
    private OwnershipLease lease;

    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        return tandemConfiguration("core,mailstore", null);
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
}
