package io.tandem.replica.kafka.internal;

import io.tandem.api.concurrent.Threads;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.node.LocalNode;
import io.tandem.api.replication.BrokerCheck;
import io.tandem.api.replication.EventLog;
import io.tandem.api.replication.EventLogException;
import io.tandem.api.replication.LogRecord;
import io.tandem.api.replication.LogStatus;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The replication {@link EventLog} on Apache Kafka (kafka-clients embedded in this bundle).
 *
 * <p>The brokers are the directory's global {@code brokers}, read every {@code brokers.poll.ms}: when the
 * value changes the producer and admin client are replaced and every subscription moves its consumer to the
 * new brokers, without a restart; while it is unset the log is disabled. The topic is created at the first
 * contact when missing (replication factor min(3, live brokers), {@code min.insync.replicas=2} from 3); when
 * more brokers are live later, the poller grows its replication and that of Kafka's transaction and offsets
 * topics ({@link TopicGrowth}, decision 0025).
 * Every write of this node is a Kafka transaction of its own transactional id ({@link TransactionalWriter}:
 * concurrent appends share one transaction, {@code acks=all}); subscriptions read {@code read_committed}, so
 * records {@linkplain #prepare prepared} and then withdrawn, or left open by a node that died or was
 * {@linkplain #fence fenced}, are never seen (decision 0024). Every
 * {@link #subscribe subscription} has its own consumer thread ({@link KafkaSubscription}).
 */
@Component(service = EventLog.class, configurationPid = KafkaEventLog.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = KafkaEventLog.Config.class)
public class KafkaEventLog implements EventLog {

    public static final String PID = "tandem.replication.kafka";
    /** The directory global holding the brokers. */
    static final String BROKERS_GLOBAL = "brokers";
    static final String STOPPING = "the replication event log is stopping (bundle update or shutdown): try again";
    static final String DISABLED = "replication is disabled: the global 'brokers' is not set (global:set brokers host:9092,...)";

    private static final Logger LOG = LoggerFactory.getLogger(KafkaEventLog.class);
    /** What preparing no record gives: nothing to commit or withdraw. */
    private static final Prepared NOTHING = new Prepared() {
        @Override
        public List<LogRecord> records() {
            return List.of();
        }

        @Override
        public void commit() {
        }

        @Override
        public void abort() {
        }
    };
    /** Legal Kafka topic names. */
    private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    @ObjectClassDefinition(name = "Tandem replication event log (Kafka)",
            description = "The Kafka topic Active Replica writes mailbox changes to; the brokers are the directory's global 'brokers'")
    public @interface Config {
        @AttributeDefinition(description = "Topic of the mailbox events; created when missing (letters, digits, '.', '_', '-')")
        String topic() default "tandem.mailbox-events";

        @AttributeDefinition(description = "Partitions of the topic when this node creates it (an account's records share one partition)")
        int partitions() default 12;

        @AttributeDefinition(description = "Milliseconds an append waits for the acknowledgement of every in-sync replica")
        long append_timeout_ms() default 10000;

        @AttributeDefinition(description = "Milliseconds between two reads of the global 'brokers' (and connectivity checks)")
        long brokers_poll_ms() default 2000;

        @AttributeDefinition(description = "Compression of produced batches: lz4 or none")
        String compression() default "lz4";

        @AttributeDefinition(description = "Milliseconds the producer waits to batch records (0..100)")
        int linger_ms() default 1;

        @AttributeDefinition(description = "Most records handed to a subscription's handler in one batch")
        int max_poll_records() default 500;

        @AttributeDefinition(description = "Bytes a consumer's fetch waits for (at most fetch.max.wait.ms) before it is answered (1..1048576)")
        int fetch_min_bytes() default 16384;

        @AttributeDefinition(description = "Milliseconds a consumer's fetch waits for fetch.min.bytes (0..500); it adds to the replication lag")
        int fetch_max_wait_ms() default 10;

        @AttributeDefinition(description = "Grow the replication of the topic and of Kafka's __transaction_state and __consumer_offsets "
                + "when brokers join: partitions get replicas up to min(3, live brokers), then min.insync.replicas 2 (never lowered)")
        boolean grow_replication() default true;
    }

    /**
     * The clients of one broker list; replaced as a whole when the brokers change. Two writers: one for the
     * sources' changes ({@link #prepare}), one for what is appended at once ({@link #appendAll}: promotion markers,
     * snapshots), so a change withdrawn by its source never takes a marker or a snapshot down with it.
     */
    private record Clients(String brokers, List<TransactionalWriter> writers, TransactionalWriter appender, Admin admin,
                           AtomicBoolean topicReady, AtomicInteger turn, java.util.concurrent.atomic.AtomicReference<String> identity,
                           GrowthSchedule growth) {

        /**
         * The writer for the next change: the one with the fewest changes waiting, from a turning start. While one
         * writer's transaction commits (and its coordinator writes the markers), the others take changes.
         */
        TransactionalWriter writer() {
            int start = Math.floorMod(turn.getAndIncrement(), writers.size());
            TransactionalWriter best = writers.get(start);
            for (int i = 1; i < writers.size(); i++) {
                TransactionalWriter w = writers.get((start + i) % writers.size());
                if (w.waiting() < best.waiting()) {
                    best = w;
                }
            }
            return best;
        }
    }

    /**
     * Writers of the sources' changes per node: each is one transactional producer and runs one transaction at a
     * time; several let transactions overlap, but make the groups smaller and cost more CPU per change (measured
     * with 4 on 2 cores: about 1.5× the CPU per change and no more changes per second; bench/replication). A
     * constant: a promotion fences every id of a vanished owner ({@link #transactionalIds}).
     */
    static final int WRITERS = 1;

    private final String node;
    private final Supplier<String> brokersSource;
    private final String topic;
    private final int partitions;
    private final long appendTimeoutMillis;
    private final long pollMillis;
    private final boolean growReplication;
    private final ClientSettings settings;
    private final KafkaSubscription.Timing timing;
    private final ScheduledExecutorService poller;
    private final Set<KafkaSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final AtomicInteger subscriptionSequence = new AtomicInteger();
    /** Appends hold it shared; deactivation takes it exclusively to wait until those in flight are done. */
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();

    /** The global 'brokers' as last read, normalised; "" = disabled. Written by the poller only. */
    private volatile String setting = "";
    /** Why {@link #setting} cannot be used (invalid, clients could not be made), else null. */
    private volatile String problem;
    /** The clients of {@link #setting}, null while disabled or unusable. */
    private volatile Clients clients;
    private volatile boolean connected;
    private volatile boolean stopped;
    /** The last reason logged for an unreachable cluster or an unreadable global (logged once per change). */
    private volatile String lastWarning;

    @Activate
    public KafkaEventLog(@Reference LocalNode local, @Reference DirectoryService directory, Config config) {
        this(local.identity().name(), () -> directory.global(BROKERS_GLOBAL).orElse(""), config, KafkaSubscription.Timing.DEFAULT);
    }

    /** For tests: this node's name, brokers from any source, subscription timings of the test's choice. */
    KafkaEventLog(String node, Supplier<String> brokers, Config config, KafkaSubscription.Timing timing) {
        this.node = Objects.requireNonNull(node, "node");
        this.brokersSource = Objects.requireNonNull(brokers, "brokers");
        this.topic = config.topic() == null ? "" : config.topic().trim();
        if (!TOPIC.matcher(topic).matches()) {
            throw invalid("topic", "'" + config.topic() + "'", "must be 1..249 letters, digits, '.', '_' or '-'");
        }
        if (config.partitions() < 1 || config.partitions() > 10_000) {
            throw invalid("partitions", config.partitions(), "must be 1..10000");
        }
        if (config.append_timeout_ms() < 100 || config.append_timeout_ms() > 600_000) {
            throw invalid("append.timeout.ms", config.append_timeout_ms(), "must be 100..600000");
        }
        if (config.brokers_poll_ms() < 100 || config.brokers_poll_ms() > 600_000) {
            throw invalid("brokers.poll.ms", config.brokers_poll_ms(), "must be 100..600000");
        }
        String compression = config.compression() == null ? "" : config.compression().trim().toLowerCase(java.util.Locale.ROOT);
        if (!compression.equals("lz4") && !compression.equals("none")) {
            throw invalid("compression", "'" + config.compression() + "'", "must be lz4 or none");
        }
        if (config.linger_ms() < 0 || config.linger_ms() > 100) {
            throw invalid("linger.ms", config.linger_ms(), "must be 0..100");
        }
        if (config.max_poll_records() < 1 || config.max_poll_records() > 100_000) {
            throw invalid("max.poll.records", config.max_poll_records(), "must be 1..100000");
        }
        if (config.fetch_min_bytes() < 1 || config.fetch_min_bytes() > 1_048_576) {
            throw invalid("fetch.min.bytes", config.fetch_min_bytes(), "must be 1..1048576");
        }
        if (config.fetch_max_wait_ms() < 0 || config.fetch_max_wait_ms() > 500) {
            throw invalid("fetch.max.wait.ms", config.fetch_max_wait_ms(), "must be 0..500");
        }
        this.partitions = config.partitions();
        this.appendTimeoutMillis = config.append_timeout_ms();
        this.pollMillis = config.brokers_poll_ms();
        this.growReplication = config.grow_replication();
        this.settings = new ClientSettings(config.linger_ms(), compression, config.max_poll_records(), config.fetch_min_bytes(),
                config.fetch_max_wait_ms());
        this.timing = timing;
        refresh(); // enabled() and brokers() are right from the start
        this.poller = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-replica-kafka-brokers"));
        poller.scheduleWithFixedDelay(this::tick, pollMillis, pollMillis, TimeUnit.MILLISECONDS);
        LOG.info("Started replication event log (topic {}, {} partitions, append timeout {} ms, compression {}): {}",
                topic, partitions, appendTimeoutMillis, compression, setting.isEmpty() ? "disabled until the global 'brokers' is set"
                        : "brokers " + setting);
    }

    private static IllegalArgumentException invalid(String key, Object value, String rule) {
        return new IllegalArgumentException(PID + ": " + key + " = " + value + " " + rule);
    }

    @Deactivate
    void deactivate() {
        stopped = true;
        // appends in flight finish (each is bounded by append.timeout.ms) before the producer closes; new ones
        // are refused with STOPPING, which the mailbox store answers with a temporary failure (decision 0014)
        try {
            if (gate.writeLock().tryLock(appendTimeoutMillis + 1000, TimeUnit.MILLISECONDS)) {
                gate.writeLock().unlock();
            } else {
                LOG.warn("Appends still running after {} ms while the event log stops", appendTimeoutMillis + 1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // a running check or switch is bounded: let it finish (interrupting Kafka's close() leaves threads behind)
        poller.shutdown();
        try {
            if (!poller.awaitTermination(appendTimeoutMillis + 5000, TimeUnit.MILLISECONDS)) {
                poller.shutdownNow();
                LOG.warn("The brokers poller did not stop within {} ms", appendTimeoutMillis + 5000);
            }
        } catch (InterruptedException e) {
            poller.shutdownNow();
            Thread.currentThread().interrupt();
        }
        for (KafkaSubscription s : new ArrayList<>(subscriptions)) {
            s.close();
        }
        Clients c = clients;
        clients = null;
        if (c != null) {
            close(c);
        }
        LOG.info("Stopped replication event log");
    }

    // --- brokers -----------------------------------------------------------------------------------------

    /** Every brokers.poll.ms: reads the global (switching when it changed), then checks the connection. */
    private void tick() {
        try {
            long now = System.nanoTime();
            for (KafkaSubscription s : subscriptions) {
                s.checkStuck(now); // a consumer whose poll never returns is replaced
            }
            refresh();
            Clients c = clients;
            if (c != null && !stopped) {
                checkConnection(c);
            }
        } catch (RuntimeException e) {
            LOG.warn("Checking the brokers failed", e);
        }
    }

    /**
     * Reads the global and switches to it when it changed (or when its clients could not be made before).
     * Runs on the poller thread only (and once in the constructor, before the poller starts).
     */
    private void refresh() {
        if (stopped) {
            return;
        }
        String raw;
        try {
            raw = brokersSource.get();
        } catch (RuntimeException e) {
            warnOnce("Cannot read the global 'brokers' (keeping " + (setting.isEmpty() ? "replication disabled" : setting)
                    + "): " + e.getMessage());
            return;
        }
        String normalized;
        String invalid = null;
        try {
            normalized = BrokerList.normalize(raw);
        } catch (IllegalArgumentException e) {
            normalized = raw.trim();
            invalid = "the global 'brokers' is invalid: " + e.getMessage();
        }
        boolean changed = !normalized.equals(setting);
        if (!changed && (normalized.isEmpty() || invalid != null || clients != null)) {
            return;
        }
        switchTo(normalized, invalid, changed);
    }

    /** Replaces the clients; the old ones are closed and the subscriptions told, outside any lock of theirs. */
    private void switchTo(String brokers, String invalid, boolean changed) {
        Clients old = clients;
        if (old != null) {
            // first: the new writers use the same transactional ids, and the first of them to start would fence the
            // old ones' open transactions (callers that already passed their owner check would be refused)
            clients = null;
            close(old);
        }
        Clients fresh = null;
        String why = invalid;
        if (why == null && !brokers.isEmpty()) {
            try {
                fresh = KafkaLoader.call(() -> open(brokers));
            } catch (Exception e) {
                why = "cannot use the brokers " + brokers + ": " + Failures.reason(e, appendTimeoutMillis);
                LOG.debug("Creating the Kafka clients for {} failed", brokers, e);
            }
        }
        connected = false;
        problem = why;
        clients = fresh;
        setting = brokers; // last: whoever sees the new setting sees its clients
        if (changed) {
            lastWarning = null;
            if (brokers.isEmpty()) {
                LOG.info("Replication disabled: the global 'brokers' is not set");
            } else if (invalid == null) {
                LOG.info("Replication event log now uses brokers {} (topic {})", brokers, topic);
            }
        }
        if (why != null) {
            warnOnce("Replication event log unusable: " + why);
        }
        if (changed || fresh != null) {
            subscriptions.forEach(KafkaSubscription::brokersChanged);
        }
    }

    private Clients open(String brokers) {
        Admin admin = Admin.create(settings.admin(brokers, "admin", appendTimeoutMillis));
        List<String> ids = transactionalIds(node);
        List<TransactionalWriter> writers = new ArrayList<>();
        for (int i = 0; i < WRITERS; i++) {
            String id = ids.get(i);
            writers.add(new TransactionalWriter(topic, brokers, appendTimeoutMillis, () -> transactionalProducer(brokers, id),
                    () -> reader(brokers), "tandem-replica-kafka-writer-" + i));
        }
        String appenderId = ids.get(WRITERS);
        TransactionalWriter appender = new TransactionalWriter(topic, brokers, appendTimeoutMillis,
                () -> transactionalProducer(brokers, appenderId), () -> reader(brokers), "tandem-replica-kafka-appender");
        return new Clients(brokers, List.copyOf(writers), appender, admin, new AtomicBoolean(), new AtomicInteger(),
                new java.util.concurrent.atomic.AtomicReference<>(), new GrowthSchedule());
    }

    /**
     * The transactional ids of {@code node}'s writes to this topic: its {@link #WRITERS} writers of changes, then
     * what it appends at once. Stable across restarts, so a restarted node fences its former self and a
     * promotion can fence a vanished owner ({@link #fence}).
     */
    List<String> transactionalIds(String node) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < WRITERS; i++) {
            ids.add("tandem." + topic + "." + node + (i == 0 ? "" : "." + i));
        }
        ids.add("tandem." + topic + "." + node + ".append");
        return ids;
    }

    private Producer<String, byte[]> transactionalProducer(String brokers, String transactionalId) {
        return new KafkaProducer<>(settings.transactionalProducer(brokers, transactionalId, appendTimeoutMillis,
                transactionTimeoutMillis()), new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * A transaction stays open at most while its records are sent and its callers decide, each bounded by the
     * time-out; at most the brokers' default {@code transaction.max.timeout.ms} (15 min), above which they
     * refuse the producer.
     */
    private long transactionTimeoutMillis() {
        return Math.min(900_000, Math.max(10_000, 3 * appendTimeoutMillis));
    }

    private Consumer<String, byte[]> reader(String brokers) {
        return new KafkaConsumer<>(settings.consumer(brokers, null, "read-back"), new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Closes replaced clients; appends in flight on the old writer get until its time-outs. */
    private void close(Clients c) {
        KafkaLoader.run(() -> {
            List<TransactionalWriter> all = new ArrayList<>(c.writers());
            all.add(c.appender());
            for (TransactionalWriter w : all) {
                try {
                    w.close();
                } catch (RuntimeException e) {
                    LOG.debug("Closing a writer of {} failed", c.brokers(), e);
                }
            }
            try {
                c.admin().close(Duration.ofSeconds(2));
            } catch (RuntimeException e) {
                LOG.debug("Closing the admin client of {} failed", c.brokers(), e);
            }
        });
    }

    /**
     * A metadata request: sets {@link #connected}; creates the topic at the first contact, then grows the
     * replication of the topics when brokers joined ({@link #growReplication}).
     */
    private void checkConnection(Clients c) {
        long timeout = Math.max(1000, Math.min(pollMillis, 10_000));
        try {
            // one request answers both: the live brokers, and the cluster id the log's identity starts with
            org.apache.kafka.clients.admin.DescribeClusterResult described = KafkaLoader.call(() ->
                    c.admin().describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout)));
            Collection<Node> live = KafkaLoader.call(() -> described.nodes().get(timeout, TimeUnit.MILLISECONDS));
            String cluster = KafkaLoader.call(() -> described.clusterId().get(timeout, TimeUnit.MILLISECONDS));
            int nodes = live.size();
            if (clients != c) {
                return;
            }
            if (!connected) {
                LOG.info("Connected to the brokers {} ({} live broker{})", c.brokers(), nodes, nodes == 1 ? "" : "s");
            }
            connected = true;
            lastWarning = null;
            ensureTopic(c, appendTimeoutMillis);
            askIdentity(c, cluster, timeout); // a topic deleted and made again is another log from the next poll on
            growReplication(c, live);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                return;
            }
            if (clients == c) {
                connected = false;
                warnOnce("Brokers " + c.brokers() + " do not answer: " + Failures.reason(e, timeout));
            }
        }
    }

    /** Creates the topic when missing (once per broker list); throws when it cannot. */
    private void ensureTopic(Clients c, long timeoutMillis) throws Exception {
        if (c.topicReady().get()) {
            return;
        }
        Topics.Outcome o = KafkaLoader.call(() -> Topics.ensure(c.admin(), topic, partitions, Map.of(), timeoutMillis));
        if (o.created()) {
            LOG.info("Created topic {} on {}: {} partitions, replication factor {} ({} live broker{}), min.insync.replicas {}",
                    topic, c.brokers(), partitions, o.plan().replicationFactor(), o.liveBrokers(),
                    o.liveBrokers() == 1 ? "" : "s", o.plan().minInsyncReplicas());
        } else {
            LOG.info("Using the existing topic {} on {}", topic, c.brokers());
        }
        askIdentity(c, timeoutMillis); // what every prepared record names its log with (decision 0026)
        c.topicReady().set(true);
    }

    /**
     * When the next look at the topics' replication is due: at once when the live brokers change, soon while
     * something is under way, else now and then (an operator may also have added partitions or brokers). The
     * first look comes {@link #PENDING_NANOS} after the clients are made, not while the topic is being created
     * and the writers' first transactions make Kafka create its transaction log. Used by the poller thread only.
     */
    private static final class GrowthSchedule {
        static final long SETTLED_NANOS = TimeUnit.SECONDS.toNanos(60);
        static final long PENDING_NANOS = TimeUnit.SECONDS.toNanos(5);

        /** The live brokers at the last look; null before the first. */
        Set<Integer> brokers;
        long due = System.nanoTime() + PENDING_NANOS;
        String lastFailure;
    }

    /**
     * Grows the replication of the topic, {@code __transaction_state} and {@code __consumer_offsets} to the live
     * brokers ({@link TopicGrowth}); bounded by the append time-out. A failure (brokers gone meanwhile, no
     * permission on an external cluster) is logged once per reason and tried again at the next look.
     */
    private void growReplication(Clients c, Collection<Node> live) {
        if (!growReplication || !c.topicReady().get()) {
            return;
        }
        GrowthSchedule s = c.growth();
        Set<Integer> ids = new java.util.TreeSet<>();
        live.forEach(n -> ids.add(n.id()));
        long now = System.nanoTime();
        if ((s.brokers == null || ids.equals(s.brokers)) && now - s.due < 0) {
            return;
        }
        s.brokers = ids;
        List<String> topics = new ArrayList<>();
        topics.add(topic);
        topics.addAll(TopicGrowth.INTERNAL_TOPICS);
        // topic by topic: one that cannot grow (a replica on a broker no longer registered, no permission on an
        // external cluster) does not keep the others, the internal ones included, at their replication
        Map<String, TopicGrowth.State> states = new java.util.HashMap<>();
        List<String> failures = new ArrayList<>();
        long deadline = now + TimeUnit.MILLISECONDS.toNanos(appendTimeoutMillis);
        for (String t : topics) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                failures.add(t + ": not looked at, the time-out of " + appendTimeoutMillis + " ms ran out");
                continue;
            }
            try {
                states.putAll(KafkaLoader.call(() -> TopicGrowth.grow(c.admin(), List.of(t), live, left)));
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    return;
                }
                failures.add(t + ": " + Failures.reason(e, left));
                LOG.debug("Growing the replication of {} at {} failed", t, c.brokers(), e);
            }
        }
        // the log's own topic unknown right after its creation: look again soon as well
        boolean pending = !failures.isEmpty() || states.containsValue(TopicGrowth.State.PENDING)
                || states.get(topic) == TopicGrowth.State.MISSING;
        s.due = System.nanoTime() + Math.max(TimeUnit.MILLISECONDS.toNanos(pollMillis),
                pending ? GrowthSchedule.PENDING_NANOS : GrowthSchedule.SETTLED_NANOS);
        String why = failures.isEmpty() ? null : String.join("; ", failures);
        if (why != null && !why.equals(s.lastFailure)) {
            LOG.warn("Cannot grow the replication at {} to the {} live brokers (will try again): {}", c.brokers(), live.size(), why);
        }
        s.lastFailure = why;
    }

    private void warnOnce(String message) {
        if (!message.equals(lastWarning)) {
            lastWarning = message;
            LOG.warn(message);
        }
    }

    // --- EventLog ----------------------------------------------------------------------------------------

    @Override
    public boolean enabled() {
        return !setting.isEmpty();
    }

    @Override
    public boolean connected() {
        return clients != null && connected;
    }

    @Override
    public String brokers() {
        return setting;
    }

    @Override
    public String topic() {
        return topic;
    }

    @Override
    public List<LogRecord> appendAll(Map<String, byte[]> records) {
        Prepared p = prepare(records, Clients::appender);
        p.commit();
        return p.records();
    }

    @Override
    public Prepared prepare(Map<String, byte[]> records) {
        return prepare(records, Clients::writer);
    }

    private Prepared prepare(Map<String, byte[]> records, java.util.function.Function<Clients, TransactionalWriter> which) {
        Objects.requireNonNull(records, "records");
        if (records.isEmpty()) {
            return NOTHING;
        }
        gate.readLock().lock(); // a stop lets appends in flight finish (hot upgrade), then refuses new ones
        try {
            if (stopped) {
                throw new EventLogException(STOPPING);
            }
            Clients c = clients;
            if (c == null) {
                throw new EventLogException(unavailable());
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(appendTimeoutMillis);
            try {
                ensureTopic(c, remaining(deadline));
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                if (clients == c) {
                    connected = false;
                }
                LOG.debug("Topic {} at {} not ready", topic, c.brokers(), e);
                // the Kafka exception stays here: only its message leaves the bundle
                throw new EventLogException(appendFailure(c, e));
            }
            TransactionalWriter writer = which.apply(c);
            try {
                TransactionalWriter.Member m = writer.prepare(records, deadline);
                connected = true;
                return new Identified(m, c.identity().get());
            } catch (EventLogException e) {
                if (clients == c) {
                    connected = writer.healthy();
                }
                throw e;
            }
        } finally {
            gate.readLock().unlock();
        }
    }

    /** Prepared records and the identity of the log they are in (null when not known yet). */
    private record Identified(TransactionalWriter.Member member, String log) implements Prepared {

        @Override
        public List<LogRecord> records() {
            return member.records();
        }

        @Override
        public void commit() {
            member.commit();
        }

        @Override
        public void abort() {
            member.abort();
        }
    }

    @Override
    public String identity(Duration timeout) {
        Clients c = clients;
        if (c == null || stopped) {
            throw new EventLogException(stopped ? STOPPING : unavailable());
        }
        return identity(c, Math.max(100, timeout.toMillis()));
    }

    /** The identity of the log at {@code c}, its topic made first when missing (the topic's id is part of it). */
    private String identity(Clients c, long millis) {
        try {
            ensureTopic(c, millis);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw e instanceof EventLogException l ? l : new EventLogException(appendFailure(c, e));
        }
        return askIdentity(c, millis);
    }

    /**
     * The log's identity at {@code c}, asked from the brokers (the cluster id, the topic and its id), and kept as
     * what {@link Prepared#log()} names (refreshed at every poll of the brokers).
     */
    private String askIdentity(Clients c, long timeoutMillis) {
        return askIdentity(c, null, timeoutMillis);
    }

    /** @param knownCluster the cluster id when the caller just asked for it, else null */
    private String askIdentity(Clients c, String knownCluster, long timeoutMillis) {
        try {
            String id = KafkaLoader.call(() -> {
                int timeout = (int) timeoutMillis;
                String cluster = knownCluster != null ? knownCluster : c.admin().describeCluster(
                        new DescribeClusterOptions().timeoutMs(timeout)).clusterId().get(timeout, TimeUnit.MILLISECONDS);
                org.apache.kafka.common.Uuid topicId = c.admin().describeTopics(List.of(topic),
                                new org.apache.kafka.clients.admin.DescribeTopicsOptions().timeoutMs(timeout))
                        .allTopicNames().get(timeout, TimeUnit.MILLISECONDS).get(topic).topicId();
                return cluster + "/" + topic + "/" + topicId;
            });
            String before = c.identity().getAndSet(id);
            if (before != null && !before.equals(id)) {
                LOG.warn("The event log at {} is another one now: {} (was {}; the topic was made again)", c.brokers(), id, before);
            }
            return id;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new EventLogException("cannot identify " + topic + " at " + c.brokers() + ": " + Failures.reason(e, timeoutMillis));
        }
    }

    @Override
    public Tail read(Map<Integer, Long> from, int maxRecords, Duration timeout) {
        Objects.requireNonNull(from, "from");
        Clients c = clients;
        if (c == null || stopped) {
            throw new EventLogException(stopped ? STOPPING : unavailable());
        }
        long millis = Math.max(100, timeout.toMillis());
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        try {
            String id = identity(c, millis);
            // this node's former writer settled first: what it committed is below the end read next
            List<TransactionalWriter> all = new ArrayList<>(c.writers());
            all.add(c.appender());
            for (TransactionalWriter w : all) {
                if (!w.awaitSettled(deadline)) {
                    throw new EventLogException("the log writer at " + c.brokers() + " did not start within " + millis + " ms");
                }
            }
            return KafkaLoader.call(() -> LogReader.read(c.admin(), reader(c.brokers()), topic, id, from, maxRecords, deadline));
        } catch (EventLogException e) {
            throw e;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new EventLogException("cannot read " + topic + " at " + c.brokers() + ": " + Failures.reason(e, millis));
        }
    }

    @Override
    public void fence(String other, Duration timeout) {
        Objects.requireNonNull(other, "node");
        if (other.equals(node)) {
            throw new IllegalArgumentException("a node does not fence itself (its writer does when it starts): " + other);
        }
        Clients c = clients;
        if (c == null) {
            throw new EventLogException(unavailable());
        }
        long millis = Math.max(100, timeout.toMillis());
        try {
            KafkaLoader.call(() -> {
                for (String id : transactionalIds(other)) {
                    Producer<String, byte[]> p = new KafkaProducer<>(settings.transactionalProducer(c.brokers(), id,
                            millis, transactionTimeoutMillis()), new StringSerializer(), new ByteArraySerializer());
                    try {
                        p.initTransactions(); // bumps the id's epoch: the open transaction is aborted, the old producer fenced
                    } finally {
                        p.close(Duration.ZERO);
                    }
                }
                return null;
            });
            LOG.info("Fenced the log writers of {} ({}) at {}", other, transactionalIds(other), c.brokers());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.debug("Fencing the writer of {} at {} failed", other, c.brokers(), e);
            throw new EventLogException("cannot fence the log writer of " + other + " at " + c.brokers() + ": "
                    + Failures.reason(e, millis));
        }
    }

    private String unavailable() {
        if (setting.isEmpty()) {
            return DISABLED;
        }
        String why = problem;
        return "replication is not available: " + (why != null ? why : "the brokers " + setting + " are being switched");
    }

    private String appendFailure(Clients c, Exception e) {
        String where = "append to topic " + topic + " at " + c.brokers() + " failed: ";
        if (clients != c) {
            return where + "the brokers changed meanwhile (" + Failures.detail(e) + "); nothing was appended";
        }
        String reason = Failures.reason(e, appendTimeoutMillis);
        String detail = Failures.detail(e);
        return where + reason + (detail.equals(reason) || reason.contains(detail) ? "" : " (" + detail + ")")
                + "; nothing was appended";
    }

    private static long remaining(long deadlineNanos) {
        return Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
    }

    @Override
    public Subscription subscribe(String group, Handler handler) {
        Objects.requireNonNull(handler, "handler");
        if (group == null || group.isBlank()) {
            throw new IllegalArgumentException("a subscription needs a group name");
        }
        if (stopped) {
            throw new IllegalStateException("the replication event log is stopped");
        }
        KafkaSubscription s = new KafkaSubscription(new Source(), topic, group.trim(), handler, timing,
                "tandem-replica-kafka-" + group.trim() + "-" + subscriptionSequence.incrementAndGet(),
                subscriptions::remove);
        subscriptions.add(s);
        s.start();
        return s;
    }

    /** What subscriptions consume: the clients in use. */
    private final class Source implements KafkaSubscription.Source {

        @Override
        public String brokers() {
            Clients c = clients;
            return c == null || stopped ? "" : c.brokers();
        }

        @Override
        public Consumer<String, byte[]> consumer(String brokers, String group) {
            return KafkaLoader.get(() -> new KafkaConsumer<>(settings.consumer(brokers, group, "consumer-" + group),
                    new StringDeserializer(), new ByteArrayDeserializer()));
        }

        @Override
        public String logId(String brokers) {
            Clients c = clients;
            if (c == null || !c.brokers().equals(brokers)) {
                throw new IllegalStateException("the brokers changed from " + brokers);
            }
            try {
                return askIdentity(c, appendTimeoutMillis); // asked at every assignment (decision 0022)
            } catch (EventLogException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }

        @Override
        public boolean topicReady(String brokers) {
            Clients c = clients;
            if (c == null || !c.brokers().equals(brokers)) {
                return false;
            }
            try {
                ensureTopic(c, appendTimeoutMillis);
                return true;
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                LOG.debug("Topic {} not ready at {}: {}", topic, brokers, Failures.reason(e, appendTimeoutMillis));
                return false;
            }
        }
    }

    @Override
    public List<BrokerCheck> test(List<String> brokers, Duration timeout) {
        Objects.requireNonNull(brokers, "brokers");
        Objects.requireNonNull(timeout, "timeout");
        List<BrokerCheck> checks = new BrokerTester(settings).test(brokers, timeout);
        LOG.info("Connectivity test of {}: {}", brokers, checks.stream().allMatch(BrokerCheck::ok) ? "OK" : "FAILED " + checks);
        return checks;
    }

    @Override
    public java.util.Optional<String> clusterId(String brokers, Duration timeout) {
        String list;
        try {
            list = BrokerList.normalize(brokers);
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
        if (list.isEmpty()) {
            return java.util.Optional.empty();
        }
        long millis = Math.max(1, timeout.toMillis());
        Admin admin = null;
        try {
            admin = KafkaLoader.get(() -> Admin.create(settings.admin(list, "cluster-id", millis)));
            Admin a = admin;
            return java.util.Optional.ofNullable(KafkaLoader.call(() -> a.describeCluster(new DescribeClusterOptions()
                    .timeoutMs((int) millis)).clusterId().get(millis, java.util.concurrent.TimeUnit.MILLISECONDS)));
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.info("Cluster id of {} not known: {}", list, Failures.reason(e, millis));
            return java.util.Optional.empty();
        } finally {
            if (admin != null) {
                try {
                    admin.close(Duration.ofSeconds(2));
                } catch (RuntimeException e) {
                    LOG.debug("Closing the admin client of {} failed", list, e);
                }
            }
        }
    }

    @Override
    public LogStatus describe(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        Clients c = clients;
        if (c == null) {
            return LogStatus.unreachable(setting, topic, unavailable());
        }
        try {
            return KafkaLoader.call(() -> TopicStatus.describe(c.admin(), c.brokers(), topic, timeout.toMillis()));
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.debug("Describing topic {} at {} failed", topic, c.brokers(), e);
            return LogStatus.unreachable(c.brokers(), topic, "brokers " + c.brokers() + " do not answer: "
                    + Failures.reason(e, timeout.toMillis()));
        }
    }

    /** The live subscriptions (tests). */
    int subscriptionCount() {
        return subscriptions.size();
    }

    @Override
    public String toString() {
        return "KafkaEventLog[" + topic + " at " + (setting.isEmpty() ? "(disabled)" : setting) + "]";
    }
}
