package io.tandem.itests;

import io.tandem.api.node.Role;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.Option;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.FrameworkListener;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

import javax.inject.Inject;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * Live role switches through ConfigurationAdmin (what editing etc/tandem.node.cfg or
 * {@code node:set-roles} does) on a node started with {@code roles = core,mta}. Each test brings the
 * node to the state it starts from, so the tests pass in any order.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RoleSwitchIT extends TandemKarafTestSupport {

    private static final String CLUSTER_SERVICE = "io.tandem.cluster.hazelcast.internal.HazelcastClusterService";
    private static final String LEASE = "io.tandem.failover.internal.QuorumLease";

    @Inject
    private BundleContext bundleContext;

    @Inject
    private ServiceComponentRuntime scr;

    @org.ops4j.pax.exam.Configuration
    public Option[] config() {
        return tandemConfiguration("core,mta");
    }

    @Test
    public void rolesSwitchLiveToExactlyTheConfiguredOnes() throws Exception {
        awaitClusterConnected();

        setRolesConfiguration("mailstore,video");
        awaitRoles(Role.MAILSTORE, Role.VIDEO);
        assertEquals(roles(Role.MAILSTORE, Role.VIDEO), localNode.configuredRoles());
        assertTrue("node health: " + localNode.health(), localNode.health().up());
        assertEquals(200, httpGet("/health/mailstore").statusCode());
        assertEquals(200, httpGet("/health/video").statusCode());
        assertEquals(503, httpGet("/health/core").statusCode());
        assertEquals(503, httpGet("/health/mta").statusCode());

        // and on to a disjoint set: everything of the previous one goes
        setRolesConfiguration("core,chats");
        awaitRoles(Role.CORE, Role.CHATS);
        assertEquals(roles(Role.CORE, Role.CHATS), localNode.configuredRoles());
        assertEquals(200, httpGet("/health/core").statusCode());
        assertEquals(503, httpGet("/health/video").statusCode());
    }

    @Test
    public void unknownRoleIsRefusedAndTheRolesStay() throws Exception {
        setRolesConfiguration("mailstore,video");
        await("configured roles = [mailstore, video]", () -> localNode.configuredRoles(), roles(Role.MAILSTORE, Role.VIDEO)::equals);
        awaitRoleFeatures(Role.MAILSTORE, Role.VIDEO);
        // the role activator uninstalls before it installs: once both are active, nothing moves any more
        Set<Role> activeBefore = await("mailstore and video to be active", () -> localNode.activeRoles(),
                active -> active.containsAll(roles(Role.MAILSTORE, Role.VIDEO)));

        setRolesConfiguration("mailstore,bogus");
        String error = await("the configuration mailstore,bogus to be refused",
                () -> localNode.configurationError().orElse(null), e -> e != null);
        assertTrue("the error should name 'bogus': " + error, error.contains("'bogus'"));
        assertTrue("the error should name the key: " + error, error.contains("roles"));
        // refused: the last valid configuration stays in force, nothing is installed or uninstalled
        assertEquals(roles(Role.MAILSTORE, Role.VIDEO), localNode.configuredRoles());
        assertEquals(features(Role.MAILSTORE, Role.VIDEO), installedRoleFeatures());
        assertEquals(activeBefore, localNode.activeRoles());
        String info = execute("node:info");
        assertTrue("node:info should show the refusal:\n" + info, info.matches("(?s).*configurationError\\s*: [^\\n]*'bogus'.*"));

        // a valid configuration clears the error
        setRolesConfiguration("mailstore,video");
        await("the configuration error to clear", () -> localNode.configurationError(), e -> e.isEmpty());
        assertEquals(features(Role.MAILSTORE, Role.VIDEO), installedRoleFeatures());
    }

    /**
     * The cluster service (re)started after the components that listen to it (a bundle refresh, a node's start),
     * with something that gets the ownership lease as soon as it is registered, as Karaf's shell does for the
     * commands that use it: no framework error, the lease is bound as a listener at once, and every component that
     * was active before is active again with the same services bound. The listeners are bound as service objects
     * and got off the registering thread; getting one while SCR created the cluster service for it was a service
     * cycle that the framework logged as an ERROR at some starts (the order of the framework's listeners
     * decided), which {@code HazelcastClusterServiceTest} shows without a framework. The restart waits for the
     * node's start to be complete: a component that is still activating when the cluster service is taken away
     * fails to get it (the framework says "Service factory returned null"), which is the test's doing, not a cycle.
     */
    @Test
    public void theClusterServiceStartsAfterItsListenersWithoutAServiceCycle() throws Exception {
        awaitClusterConnected();
        ComponentDescriptionDTO cluster = scr.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals(CLUSTER_SERVICE)).findFirst().orElseThrow();
        List<FrameworkEvent> errors = new CopyOnWriteArrayList<>();
        FrameworkListener listener = e -> {
            if (e.getType() == FrameworkEvent.ERROR) {
                errors.add(e);
            }
        };
        // the node's start complete (the Kafka broker component is the last to come, with its configuration): a
        // component still activating when its cluster service goes away fails to get it, which is no cycle
        Map<String, Map<String, Integer>> boundBefore = await("the core role with its Kafka broker component bound",
                this::activeComponentsAndTheirBoundServices, components -> components.entrySet().stream().anyMatch(c ->
                        c.getKey().startsWith("io.tandem.role.core.internal.CoreRole#") && c.getValue().getOrDefault("Kafka", 0) == 1),
                CLUSTER_WAIT);
        bundleContext.addFrameworkListener(listener);
        // what Karaf's shell does for the commands that use the lease: get it as soon as it is registered, on the
        // thread that registers it, which is still inside the cluster service's own registration
        org.osgi.framework.ServiceListener getter = e -> {
            if (e.getType() == org.osgi.framework.ServiceEvent.REGISTERED) {
                bundleContext.getService(e.getServiceReference());
            }
        };
        bundleContext.addServiceListener(getter, "(objectClass=" + io.tandem.api.cluster.OwnershipLease.class.getName() + ")");
        try {
            scr.disableComponent(cluster);
            await("the lease to be unsatisfied without the cluster service", () -> state(LEASE),
                    s -> s == ComponentConfigurationDTO.UNSATISFIED_REFERENCE);
            scr.enableComponent(cluster);
            await("the cluster service active with the lease bound as its listener", () -> state(CLUSTER_SERVICE)
                    == ComponentConfigurationDTO.ACTIVE && listenersBound().contains(LEASE), ok -> ok, CLUSTER_WAIT);
            await("the cluster member to be connected again", () -> {
                ServiceReference<io.tandem.api.cluster.ClusterService> ref =
                        bundleContext.getServiceReference(io.tandem.api.cluster.ClusterService.class);
                return ref != null && bundleContext.getService(ref).status().connected();
            }, ok -> ok, CLUSTER_WAIT);
        } finally {
            bundleContext.removeServiceListener(getter);
            bundleContext.removeFrameworkListener(listener);
        }
        await("every component active before the restart to be satisfied again, those active with no service fewer bound",
                this::activeComponentsAndTheirBoundServices, after -> noneLost(boundBefore, after), CLUSTER_WAIT);
        for (FrameworkEvent e : errors) {
            System.err.println("framework error while the cluster service restarted, from " + e.getBundle().getSymbolicName() + ":");
            e.getThrowable().printStackTrace();
        }
        assertEquals("framework errors while the cluster service started: " + errors.stream()
                .map(e -> e.getBundle().getSymbolicName() + ": " + e.getThrowable()).collect(Collectors.toList()), 0, errors.size());
    }

    /**
     * Each satisfied or active component configuration (by name and configuration PID), with the number of services
     * bound to each of its references when it is active (a delayed component is only satisfied until it is used).
     */
    private Map<String, Map<String, Integer>> activeComponentsAndTheirBoundServices() {
        Map<String, Map<String, Integer>> out = new TreeMap<>();
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                if (c.state == ComponentConfigurationDTO.ACTIVE || c.state == ComponentConfigurationDTO.SATISFIED) {
                    Map<String, Integer> refs = new TreeMap<>();
                    if (c.state == ComponentConfigurationDTO.ACTIVE) {
                        Arrays.stream(c.satisfiedReferences).forEach(r -> refs.put(r.name, r.boundServices.length));
                    }
                    out.put(d.name + "#" + c.properties.get("service.pid"), refs);
                }
            }
        }
        return out;
    }

    /** Every configuration of {@code before} is in {@code after}, and where it is active in both, no reference lost a service. */
    private static boolean noneLost(Map<String, Map<String, Integer>> before, Map<String, Map<String, Integer>> after) {
        return before.entrySet().stream().allMatch(b -> after.containsKey(b.getKey()) && (after.get(b.getKey()).isEmpty()
                || b.getValue().entrySet().stream().allMatch(r -> after.get(b.getKey()).getOrDefault(r.getKey(), 0) >= r.getValue())));
    }

    /** The state of the configuration of the component {@code name} (0 when it has none). */
    private int state(String name) {
        return scr.getComponentDescriptionDTOs().stream().filter(d -> d.name.equals(name))
                .flatMap(d -> scr.getComponentConfigurationDTOs(d).stream()).mapToInt(c -> c.state).findFirst().orElse(0);
    }

    /** The components bound to the cluster service's listener reference. */
    private Set<String> listenersBound() {
        ComponentDescriptionDTO cluster = scr.getComponentDescriptionDTOs().stream()
                .filter(d -> d.name.equals(CLUSTER_SERVICE)).findFirst().orElseThrow();
        return scr.getComponentConfigurationDTOs(cluster).stream()
                .flatMap(c -> Arrays.stream(c.satisfiedReferences))
                .filter(r -> r.name.equals("ClusterListener"))
                .flatMap(r -> Arrays.stream(r.boundServices))
                .map(s -> String.valueOf(s.properties.get("component.name")))
                .collect(Collectors.toSet());
    }
}
