package io.tandem.cluster.hazelcast.internal;

import io.tandem.api.concurrent.Threads;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.EntryListener;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.map.MapEvent;
import com.hazelcast.replicatedmap.ReplicatedMap;
import io.tandem.api.cluster.ClusterEvent;
import io.tandem.api.cluster.ClusterListener;
import io.tandem.api.cluster.ClusterMessageListener;
import io.tandem.api.cluster.ClusterMessaging;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.cluster.ClusterService;
import io.tandem.api.cluster.ClusterStatus;
import io.tandem.api.cluster.RoleRedundancy;
import io.tandem.api.node.Endpoint;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.NodeIdentity;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleStatus;
import org.osgi.service.component.ComponentServiceObjects;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Cluster membership on an embedded Hazelcast member. Hazelcast carries membership and each node's
 * published record (roles, health, endpoints) in a replicated map; nothing that needs agreement
 * lives here. Every Hazelcast type stays inside this class.
 */
@Component(service = {ClusterService.class, ClusterMessaging.class}, configurationPid = HazelcastClusterService.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = HazelcastClusterService.Config.class)
public class HazelcastClusterService implements ClusterService, ClusterMessaging {

    public static final String PID = "tandem.cluster";
    /** A cluster connection on which the peer sent nothing this long after it was opened is closed (see {@link #closeUnanswered}). */
    static final long UNANSWERED_MILLIS = 3000;
    static final String NODES_MAP = "tandem.nodes";
    static final String MESSAGES_TOPIC = "tandem.messages";
    private static final Logger LOG = LoggerFactory.getLogger(HazelcastClusterService.class);

    @ObjectClassDefinition(name = "Tandem cluster", description = "Cluster membership (embedded Hazelcast member)")
    public @interface Config {
        @AttributeDefinition(description = "Cluster name; nodes with another name never join this cluster")
        String cluster_name() default "tandem";

        @AttributeDefinition(description = "Comma separated seed members, address[:port]; the node joins through them")
        String seeds() default "";

        @AttributeDefinition(description = "Cluster port, bound on node.address only")
        int port() default 5701;

        @AttributeDefinition(description = "Heartbeat interval in seconds")
        int heartbeat_interval_seconds() default 1;

        @AttributeDefinition(description = "A member silent for this many seconds is removed (a hung node leaves within it + 1 s)")
        int failure_detection_seconds() default 5;

        @AttributeDefinition(description = "How many nodes each role should have, e.g. core=3,mailstore=2; core is the quorum base. "
                + "Empty: a cluster of this node alone (one node of each role it plays), only without seeds")
        String expected_roles() default "";

        @AttributeDefinition(description = "How often the local record (roles, health, endpoints) is checked and republished, in ms")
        int publish_interval_ms() default 500;

        @AttributeDefinition(description = "How often the local record is written again although unchanged, in ms: the records map "
                + "is replicated asynchronously, and a member that missed an update (a split, a merge) gets it back within this")
        int record_refresh_ms() default 5000;
    }

    private final LocalNode localNode;
    private final Config config;
    /** The configured counts; empty for a cluster of this node alone (see {@link #expected()}). */
    private final Map<Role, Integer> configuredExpected;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Map<String, String> endpoints = new java.util.concurrent.ConcurrentHashMap<>();
    private final ScheduledExecutorService executor;
    private volatile HazelcastInstance instance;
    private volatile ReplicatedMap<String, String> nodesMap;
    private volatile com.hazelcast.topic.ITopic<String> messages;
    private final Map<ClusterMessageListener, java.util.Set<String>> messageListeners = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ExecutorService messageDispatch = Executors.newSingleThreadExecutor(Threads.named("tandem-cluster-messages"));
    /** Writes this node's record to the records map, off the thread that dispatches membership changes. */
    /** Gets the whiteboard's listeners from the framework (which may wait on SCR), off the dispatch thread. */
    private final ExecutorService resolver = Executors.newSingleThreadExecutor(Threads.named("tandem-cluster-listeners"));
    private final ExecutorService publisher = Executors.newSingleThreadExecutor(Threads.named("tandem-cluster-publish"));
    private final java.util.concurrent.atomic.AtomicBoolean publishing = new java.util.concurrent.atomic.AtomicBoolean();
    /** Set when a member joined or this member merged: the next publication writes the record even if unchanged. */
    private final java.util.concurrent.atomic.AtomicBoolean republish = new java.util.concurrent.atomic.AtomicBoolean(true);
    /** When the local record was last written (System.nanoTime()); touched only by the publisher thread. */
    private long lastWrite;
    private volatile String boundAddress;
    /** Last membership view dispatched to listeners; touched only by the executor thread. */
    private volatile Map<String, ClusterNode> lastView = Map.of();

    @Activate
    public HazelcastClusterService(@Reference LocalNode localNode, Config config) {
        this.localNode = localNode;
        this.config = config;
        validate(config);
        this.configuredExpected = config.expected_roles().isBlank() ? Map.of() : ExpectedRoles.parse(PID, config.expected_roles());
        this.executor = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-cluster"));
        executor.execute(this::start);
        executor.scheduleWithFixedDelay(this::tick, config.publish_interval_ms(),
                config.publish_interval_ms(), TimeUnit.MILLISECONDS);
        executor.scheduleWithFixedDelay(this::closeUnanswered, 1000, 1000, TimeUnit.MILLISECONDS);
    }

    private static void validate(Config c) {
        if (c.cluster_name() == null || !c.cluster_name().matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException(PID + ": cluster.name = '" + c.cluster_name() + "' is invalid: letters, digits, '.', '_', '-'");
        }
        if (c.port() < 1 || c.port() > 65535) {
            throw new IllegalArgumentException(PID + ": port = " + c.port() + " is out of range 1..65535");
        }
        if (c.heartbeat_interval_seconds() < 1) {
            throw new IllegalArgumentException(PID + ": heartbeat.interval.seconds = " + c.heartbeat_interval_seconds() + " must be >= 1");
        }
        if (c.failure_detection_seconds() <= c.heartbeat_interval_seconds()) {
            throw new IllegalArgumentException(PID + ": failure.detection.seconds = " + c.failure_detection_seconds()
                    + " must be greater than heartbeat.interval.seconds (" + c.heartbeat_interval_seconds() + ")");
        }
        if (c.publish_interval_ms() < 50) {
            throw new IllegalArgumentException(PID + ": publish.interval.ms = " + c.publish_interval_ms() + " must be >= 50");
        }
        if (c.record_refresh_ms() < c.publish_interval_ms()) {
            throw new IllegalArgumentException(PID + ": record.refresh.ms = " + c.record_refresh_ms()
                    + " must be >= publish.interval.ms (" + c.publish_interval_ms() + ")");
        }
        for (String seed : seeds(c)) {
            if (!seed.matches("[A-Za-z0-9.:\\[\\]_-]+")) {
                throw new IllegalArgumentException(PID + ": seeds entry '" + seed + "' is invalid: expected address[:port]");
            }
        }
        if (c.expected_roles().isBlank() && !seeds(c).isEmpty()) {
            // a guess here would be the quorum base: with core=1 each side of a split would hold a quorum of its own
            throw new IllegalArgumentException(PID + ": expected.roles is empty while seeds = '" + c.seeds() + "' name other nodes: "
                    + "say how many nodes each role has, e.g. core=3,mailstore=2 (core is the quorum base); empty is for a "
                    + "cluster of this node alone");
        }
    }

    private static List<String> seeds(Config c) {
        List<String> out = new ArrayList<>();
        for (String s : c.seeds().split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }

    @Deactivate
    void deactivate() {
        executor.shutdownNow();
        resolver.shutdownNow();
        publisher.shutdownNow();
        messageDispatch.shutdownNow();
        stopMember();
        LOG.info("Stopped cluster member");
    }

    /**
     * The whiteboard's listeners are bound as service objects and got on a thread of their own right after: most
     * of them (the ownership lease, the failover coordinator, supervised services) reference this service, and
     * getting one while SCR created the service for it was a cycle that SCR logged as an ERROR (and resolved by
     * binding that listener later). Getting one may wait on SCR (a component being created): never on the thread
     * that dispatches membership events, and a listener not got yet keeps its events, in order, until it is.
     */
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, service = ClusterListener.class)
    void bindClusterListener(ComponentServiceObjects<ClusterListener> objects) {
        Listener l = new Listener(objects, null);
        listeners.add(l);
        resolveSoon(l);
    }

    void unbindClusterListener(ComponentServiceObjects<ClusterListener> objects) {
        for (Listener l : listeners) {
            if (l.sameService(objects) && listeners.remove(l)) {
                l.release();
            }
        }
    }

    /** A listener given directly (tests). */
    void addClusterListener(ClusterListener listener) {
        listeners.add(new Listener(null, listener));
    }

    /** Gets the listener's service object on the resolver thread, then hands it the events it missed meanwhile. */
    private void resolveSoon(Listener l) {
        if (!l.resolving.compareAndSet(false, true)) {
            return;
        }
        try {
            resolver.execute(() -> {
                try {
                    if (l.resolve()) {
                        executor.execute(l::deliverMissed);
                    }
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // shutting down
                } finally {
                    l.resolving.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            l.resolving.set(false); // shutting down
        }
    }

    /** Events a listener not got yet keeps at most (a membership change is a few): the oldest go beyond. */
    static final int MAX_MISSED = 10_000;

    /** A listener of the whiteboard: its service object once got; or one given directly. */
    private static final class Listener {
        private final ComponentServiceObjects<ClusterListener> objects;
        private volatile ClusterListener service;
        private volatile boolean released;
        final java.util.concurrent.atomic.AtomicBoolean resolving = new java.util.concurrent.atomic.AtomicBoolean();
        /** Events that came while the service object could not be had yet; touched only by the dispatch thread. */
        private final java.util.ArrayDeque<ClusterEvent> missed = new java.util.ArrayDeque<>();

        Listener(ComponentServiceObjects<ClusterListener> objects, ClusterListener service) {
            this.objects = objects;
            this.service = service;
        }

        boolean sameService(ComponentServiceObjects<ClusterListener> other) {
            if (objects == null) {
                return false;
            }
            Object ref = objects.getServiceReference();
            return objects == other || ref != null && ref.equals(other.getServiceReference());
        }

        /** On the resolver thread: gets the service object; true when it was got now. */
        boolean resolve() {
            if (service != null || released || objects == null) {
                return false;
            }
            ClusterListener got;
            try {
                got = objects.getService();
            } catch (RuntimeException e) {
                LOG.warn("Cluster listener {} not available yet ({}): its events wait for it", objects.getServiceReference(), e.toString());
                return false;
            }
            if (got == null) {
                LOG.warn("Cluster listener {} not available yet: its events wait for it", objects.getServiceReference());
                return false;
            }
            synchronized (this) {
                if (released) {
                    objects.ungetService(got);
                    return false;
                }
                service = got;
            }
            return true;
        }

        /**
         * On the dispatch thread: the event to the listener, after those it missed; false when it is not got yet
         * (the event is kept for it).
         */
        boolean deliver(ClusterEvent event) {
            ClusterListener s = service;
            if (s == null) {
                if (!released && objects != null) {
                    if (missed.size() >= MAX_MISSED) {
                        ClusterEvent dropped = missed.poll();
                        LOG.warn("Cluster listener {} not available for {} events: the oldest ({} {}) is dropped",
                                objects.getServiceReference(), MAX_MISSED, dropped.type(), dropped.node().name());
                    }
                    missed.add(event);
                }
                return false;
            }
            deliverMissed();
            call(s, event);
            return true;
        }

        /** On the dispatch thread: the events kept while the listener could not be had, in order. */
        void deliverMissed() {
            ClusterListener s = service;
            while (s != null && !missed.isEmpty()) {
                call(s, missed.poll());
            }
        }

        private static void call(ClusterListener l, ClusterEvent event) {
            try {
                l.clusterChanged(event);
            } catch (RuntimeException e) {
                LOG.warn("Cluster listener {} failed on {}: {}", l, event.type(), e.toString());
            }
        }

        synchronized void release() {
            released = true;
            ClusterListener s = service;
            service = null;
            if (s != null && objects != null) {
                try {
                    objects.ungetService(s);
                } catch (RuntimeException e) {
                    LOG.debug("Cluster listener {} already gone: {}", objects.getServiceReference(), e.toString());
                }
            }
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addMessageListener(ClusterMessageListener listener, Map<String, Object> properties) {
        Object topic = properties.get(ClusterMessageListener.TOPIC_PROPERTY);
        if (topic == null) {
            LOG.warn("Cluster message listener {} has no {} property: ignored", listener, ClusterMessageListener.TOPIC_PROPERTY);
            return;
        }
        // one topic, or several (a String[] / collection property: the same key repeated in the component)
        java.util.Set<String> topics = topic instanceof String[] a ? java.util.Set.of(a)
                : topic instanceof java.util.Collection<?> c ? c.stream().map(Object::toString).collect(java.util.stream.Collectors.toUnmodifiableSet())
                : java.util.Set.of(topic.toString());
        messageListeners.put(listener, topics);
    }

    void removeMessageListener(ClusterMessageListener listener) {
        messageListeners.remove(listener);
    }

    @Override
    public void publish(String topic, String message) {
        if (topic.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("topic '" + topic + "' must not contain a newline");
        }
        com.hazelcast.topic.ITopic<String> t = messages;
        if (t == null) {
            // not joined yet: the local listeners still hear it, the others read the truth from its source
            deliver(topic + "\n" + message);
            return;
        }
        t.publish(topic + "\n" + message);
    }

    private void deliver(String payload) {
        int nl = payload.indexOf('\n');
        if (nl < 0) {
            return;
        }
        String topic = payload.substring(0, nl);
        String message = payload.substring(nl + 1);
        messageDispatch.execute(() -> messageListeners.forEach((listener, wanted) -> {
            if (wanted.contains(topic)) {
                try {
                    listener.onMessage(topic, message);
                } catch (RuntimeException e) {
                    LOG.warn("Cluster message listener {} failed on topic {}: {}", listener, topic, e.toString());
                }
            }
        }));
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addEndpoint(Endpoint endpoint) {
        endpoints.put(endpoint.name(), endpoint.uri());
    }

    void removeEndpoint(Endpoint endpoint) {
        endpoints.remove(endpoint.name(), endpoint.uri());
    }

    // ---- member lifecycle (executor thread) ----

    private void start() {
        NodeIdentity id = localNode.identity();
        Config c = config;
        com.hazelcast.config.Config hz = new com.hazelcast.config.Config();
        hz.setClassLoader(getClass().getClassLoader());
        hz.setClusterName(c.cluster_name());
        hz.setInstanceName("tandem-" + id.name() + "-" + System.identityHashCode(this));
        hz.setProperty("hazelcast.logging.type", "slf4j");
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.shutdownhook.enabled", "false");
        hz.setProperty("hazelcast.socket.bind.any", "false");
        hz.setProperty("hazelcast.local.localAddress", id.address());
        hz.setProperty("hazelcast.heartbeat.interval.seconds", Integer.toString(c.heartbeat_interval_seconds()));
        hz.setProperty("hazelcast.max.no.heartbeat.seconds", Integer.toString(c.failure_detection_seconds()));
        hz.setProperty("hazelcast.wait.seconds.before.join", "1");
        hz.setProperty("hazelcast.max.wait.seconds.before.join", "5");
        hz.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        hz.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        hz.setProperty("hazelcast.graceful.shutdown.max.wait", "10");
        hz.setProperty("hazelcast.integrity-checker.enabled", "false");
        NetworkConfig network = hz.getNetworkConfig();
        network.setPort(c.port()).setPortAutoIncrement(false).setReuseAddress(true);
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setMembers(seedsOrSelf(c, id));
        hz.getMemberAttributeConfig()
                .setAttribute("tandem.name", id.name())
                .setAttribute("tandem.fqdn", id.fqdn())
                .setAttribute("tandem.version", id.version());

        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(Hazelcast.class.getClassLoader());
        try {
            HazelcastInstance hi = Hazelcast.newHazelcastInstance(hz);
            ReplicatedMap<String, String> map = hi.getReplicatedMap(NODES_MAP);
            hi.getCluster().addMembershipListener(new MembershipListener() {
                @Override
                public void memberAdded(MembershipEvent e) {
                    // the newcomer's copy of the records map may lack ours (it was in another part of a split)
                    republish.set(true);
                    refreshSoon();
                }

                @Override
                public void memberRemoved(MembershipEvent e) {
                    refreshSoon();
                }
            });
            map.addEntryListener(new NodesMapListener());
            com.hazelcast.topic.ITopic<String> topic = hi.getTopic(MESSAGES_TOPIC);
            topic.addMessageListener(m -> deliver(m.getMessageObject()));
            hi.getLifecycleService().addLifecycleListener(e -> {
                if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
                    LOG.info("Rejoined the cluster after a split; republishing this node");
                    republish.set(true);
                    refreshSoon();
                }
            });
            instance = hi;
            nodesMap = map;
            messages = topic;
            boundAddress = id.address();
            LOG.info("Started cluster member {} in cluster '{}' on {}:{} (seeds {}), failure detection {} s",
                    id.name(), c.cluster_name(), id.address(), c.port(), seeds(c), c.failure_detection_seconds());
            tick();
        } catch (RuntimeException e) {
            LOG.error("Cluster member could not start on {}:{}: {} (retrying in 5 s)", id.address(), c.port(), e.getMessage(), e);
            if (!executor.isShutdown()) {
                executor.schedule(this::start, 5, TimeUnit.SECONDS);
            }
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    private static List<String> seedsOrSelf(Config c, NodeIdentity id) {
        List<String> seeds = seeds(c);
        return seeds.isEmpty() ? List.of(id.address() + ":" + c.port()) : seeds;
    }

    private void stopMember() {
        HazelcastInstance hi = instance;
        instance = null;
        nodesMap = null;
        messages = null;
        if (hi != null) {
            try {
                hi.shutdown();
            } catch (RuntimeException e) {
                LOG.warn("Cluster member did not shut down cleanly: {}", e.toString());
            }
        }
    }

    private void refreshSoon() {
        if (!executor.isShutdown()) {
            try {
                executor.execute(this::tick);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // shutting down
            }
        }
    }

    /** Publishes the local record when it changed, prunes records of departed members, dispatches events. */
    private void tick() {
        try {
            HazelcastInstance hi = instance;
            if (hi == null || !hi.getLifecycleService().isRunning()) {
                return;
            }
            if (!Objects.equals(boundAddress, localNode.identity().address())) {
                LOG.info("node.address changed from {} to {}: restarting the cluster member",
                        boundAddress, localNode.identity().address());
                stopMember();
                start();
                return;
            }
            // membership first: a write to the records map waits while the partition owning its key is on a
            // member that just died, and a departure must not wait for that (automatic failover counts from it)
            dispatch();
            if (publishing.compareAndSet(false, true)) {
                publisher.execute(() -> {
                    try {
                        publish(hi);
                    } finally {
                        publishing.set(false);
                    }
                });
            }
        } catch (RuntimeException e) {
            LOG.warn("Cluster publication failed: {}", e.toString());
        }
    }

    /**
     * Closes the cluster connections on which the peer has sent nothing for {@link #UNANSWERED_MILLIS} since
     * they were opened. A hung node (SIGSTOP, a stalled VM) accepts connections and never answers; on such a
     * connection Hazelcast 5.7's network thread waits for the peer's protocol bytes by running the connection
     * again and again, and every other connection served by that thread stops sending (heartbeats included),
     * so the others remove this node and the cluster splits. A live member answers a new connection within
     * milliseconds; a connection closed here is opened again when it is needed.
     */
    void closeUnanswered() {
        try {
            if (!(instance instanceof com.hazelcast.instance.impl.HazelcastInstanceProxy proxy)) {
                return;
            }
            long now = System.currentTimeMillis();
            for (com.hazelcast.internal.server.ServerConnection c : proxy.getOriginal().node.getServer()
                    .getConnectionManager(com.hazelcast.instance.EndpointQualifier.MEMBER).getConnections()) {
                if (c.isAlive() && c.lastReadTimeMillis() < 0 && now - c.getStartTime() > UNANSWERED_MILLIS) {
                    LOG.warn("Closing the cluster connection to {}: nothing received in {} ms since it was opened (a hung node?)",
                            c.getRemoteSocketAddress(), now - c.getStartTime());
                    c.close("nothing received in " + UNANSWERED_MILLIS + " ms since it was opened", null);
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("Check of unanswered cluster connections failed: {}", e.toString());
        }
    }

    /**
     * Writes this node's record when it changed, when a member joined, and every {@code record.refresh.ms}
     * anyway: the records map is replicated asynchronously, so another member's copy can miss a write that
     * this member's copy has (a split and its merge, a partition owner that died before replicating). The
     * oldest member removes the records of departed ones.
     */
    private void publish(HazelcastInstance hi) {
        try {
            if (!hi.getLifecycleService().isRunning()) {
                return;
            }
            ReplicatedMap<String, String> map = nodesMap;
            String localId = hi.getCluster().getLocalMember().getUuid().toString();
            String record = localRecord().encode();
            long now = System.nanoTime();
            boolean forced = republish.getAndSet(false);
            boolean due = now - lastWrite >= TimeUnit.MILLISECONDS.toNanos(config.record_refresh_ms());
            if (forced || due || !record.equals(map.get(localId))) {
                map.put(localId, record);
                lastWrite = now;
            }
            Set<Member> members = hi.getCluster().getMembers();
            if (!members.isEmpty() && members.iterator().next().localMember()) {
                // the oldest member cleans up records of members that are gone
                Set<String> live = new java.util.HashSet<>();
                members.forEach(m -> live.add(m.getUuid().toString()));
                for (String key : new ArrayList<>(map.keySet())) {
                    if (!live.contains(key)) {
                        map.remove(key);
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("Cluster publication failed: {}", e.toString());
        }
        // what the writes changed comes back as map entry events: the cluster thread dispatches it then
    }

    private MemberRecord localRecord() {
        NodeIdentity id = localNode.identity();
        Set<Role> roles = EnumSet.noneOf(Role.class);
        Set<Role> unhealthy = EnumSet.noneOf(Role.class);
        for (RoleStatus s : localNode.roleStatus()) {
            if (s.active()) {
                roles.add(s.role());
                if (!s.health().up()) {
                    unhealthy.add(s.role());
                }
            }
        }
        Map<String, String> eps = new TreeMap<>(endpoints);
        eps.put("cluster", id.address() + ":" + config.port());
        return new MemberRecord(id.name(), id.fqdn(), id.address(), id.version(), roles, unhealthy, eps);
    }

    private void dispatch() {
        Map<String, ClusterNode> view = new HashMap<>();
        nodes().forEach(n -> view.put(n.id(), n));
        Map<String, ClusterNode> previous = lastView;
        lastView = view;
        List<ClusterEvent> events = new ArrayList<>();
        // departures first: a node that left and came back under a new member id (a restart, a merge after a
        // split) ends as present for listeners that follow nodes by name
        previous.forEach((id, node) -> {
            if (!view.containsKey(id)) {
                events.add(new ClusterEvent(ClusterEvent.Type.NODE_LEFT, node));
                log(ClusterEvent.Type.NODE_LEFT, node);
            }
        });
        view.forEach((id, node) -> {
            ClusterNode before = previous.get(id);
            if (before == null) {
                events.add(new ClusterEvent(ClusterEvent.Type.NODE_JOINED, node));
                log(ClusterEvent.Type.NODE_JOINED, node);
            } else if (!before.equals(node)) {
                events.add(new ClusterEvent(ClusterEvent.Type.NODE_UPDATED, node));
                if (!before.roles().equals(node.roles()) || !before.unhealthy().equals(node.unhealthy())) {
                    log(ClusterEvent.Type.NODE_UPDATED, node);
                }
            }
        });
        for (ClusterEvent event : events) {
            for (Listener listener : listeners) {
                if (!listener.deliver(event)) {
                    resolveSoon(listener); // not got yet: try again (it keeps the event)
                }
            }
        }
    }

    private static void log(ClusterEvent.Type type, ClusterNode node) {
        LOG.info("Cluster: {} {} ({}) roles [{}]{}", type, node.name(), node.address(), Role.ids(node.roles()),
                node.unhealthy().isEmpty() ? "" : " down [" + Role.ids(node.unhealthy()) + "]");
    }

    private final class NodesMapListener implements EntryListener<String, String> {
        @Override
        public void entryAdded(EntryEvent<String, String> e) {
            refreshSoon();
        }

        @Override
        public void entryUpdated(EntryEvent<String, String> e) {
            refreshSoon();
        }

        @Override
        public void entryRemoved(EntryEvent<String, String> e) {
            refreshSoon();
        }

        @Override
        public void entryEvicted(EntryEvent<String, String> e) {
            refreshSoon();
        }

        @Override
        public void entryExpired(EntryEvent<String, String> e) {
            refreshSoon();
        }

        @Override
        public void mapCleared(MapEvent e) {
            refreshSoon();
        }

        @Override
        public void mapEvicted(MapEvent e) {
            refreshSoon();
        }
    }

    // ---- ClusterService ----

    @Override
    public List<ClusterNode> nodes() {
        HazelcastInstance hi = instance;
        ReplicatedMap<String, String> map = nodesMap;
        List<ClusterNode> out = new ArrayList<>();
        if (hi == null || map == null || !hi.getLifecycleService().isRunning()) {
            MemberRecord r = localRecord();
            out.add(toNode("local", r, true));
            return out;
        }
        for (Member m : hi.getCluster().getMembers()) {
            String id = m.getUuid().toString();
            String encoded = m.localMember() ? localRecord().encode() : map.get(id);
            MemberRecord r;
            if (encoded != null) {
                r = MemberRecord.decode(encoded);
            } else {
                // a member whose record another node already removed (it is leaving: that node saw it go first)
                // keeps its last known record, so its departure is reported with its roles (failover needs them)
                ClusterNode known = lastView.get(id);
                r = known != null ? new MemberRecord(known.name(), known.fqdn(), known.address(), known.version(), known.roles(),
                        known.unhealthy(), known.endpoints()) : fromAttributes(m);
            }
            out.add(toNode(id, r, m.localMember()));
        }
        out.sort(Comparator.comparing(ClusterNode::name).thenComparing(ClusterNode::id));
        return out;
    }

    private static MemberRecord fromAttributes(Member m) {
        return new MemberRecord(
                Objects.requireNonNullElse(m.getAttribute("tandem.name"), m.getAddress().getHost()),
                Objects.requireNonNullElse(m.getAttribute("tandem.fqdn"), "?"),
                m.getAddress().getHost(),
                Objects.requireNonNullElse(m.getAttribute("tandem.version"), "?"),
                EnumSet.noneOf(Role.class), EnumSet.noneOf(Role.class), Map.of());
    }

    private static ClusterNode toNode(String id, MemberRecord r, boolean local) {
        return new ClusterNode(id, r.name(), r.fqdn(), r.address(), r.version(),
                Set.copyOf(r.roles()), Set.copyOf(r.unhealthy()), Map.copyOf(r.endpoints()), local);
    }

    @Override
    public List<RoleRedundancy> redundancy() {
        return RoleRedundancy.of(nodes(), expected());
    }

    @Override
    public ClusterStatus status() {
        HazelcastInstance hi = instance;
        boolean connected = hi != null && hi.getLifecycleService().isRunning();
        List<ClusterNode> nodes = nodes();
        int core = (int) nodes.stream().filter(n -> n.plays(Role.CORE)).count();
        return new ClusterStatus(config.cluster_name(), connected, nodes.size(), core, expected().get(Role.CORE));
    }

    /**
     * How many nodes each role should have: as configured, or, for a cluster of this node alone (no seeds, no
     * expected.roles: the distribution as it ships), one of each role this node is configured to play.
     */
    Map<Role, Integer> expected() {
        if (!configuredExpected.isEmpty()) {
            return configuredExpected;
        }
        Map<Role, Integer> alone = new EnumMap<>(Role.class);
        Set<Role> mine = localNode.configuredRoles();
        for (Role r : Role.values()) {
            alone.put(r, mine.contains(r) ? 1 : 0);
        }
        return alone;
    }
}
