package io.tandem.bench.replication;

import io.tandem.api.blob.BlobRef;
import io.tandem.api.blob.Volume;
import io.tandem.api.cluster.ClusterMessageListener;
import io.tandem.api.cluster.ClusterMessaging;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.Operation;
import io.tandem.api.directory.Replica;
import io.tandem.api.directory.Server;
import io.tandem.api.license.LicenseService;
import io.tandem.api.mailbox.Folder;
import io.tandem.api.mailbox.MailboxChange;
import io.tandem.api.mailbox.MailboxOp;
import io.tandem.api.mailbox.MailboxStore;
import io.tandem.api.mailbox.Mutation;
import io.tandem.api.node.Role;
import io.tandem.api.replication.EventLog;
import io.tandem.api.test.ClusterServiceAdapter;
import io.tandem.api.test.ConfigProxy;
import io.tandem.api.test.LocalNodeAdapter;
import io.tandem.api.test.VolumeRegistryAdapter;
import io.tandem.directory.jdbc.internal.DirectoryComponent;
import io.tandem.mailstore.jdbc.internal.BenchMailstoreAccess;
import io.tandem.mailstore.jdbc.internal.MailstoreDatabase;
import io.tandem.replica.kafka.internal.BenchKafkaAccess;
import io.tandem.replica.kafka.internal.KafkaEventLog;
import io.tandem.replication.internal.BenchAccess;
import io.tandem.replication.internal.Event;
import io.tandem.replication.internal.EventCodec;
import io.tandem.replication.internal.HaService;
import io.tandem.replication.internal.MailstoreAgent;
import io.tandem.replication.internal.ReplicationConfig;
import io.tandem.replication.internal.ReplicationHook;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Active Replica end to end, in one JVM, on the real parts: the directory ({@link DirectoryComponent}) and three
 * mailbox stores ({@link MailstoreDatabase}) on H2 files, the {@code replication} change hook
 * ({@link ReplicationHook} = Publisher), one {@link MailstoreAgent} per Mailstore (SnapshotWriter + Applier on
 * its own consumer group), {@link HaService} on a core node, and one {@link KafkaEventLog} per node on a real
 * Kafka broker. Cluster membership and cluster messages are in-process stand-ins (a list of nodes, a bus that
 * calls every agent's {@code onMessage}); the licence allows everything; blob references are plain values.
 *
 * <ol>
 *   <li><b>throughput</b>: per round, (a) raw Kafka: THREADS threads each sending one record and waiting for
 *       its ack on one producer with the event log's own settings; (b) replication: THREADS threads each
 *       committing AddMessage changes on its own account of ms1, until ms2's applier has applied the last one;
 *       (c) raw Kafka async: one thread sending without waiting (batched), then flush.</li>
 *   <li><b>lag</b>: an open-loop load of RATE changes/s for SECONDS s over the THREADS accounts; per change,
 *       nanoTime when ms2's {@code apply} returned minus nanoTime when ms1's {@code execute} returned.</li>
 *   <li><b>promotion</b>: PROMOTE accounts owned by ms3, replicated to ms2 (snapshots) and in sync; ms3 then
 *       stops (agent, log, store closed, gone from the cluster) and {@link HaService#promote} moves all its
 *       accounts with PROMOTE_THREADS threads; time to the last take-over on ms2.</li>
 * </ol>
 *
 * Arguments: brokers workDir threads changes rounds rate seconds promoteAccounts promoteThreads
 */
public final class ReplicationBench {

    private static final String DOMAIN = "bench.example.com";
    private static final String TOPIC = "tandem.mailbox-events";
    private static final String RAW_TOPIC = "bench.raw-producer";
    private static final int PARTITIONS = 12; // the event log's default
    private static final UUID VOLUME = UUID.fromString("5e1ec7ed-0000-4000-8000-00000000b10b");
    private static final long WAIT_MS = 300_000;

    private final String brokers;
    private final Path work;
    private final int threads;
    private final int changes;
    private final int rounds;
    private final int rate;
    private final int seconds;
    private final int promoteAccounts;
    private final int promoteThreads;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final Bus bus = new Bus();
    private final ClusterServiceAdapter cluster = new ClusterServiceAdapter();
    private final ReplicationConfig replicationConfig = ConfigProxy.of(ReplicationConfig.class, Map.of());
    private final Recorder recorder = new Recorder();
    private final AtomicLong sequence = new AtomicLong();

    private Node core;
    private Node ms1;
    private Node ms2;
    private Node ms3;
    private HaService ha;

    private ReplicationBench(String[] a) {
        brokers = a[0];
        work = Path.of(a[1]).toAbsolutePath();
        threads = Integer.parseInt(a[2]);
        changes = Integer.parseInt(a[3]);
        rounds = Integer.parseInt(a[4]);
        rate = Integer.parseInt(a[5]);
        seconds = Integer.parseInt(a[6]);
        promoteAccounts = Integer.parseInt(a[7]);
        promoteThreads = Integer.parseInt(a[8]);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 9) {
            System.err.println("arguments: brokers workDir threads changes rounds rate seconds promoteAccounts promoteThreads");
            System.exit(2);
        }
        ReplicationBench b = new ReplicationBench(args);
        int status = 0;
        try {
            b.run();
        } catch (Throwable t) {
            t.printStackTrace();
            status = 1;
        } finally {
            b.close();
        }
        System.exit(status);
    }

    // ================================================================== wiring

    /** One node of the cluster, as its components see it. */
    private static final class Node {
        final String name;
        final LocalNodeAdapter local;
        final DirectoryComponent directory;
        EventLog log;
        MailstoreDatabase store;
        MailstoreAgent agent;

        Node(String name, LocalNodeAdapter local, DirectoryComponent directory) {
            this.name = name;
            this.local = local;
            this.directory = directory;
        }
    }

    /** Cluster messages in-process: every listener gets every message (agents and hooks ignore foreign topics). */
    private static final class Bus implements ClusterMessaging {
        final List<ClusterMessageListener> listeners = new CopyOnWriteArrayList<>();

        @Override
        public void publish(String topic, String message) {
            for (ClusterMessageListener l : listeners) {
                l.onMessage(topic, message);
            }
        }
    }

    /** Always held: every node sees the core quorum (the benchmark measures replication, not partitions). */
    private static final class HeldLease implements io.tandem.api.cluster.OwnershipLease {
        @Override
        public boolean valid() {
            return true;
        }

        @Override
        public java.time.Duration duration() {
            return java.time.Duration.ofSeconds(30);
        }

        @Override
        public String describe() {
            return "held (benchmark)";
        }
    }

    /** Allows everything (the benchmark measures replication, not licensing). */
    private static final class OpenLicense implements LicenseService {
        @Override
        public LicenseInfo info() {
            return new LicenseInfo(false, "benchmark", "", "", "", "", List.of());
        }

        @Override
        public Optional<String> refusal(String feature, int inUse, int count) {
            return Optional.empty();
        }
    }

    /** What ms2 did, timed with nanoTime right after the real call returned. */
    private static final class Recorder {
        /** "account/sequence" of every change ms2 applied -> when its apply returned. */
        final Map<String, Long> applied = new ConcurrentHashMap<>();
        final AtomicLong appliedCount = new AtomicLong();
        volatile long lastAppliedNanos;
        /** Accounts ms2 took over (its replica row removed after the marker) -> when. */
        final Map<UUID, Long> takenOver = new ConcurrentHashMap<>();
        volatile long lastTakeOverNanos;
        /** Accounts whose promotion marker was appended -> when the append returned. */
        final Map<UUID, Long> markers = new ConcurrentHashMap<>();
    }

    private static String key(UUID account, long sequence) {
        return account + "/" + sequence;
    }

    interface After {
        /** @param started nanoTime before the call, {@code nanos} right after it returned */
        void call(String method, Object[] args, Object result, long started, long nanos);
    }

    /** {@code target} seen through {@code type}, {@code after} told of every call that returned normally. */
    @SuppressWarnings("unchecked")
    private static <T> T observed(Class<T> type, T target, After after) {
        return (T) Proxy.newProxyInstance(ReplicationBench.class.getClassLoader(), new Class<?>[] {type}, (p, m, args) -> {
            Object r;
            long started = System.nanoTime();
            try {
                r = m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
            after.call(m.getName(), args, r, started, System.nanoTime());
            return r;
        });
    }

    /** Total time and count per method name (the cost breakdown of the write and apply paths). */
    private static final class Timer implements After {
        private final Map<String, long[]> totals = new ConcurrentHashMap<>();

        @Override
        public void call(String method, Object[] args, Object result, long started, long nanos) {
            long[] t = totals.computeIfAbsent(method, k -> new long[2]);
            synchronized (t) {
                t[0] += nanos - started;
                t[1]++;
            }
        }

        void reset() {
            totals.clear();
        }

        /** Total milliseconds spent in {@code method} (0 when it was not called). */
        double total(String method) {
            long[] t = totals.get(method);
            if (t == null) {
                return 0;
            }
            synchronized (t) {
                return t[0] / 1e6;
            }
        }

        /** Mean milliseconds per call of {@code method}. */
        double mean(String method) {
            long[] t = totals.get(method);
            if (t == null) {
                return Double.NaN;
            }
            synchronized (t) {
                return t[1] == 0 ? Double.NaN : t[0] / 1e6 / t[1];
            }
        }
    }

    /** ms1's hook as seen from outside: its event log appends and its directory reads. */
    private final Timer hookTimer = new Timer();
    /** ms2's store: its applies. */
    private final Timer applyTimer = new Timer();
    /** HaService's directory and log. */
    private final Timer promoTimer = new Timer();
    /** How often HaService read the replicas of each account (once before the CAS, then once per poll). */
    private final Map<UUID, AtomicLong> replicaReads = new ConcurrentHashMap<>();

    /** ms2's consumer thread: how many batches, records and how long the applier held them. */
    private static final class TimedHandler implements EventLog.Handler {
        final EventLog.Handler inner;
        final AtomicLong batches = new AtomicLong();
        final AtomicLong records = new AtomicLong();
        final AtomicLong busyNanos = new AtomicLong();

        TimedHandler(EventLog.Handler inner) {
            this.inner = inner;
        }

        @Override
        public void handle(List<io.tandem.api.replication.LogRecord> batch) throws Exception {
            long s = System.nanoTime();
            try {
                inner.handle(batch);
            } finally {
                busyNanos.addAndGet(System.nanoTime() - s);
                batches.incrementAndGet();
                records.addAndGet(batch.size());
            }
        }

        @Override
        public void positionLost(int partition, long lostOffset, long earliestOffset) {
            inner.positionLost(partition, lostOffset, earliestOffset);
        }

        long[] snapshot() {
            return new long[] {batches.get(), records.get(), busyNanos.get()};
        }
    }

    private volatile TimedHandler ms2Handler;

    /** ms2's event log with its subscription's handler timed. */
    private EventLog timedSubscriptions(EventLog log) {
        return (EventLog) Proxy.newProxyInstance(ReplicationBench.class.getClassLoader(), new Class<?>[] {EventLog.class}, (p, m, args) -> {
            if (m.getName().equals("subscribe")) {
                TimedHandler h = new TimedHandler((EventLog.Handler) args[1]);
                ms2Handler = h;
                args = new Object[] {args[0], h};
            }
            try {
                return m.invoke(log, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    private static final long BROKER_PID = Long.getLong("bench.kafka.pid", -1);
    /**
     * Diagnostic: ms3's agent (a third consumer group reading every event) starts only for the promotion phase,
     * so phases 1 and 2 run with two Mailstores consuming instead of three.
     */
    private static final boolean MS3_AGENT_LATE = Boolean.getBoolean("bench.ms3AgentLate");
    private static final long CLOCK_TICK_NANOS = 10_000_000L; // USER_HZ 100

    /** CPU time used so far: {this JVM, the Kafka broker} in nanoseconds (the broker's -1 when unknown). */
    private static long[] cpu() {
        long jvm = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
        long broker = -1;
        if (BROKER_PID > 0) {
            try {
                String stat = Files.readString(Path.of("/proc/" + BROKER_PID + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                broker = (Long.parseLong(f[11]) + Long.parseLong(f[12])) * CLOCK_TICK_NANOS; // utime, stime
            } catch (Exception e) {
                broker = -1;
            }
        }
        return new long[] {jvm, broker};
    }

    /** CPU microseconds per item between two {@link #cpu()} readings: {JVM, broker}. */
    private static double[] cpuPer(long[] before, long[] after, long items) {
        return new double[] {(after[0] - before[0]) / 1e3 / items,
                before[1] < 0 || after[1] < 0 ? Double.NaN : (after[1] - before[1]) / 1e3 / items};
    }

    private DirectoryComponent directory(String node) {
        DirectoryComponent d = new DirectoryComponent(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                ConfigProxy.of(DirectoryComponent.Config.class, Map.of(
                        // the default URL of etc/tandem.directory.cfg; every node has its own pool (default size 5)
                        "jdbc_url", "jdbc:h2:file:" + work.resolve("directory/tandem") + ";AUTO_SERVER=TRUE;WRITE_DELAY=0")));
        toClose.add(d::deactivateForTest);
        return d;
    }

    private Node node(String name, String address, boolean mailstore) throws Exception {
        LocalNodeAdapter local = new LocalNodeAdapter(name, address);
        local.setRoles(mailstore ? new Role[] {Role.MAILSTORE} : new Role[] {Role.CORE});
        Node n = new Node(name, local, directory(name));
        n.log = eventLog(local, n.directory);
        if (mailstore) {
            n.store = new MailstoreDatabase(List.of(new org.h2.util.OsgiDataSourceFactory(new org.h2.Driver())),
                    ConfigProxy.of(MailstoreDatabase.Config.class, Map.of(
                            // the default URL of etc/tandem.mailstore.db.cfg, default pool (10)
                            "jdbc_url", "jdbc:h2:file:" + work.resolve(name + "/mailstore/mailboxes") + ";LOCK_TIMEOUT=10000;WRITE_DELAY=0",
                            "required_hooks", new String[] {"replication"})));
            MailstoreDatabase store = n.store;
            toClose.add(store::deactivateForTest);
            // ms1's hook sees its directory and log through a timer (cost breakdown of the write path)
            io.tandem.api.directory.DirectoryService hookDirectory = name.equals("ms1")
                    ? observed(io.tandem.api.directory.DirectoryService.class, n.directory, hookTimer) : n.directory;
            EventLog hookLog = name.equals("ms1") ? observed(EventLog.class, n.log, hookTimer) : n.log;
            ReplicationHook hook = new ReplicationHook(local, hookDirectory, hookLog, new HeldLease(), replicationConfig);
            BenchMailstoreAccess.addHook(store, hook, "replication");
            bus.listeners.add(hook); // as DS registers it: it hears "replicas changed"
        }
        return n;
    }

    private EventLog eventLog(LocalNodeAdapter local, DirectoryComponent directory) {
        // the production constructor: brokers from the directory's global 'brokers', defaults of
        // etc/tandem.replication.kafka.cfg (12 partitions, lz4, linger 1 ms, append time-out 10 s)
        // the production defaults; -Dbench.log.<key>=<value> overrides one (e.g. -Dbench.log.fetch_max_wait_ms=10)
        Map<String, Object> logConfig = new java.util.HashMap<>(Map.of("topic", TOPIC));
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("bench.log."))
                .forEach(k -> logConfig.put(k.substring("bench.log.".length()), System.getProperty(k)));
        KafkaEventLog log = new KafkaEventLog(local, directory, ConfigProxy.of(KafkaEventLog.Config.class, logConfig));
        toClose.add(() -> BenchKafkaAccess.deactivate(log));
        return log;
    }

    private void startAgent(Node n, MailboxStore store, DirectoryAdminService directory) {
        MailstoreAgent agent = new MailstoreAgent(n.local, store, directory, n.log, bus, replicationConfig);
        n.agent = agent;
        bus.listeners.add(agent);
        toClose.add(() -> {
            bus.listeners.remove(agent);
            BenchAccess.deactivate(agent);
        });
    }

    private void setUp() throws Exception {
        Files.createDirectories(work);
        DirectoryComponent admin = directory("setup");
        admin.setGlobal("brokers", brokers);
        for (String n : List.of("ms1", "ms2", "ms3")) {
            admin.registerServer(new Server(n, n + ".bench.test", Set.of(Role.MAILSTORE), Instant.now()));
        }
        admin.registerServer(new Server("core1", "core1.bench.test", Set.of(Role.CORE), Instant.now()));
        admin.createDomain(DOMAIN);

        core = node("core1", "127.0.0.10", false);
        ms1 = node("ms1", "127.0.0.11", true);
        ms2 = node("ms2", "127.0.0.12", true);
        ms3 = node("ms3", "127.0.0.13", true);
        cluster.setNodes(clusterNode(core, Role.CORE), clusterNode(ms1, Role.MAILSTORE), clusterNode(ms2, Role.MAILSTORE),
                clusterNode(ms3, Role.MAILSTORE));

        startAgent(ms1, ms1.store, ms1.directory);
        if (!MS3_AGENT_LATE) {
            startAgent(ms3, ms3.store, ms3.directory);
        }
        // ms2, the replica: its store and directory are observed to time every applied change and take-over
        MailboxStore ms2Store = observed(MailboxStore.class, ms2.store, (m, args, r, started, t) -> {
            applyTimer.call(m, args, r, started, t);
            if (m.equals("apply") && Boolean.TRUE.equals(r)) {
                MailboxChange c = (MailboxChange) args[0];
                recorder.applied.put(key(c.accountId(), c.sequence()), t);
                recorder.lastAppliedNanos = t;
                recorder.appliedCount.incrementAndGet();
            } else if (m.equals("applyAll") && r instanceof Integer n && n > 0) {
                // a batch of changes in one transaction (one or more mailboxes): the replayed ones (skipped) come first
                // (no change is replayed while measuring; with several mailboxes, n is then the whole batch)
                @SuppressWarnings("unchecked")
                List<MailboxChange> all = (List<MailboxChange>) args[0];
                for (MailboxChange c : all.subList(all.size() - n, all.size())) {
                    recorder.applied.put(key(c.accountId(), c.sequence()), t);
                }
                recorder.lastAppliedNanos = t;
                recorder.appliedCount.addAndGet(n);
            }
        });
        DirectoryAdminService ms2Directory = observed(DirectoryAdminService.class, ms2.directory, (m, args, r, started, t) -> {
            if (m.equals("removeReplica") && "ms2".equals(args[1]) && Boolean.TRUE.equals(r)) {
                recorder.takenOver.put((UUID) args[0], t);
                recorder.lastTakeOverNanos = t;
            } else if (m.equals("takeOver") && "ms2".equals(args[0]) && r instanceof java.util.Set<?> taken) {
                // the applier's take-overs of a batch: ownership recorded and replica rows changed together
                for (Object id : taken) {
                    recorder.takenOver.put((UUID) id, t);
                }
                recorder.lastTakeOverNanos = t;
            } else if (m.equals("removeReplicas") && "ms2".equals(args[0]) && r instanceof Integer n && n > 0) {
                // the applier removes the replica rows of a batch's take-overs at once
                for (Object id : (java.util.Collection<?>) args[1]) {
                    recorder.takenOver.put((UUID) id, t);
                }
                recorder.lastTakeOverNanos = t;
            }
        });
        ms2.log = timedSubscriptions(ms2.log);
        startAgent(ms2, ms2Store, ms2Directory);

        VolumeRegistryAdapter volumes = new VolumeRegistryAdapter();
        volumes.putVolume(new Volume(VOLUME, "s3-primary", Volume.Kind.PRIMARY, Volume.Type.S3, UUID.randomUUID(), "mailstore", true, true));
        // HaService's log and directory are timed (where promotion spends its time) and its replica polls counted
        EventLog haLog = observed(EventLog.class, core.log, (m, args, r, started, t) -> {
            promoTimer.call(m, args, r, started, t);
            if (m.equals("append")) {
                recorder.markers.put(UUID.fromString((String) args[0]), t);
            } else if (m.equals("appendAll")) { // a promotion writes the markers of a batch of accounts at once
                for (Object key : ((Map<?, ?>) args[0]).keySet()) {
                    recorder.markers.put(UUID.fromString((String) key), t);
                }
            }
        });
        DirectoryAdminService haDirectory = observed(DirectoryAdminService.class, core.directory, (m, args, r, started, t) -> {
            promoTimer.call(m, args, r, started, t);
            if (m.equals("replicas") && args != null && args.length == 1 && args[0] instanceof UUID id) {
                replicaReads.computeIfAbsent(id, k -> new AtomicLong()).incrementAndGet();
            }
        });
        ha = new HaService(haDirectory, haLog, cluster, bus, new OpenLicense(), volumes, core.local, replicationConfig);
        toClose.add(() -> BenchAccess.deactivate(ha));
    }

    private static io.tandem.api.cluster.ClusterNode clusterNode(Node n, Role role) {
        return ClusterServiceAdapter.node(n.name, n.local.identity().address(), false, role);
    }

    private void close() {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            try {
                toClose.get(i).close();
            } catch (Exception e) {
                System.err.println("closing: " + e);
            }
        }
    }

    // ================================================================== the load

    private static final HexFormat HEX = HexFormat.of();

    /** A typical delivered message: S3 blob reference, size, subject, sender, recipient. */
    private static MailboxOp.AddMessage message(long itemId, long n, String to) {
        String sha;
        try {
            sha = HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(Long.toString(n).getBytes(StandardCharsets.US_ASCII)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        long size = 8_000 + (n * 7919) % 60_000;
        return new MailboxOp.AddMessage(itemId, Folder.INBOX,
                new BlobRef(VOLUME, "mailstore/" + sha.substring(0, 2) + "/" + sha.substring(2, 4) + "/" + sha, sha, size),
                size, System.currentTimeMillis(), "Re: Quarterly report " + n + " for the steering meeting",
                "Sender " + (n % 97) + " <sender" + (n % 97) + "@example.org>", to, Set.of(), Set.of());
    }

    private static Mutation deliver(long n, String to) {
        return tx -> {
            MailboxOp.AddMessage m = message(1, n, to);
            tx.addMessage(m.folderId(), m.blob(), m.size(), m.receivedMillis(), m.subject(), m.from(), m.to(), m.flags(), m.tags());
        };
    }

    /** The encoded event of a typical AddMessage change: what replication writes per delivered message. */
    private static byte[] encodedChange(UUID account, String to, long n) {
        MailboxChange c = new MailboxChange(account, 1, n, n + 10, List.of(message(n + 10, n, to)), System.currentTimeMillis());
        return EventCodec.encode(new Event.Change(c));
    }

    private List<Account> createAccounts(String prefix, int count, Node host, int messages) throws Exception {
        List<Account> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Account a = host.directory.createAccount(prefix + i + "@" + DOMAIN, host.name);
            host.store.create(a.id(), a.epoch());
            for (int m = 0; m < messages; m++) {
                host.store.execute(a.id(), a.epoch(), deliver(sequence.incrementAndGet(), a.name()));
            }
            out.add(a);
        }
        return out;
    }

    /** ha:setAccountDestination ms2 and waits until every replica is in sync (snapshots through the log). */
    private void replicateTo(List<Account> accounts) throws Exception {
        long start = System.nanoTime();
        Operation op = ha.setAccountDestination("ms2", 10, accounts.stream().map(Account::name).toList());
        Operation done = awaitOperation(op.id());
        if (done.failed() > 0 || done.done() != accounts.size()) {
            throw new IllegalStateException("initial sync did not complete: " + done);
        }
        System.out.printf("# initial sync of %d account(s) to ms2 (snapshots through the log): %.1f s%n", accounts.size(),
                (System.nanoTime() - start) / 1e9);
    }

    private Operation awaitOperation(UUID id) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (System.currentTimeMillis() < deadline) {
            Operation op = core.directory.operation(id).orElseThrow();
            if (op.finished()) {
                return op;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("operation " + id + " did not finish within " + WAIT_MS + " ms: "
                + core.directory.operation(id).orElseThrow());
    }

    private void awaitApplied(long count) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT_MS;
        while (recorder.appliedCount.get() < count) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("ms2 applied " + recorder.appliedCount.get() + " of " + count + " changes within "
                        + WAIT_MS + " ms");
            }
            Thread.sleep(1);
        }
    }

    private void checkConsistent(List<Account> accounts, MailboxStore source) {
        for (Account a : accounts) {
            String s = source.checksum(a.id());
            String r = ms2.store.checksum(a.id());
            if (!s.equals(r)) {
                throw new IllegalStateException("replica of " + a.name() + " differs from its source");
            }
        }
    }

    // ================================================================== 1. throughput

    private record Rates(double perSecond, double[] latencyMillis, double[] cpuMicros) {
    }

    /** (a) THREADS threads, one producer, each record sent alone and waited for: replication's own pattern. */
    private Rates kafkaSync(Producer<String, byte[]> producer, List<Account> accounts, int total) throws Exception {
        int per = total / accounts.size();
        List<List<byte[]>> values = new ArrayList<>();
        for (Account a : accounts) {
            List<byte[]> v = new ArrayList<>(per);
            for (int i = 0; i < per; i++) {
                v.add(encodedChange(a.id(), a.name(), sequence.incrementAndGet()));
            }
            values.add(v);
        }
        long[] latencies = new long[per * accounts.size()];
        ExecutorService pool = Executors.newFixedThreadPool(accounts.size());
        CountDownLatch ready = new CountDownLatch(accounts.size());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> all = new ArrayList<>();
        for (int t = 0; t < accounts.size(); t++) {
            int thread = t;
            String key = accounts.get(t).id().toString();
            all.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                for (int i = 0; i < per; i++) {
                    long s = System.nanoTime();
                    producer.send(new ProducerRecord<>(RAW_TOPIC, key, values.get(thread).get(i))).get(10, TimeUnit.SECONDS);
                    latencies[thread * per + i] = System.nanoTime() - s;
                }
                return null;
            }));
        }
        ready.await();
        long[] cpu0 = cpu();
        long start = System.nanoTime();
        go.countDown();
        for (Future<?> f : all) {
            f.get();
        }
        long elapsed = System.nanoTime() - start;
        long[] cpu1 = cpu();
        pool.shutdown();
        return new Rates(per * accounts.size() / (elapsed / 1e9), millis(latencies), cpuPer(cpu0, cpu1, (long) per * accounts.size()));
    }

    /** (c) one thread sending without waiting (the producer batches), then flush: Kafka unconstrained. */
    private Rates kafkaAsync(Producer<String, byte[]> producer, List<Account> accounts, int total) throws Exception {
        List<byte[]> values = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Account a = accounts.get(i % accounts.size());
            values.add(encodedChange(a.id(), a.name(), sequence.incrementAndGet()));
        }
        String[] keys = accounts.stream().map(a -> a.id().toString()).toArray(String[]::new);
        CountDownLatch acked = new CountDownLatch(total);
        AtomicReference<Exception> failure = new AtomicReference<>();
        long[] cpu0 = cpu();
        long start = System.nanoTime();
        for (int i = 0; i < total; i++) {
            producer.send(new ProducerRecord<>(RAW_TOPIC, keys[i % keys.length], values.get(i % values.size())), (md, e) -> {
                if (e != null) {
                    failure.set(e);
                }
                acked.countDown();
            });
        }
        producer.flush();
        if (!acked.await(60, TimeUnit.SECONDS) || failure.get() != null) {
            throw new IllegalStateException("async sends failed", failure.get());
        }
        long elapsed = System.nanoTime() - start;
        return new Rates(total / (elapsed / 1e9), new double[0], cpuPer(cpu0, cpu(), total));
    }

    private record Replicated(double endToEnd, double sourceCommits, double[] commitMillis, double appendMillis,
                              double directoryMillis, double applyMillis, double[] cpuMicros, double batchSize, double applierBusy) {
    }

    /** (b) THREADS threads each committing changes on its own account of ms1; until ms2 applied the last one. */
    private Replicated replicate(List<Account> accounts, int total) throws Exception {
        int per = total / accounts.size();
        long expected = recorder.appliedCount.get() + (long) per * accounts.size();
        long[] latencies = new long[per * accounts.size()];
        ExecutorService pool = Executors.newFixedThreadPool(accounts.size());
        CountDownLatch ready = new CountDownLatch(accounts.size());
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> all = new ArrayList<>();
        long[] base = new long[accounts.size()];
        for (int t = 0; t < accounts.size(); t++) {
            base[t] = sequence.addAndGet(per) - per;
        }
        for (int t = 0; t < accounts.size(); t++) {
            int thread = t;
            Account a = accounts.get(t);
            all.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                for (int i = 0; i < per; i++) {
                    long s = System.nanoTime();
                    ms1.store.execute(a.id(), a.epoch(), deliver(base[thread] + i, a.name()));
                    latencies[thread * per + i] = System.nanoTime() - s;
                }
                return null;
            }));
        }
        ready.await();
        hookTimer.reset();
        applyTimer.reset();
        long[] handler0 = ms2Handler.snapshot();
        long[] cpu0 = cpu();
        long start = System.nanoTime();
        go.countDown();
        for (Future<?> f : all) {
            f.get();
        }
        long committed = System.nanoTime();
        pool.shutdown();
        awaitApplied(expected);
        long last = recorder.lastAppliedNanos;
        long[] cpu1 = cpu();
        long[] handler1 = ms2Handler.snapshot();
        int n = per * accounts.size();
        double batches = handler1[0] - handler0[0];
        return new Replicated(n / ((last - start) / 1e9), n / ((committed - start) / 1e9), millis(latencies),
                hookTimer.mean("append"), (hookTimer.total("replicas") + hookTimer.total("account")) / n, applyTimer.mean("apply"),
                cpuPer(cpu0, cpu1, n), batches == 0 ? Double.NaN : (handler1[1] - handler0[1]) / batches,
                (handler1[2] - handler0[2]) / (double) (last - start));
    }

    // ================================================================== 2. lag

    private record Lag(int changes, double achievedRate, double[] lagMillis, double[] commitMillis, int negative) {
    }

    private Lag lag(List<Account> accounts) throws Exception {
        int total = rate * seconds;
        long expected = recorder.appliedCount.get() + total;
        recorder.applied.clear();
        Map<String, Long> committed = new ConcurrentHashMap<>();
        long[] commitLatency = new long[total];
        // open loop: the change i is started at start + i/RATE whatever happened to the others
        ExecutorService pool = Executors.newFixedThreadPool(accounts.size() * 2);
        long interval = 1_000_000_000L / rate;
        long start = System.nanoTime() + 20_000_000L;
        List<Future<?>> all = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            long due = start + i * interval;
            long wait;
            while ((wait = due - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
            Account a = accounts.get(i % accounts.size());
            long n = sequence.incrementAndGet();
            int index = i;
            all.add(pool.submit(() -> {
                long s = System.nanoTime();
                MailboxChange c = ms1.store.execute(a.id(), a.epoch(), deliver(n, a.name()));
                long e = System.nanoTime();
                committed.put(key(c.accountId(), c.sequence()), e);
                commitLatency[index] = e - s;
                return null;
            }));
        }
        for (Future<?> f : all) {
            f.get();
        }
        double achieved = total / ((System.nanoTime() - start) / 1e9);
        pool.shutdown();
        awaitApplied(expected);
        long[] lags = new long[committed.size()];
        int i = 0;
        int negative = 0;
        for (Map.Entry<String, Long> e : committed.entrySet()) {
            Long applied = recorder.applied.get(e.getKey());
            if (applied == null) {
                throw new IllegalStateException("change " + e.getKey() + " was not applied on ms2");
            }
            lags[i++] = applied - e.getValue();
            if (applied < e.getValue()) {
                negative++;
            }
        }
        return new Lag(total, achieved, millis(lags), millis(commitLatency), negative);
    }

    // ================================================================== 3. promotion

    private record Promotion(int accounts, double takeOverSeconds, double operationSeconds, double[] markerToTakeOverMillis,
                             int failed, long polledAgain) {
    }

    private Promotion promotion(List<Account> accounts) throws Exception {
        // the source dies: its agent, event log and store stop; it is no longer a cluster member
        bus.listeners.remove(ms3.agent);
        BenchAccess.deactivate(ms3.agent);
        BenchKafkaAccess.deactivate(ms3.log);
        ms3.store.deactivateForTest();
        cluster.setNodes(clusterNode(core, Role.CORE), clusterNode(ms1, Role.MAILSTORE), clusterNode(ms2, Role.MAILSTORE));
        Thread.sleep(2000);

        recorder.takenOver.clear();
        recorder.markers.clear();
        promoTimer.reset();
        replicaReads.clear();
        long start = System.nanoTime();
        Operation op = ha.promote(null, "ms3", null, promoteThreads); // ha:promoteAccounts source_mail_host ms3 threads 4
        Operation done = awaitOperation(op.id());
        long finished = System.nanoTime();
        if (recorder.takenOver.size() != accounts.size()) {
            throw new IllegalStateException("ms2 took over " + recorder.takenOver.size() + " of " + accounts.size() + ": " + done);
        }
        long[] markerToTakeOver = new long[accounts.size()];
        int i = 0;
        for (Account a : accounts) {
            markerToTakeOver[i++] = recorder.takenOver.get(a.id()) - recorder.markers.get(a.id());
        }
        // every account is on ms2 under the next epoch, and takes a new change there
        for (Account a : accounts) {
            Account now = core.directory.account(a.id()).orElseThrow();
            if (!now.mailHost().equals("ms2") || now.epoch() != a.epoch() + 1) {
                throw new IllegalStateException(a.name() + " after promotion: " + now);
            }
        }
        Account first = core.directory.account(accounts.get(0).id()).orElseThrow();
        ms2.store.execute(first.id(), first.epoch(), deliver(sequence.incrementAndGet(), first.name()));
        long polledAgain = accounts.stream().filter(a -> replicaReads.getOrDefault(a.id(), new AtomicLong()).get() > 2).count();
        return new Promotion(accounts.size(), (recorder.lastTakeOverNanos - start) / 1e9, (finished - start) / 1e9,
                millis(markerToTakeOver), done.failed(), polledAgain);
    }

    // ================================================================== run

    private void run() throws Exception {
        setUp();
        int recordSize = encodedChange(UUID.randomUUID(), "load0@" + DOMAIN, 123_456).length;
        System.out.printf("# cores %d, %s %s, Kafka at %s, topic %s (%d partitions), H2 files in %s%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"), System.getProperty("java.version"),
                brokers, TOPIC, PARTITIONS, work);
        System.out.printf("# record: encoded AddMessage change (EventCodec) = %d bytes, key = account id (36 bytes)%n", recordSize);
        System.out.println("# load average (1/5/15 min) at start: " + loadAverage());
        if (MS3_AGENT_LATE) {
            System.out.println("# diagnostic bench.ms3AgentLate: ms3's agent (3rd consumer group) starts only for phase 3");
        }

        List<Account> load = createAccounts("load", threads, ms1, 0);
        replicateTo(load);
        System.out.printf("# appliers fetching from the log (decision 0020: idle without replica copies): %s%n",
                java.util.stream.Stream.of(ms1, ms2, ms3).map(n -> n.name + (n.agent == null ? " not started"
                        : BenchAccess.idle(n.agent) ? " idle" : " fetching")).collect(java.util.stream.Collectors.joining(", ")));

        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers))) {
            admin.createTopics(List.of(new NewTopic(RAW_TOPIC, PARTITIONS, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        try (Producer<String, byte[]> producer = new KafkaProducer<>(BenchKafkaAccess.producerProperties(brokers, 1, "lz4", 10_000),
                new StringSerializer(), new ByteArraySerializer())) {
            // warm-up (JIT of this JVM and of the freshly started broker, H2 caches): whole rounds, not measured;
            // -Dbench.warmupRounds=N (default 1) measures closer to a node that has run for a while
            int warm = Math.max(3000, changes);
            int warmups = Integer.getInteger("bench.warmupRounds", 1);
            for (int w = 1; w <= warmups; w++) {
                System.out.printf("# warm-up %d of %d (not measured): %d sync sends, %d replicated changes, 50000 async sends%n",
                        w, warmups, warm, warm);
                kafkaSync(producer, load, warm);
                replicate(load, warm);
                kafkaAsync(producer, load, 50_000);
            }

            System.out.printf("%n## 1. throughput: %d changes per round, %d threads (one account each), %d rounds%n", changes, threads, rounds);
            System.out.println("round,kafka_sync_per_s,replicated_per_s,source_commits_per_s,kafka_async_per_s,ratio_vs_sync,ratio_vs_async,"
                    + "kafka_sync_p50_ms,kafka_sync_p99_ms,commit_p50_ms,commit_p99_ms,kafka_sync_mean_ms,append_mean_ms,directory_mean_ms,"
                    + "apply_mean_ms,applier_batch,applier_busy,cpu_us_sync_jvm,cpu_us_sync_broker,cpu_us_repl_jvm,cpu_us_repl_broker,"
                    + "cpu_us_async_jvm,cpu_us_async_broker");
            List<double[]> results = new ArrayList<>();
            for (int r = 1; r <= rounds; r++) {
                Rates sync = kafkaSync(producer, load, changes);
                Replicated rep = replicate(load, changes);
                Rates async = kafkaAsync(producer, load, Math.max(50_000, changes * 10));
                double[] row = {sync.perSecond(), rep.endToEnd(), rep.sourceCommits(), async.perSecond(), rep.endToEnd() / sync.perSecond(),
                        rep.endToEnd() / async.perSecond(), pct(sync.latencyMillis(), 50), pct(sync.latencyMillis(), 99),
                        pct(rep.commitMillis(), 50), pct(rep.commitMillis(), 99), mean(sync.latencyMillis()), rep.appendMillis(),
                        rep.directoryMillis(), rep.applyMillis(), rep.batchSize(), rep.applierBusy(),
                        sync.cpuMicros()[0], sync.cpuMicros()[1], rep.cpuMicros()[0], rep.cpuMicros()[1],
                        async.cpuMicros()[0], async.cpuMicros()[1]};
                results.add(row);
                System.out.println(r + "," + csv(row));
            }
            double[] median = new double[results.get(0).length];
            for (int c = 0; c < median.length; c++) {
                int col = c;
                double[] v = results.stream().mapToDouble(x -> x[col]).sorted().toArray();
                median[c] = v[v.length / 2];
            }
            System.out.println("median," + csv(median));
            checkConsistent(load, ms1.store);
            System.out.println("# ms2 == ms1 (checksums) for every load account");

            System.out.println("# load average now: " + loadAverage());
            System.out.printf("%n## 2. lag at %d changes/s for %d s over %d accounts (open loop)%n", rate, seconds, threads);
            Lag lag = lag(load);
            System.out.println("changes,achieved_per_s,lag_p50_ms,lag_p90_ms,lag_p99_ms,lag_max_ms,negative,commit_p50_ms,commit_p99_ms");
            System.out.printf("%d,%.1f,%.2f,%.2f,%.2f,%.2f,%d,%.2f,%.2f%n", lag.changes(), lag.achievedRate(), pct(lag.lagMillis(), 50),
                    pct(lag.lagMillis(), 90), pct(lag.lagMillis(), 99), pct(lag.lagMillis(), 100), lag.negative(),
                    pct(lag.commitMillis(), 50), pct(lag.commitMillis(), 99));
            checkConsistent(load, ms1.store);

            System.out.println("# load average now: " + loadAverage());
            System.out.printf("%n## 3. promotion of %d accounts of a dead source (ms3 -> ms2), %d threads%n", promoteAccounts, promoteThreads);
            long t = System.nanoTime();
            if (MS3_AGENT_LATE) {
                startAgent(ms3, ms3.store, ms3.directory);
            }
            List<Account> promo = createAccounts("promo", promoteAccounts, ms3, 2);
            System.out.printf("# %d accounts with 2 messages each created on ms3: %.1f s%n", promoteAccounts, (System.nanoTime() - t) / 1e9);
            replicateTo(promo);
            // one live change per account after the snapshot, then everything equal on ms2
            long before = recorder.appliedCount.get();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> all = new ArrayList<>();
            for (Account a : promo) {
                long n = sequence.incrementAndGet();
                all.add(pool.submit(() -> ms3.store.execute(a.id(), a.epoch(), deliver(n, a.name()))));
            }
            for (Future<?> f : all) {
                f.get();
            }
            pool.shutdown();
            awaitApplied(before + promo.size());
            checkConsistent(promo, ms3.store);
            long inSync = ms2.directory.replicasOn("ms2").stream().filter(r -> r.state().equals(Replica.IN_SYNC)).count();
            System.out.printf("# every account in sync on ms2 (%d replica rows in-sync there), checksums equal%n", inSync);
            Promotion p = promotion(promo);
            System.out.println("accounts,threads,last_take_over_s,operation_finished_s,accounts_per_s,marker_to_take_over_p50_ms,"
                    + "marker_to_take_over_p99_ms,failed,waited_50ms_poll,mean_ms_account,mean_ms_replicas,mean_ms_changeOwner,"
                    + "mean_ms_append,mean_ms_progress");
            System.out.printf(java.util.Locale.ROOT, "%d,%d,%.2f,%.2f,%.1f,%.1f,%.1f,%d,%d,%.2f,%.2f,%.2f,%.2f,%.2f%n", p.accounts(),
                    promoteThreads, p.takeOverSeconds(), p.operationSeconds(), p.accounts() / p.takeOverSeconds(),
                    pct(p.markerToTakeOverMillis(), 50), pct(p.markerToTakeOverMillis(), 99), p.failed(), p.polledAgain(),
                    promoTimer.mean("account"), promoTimer.mean("replicas"), promoTimer.mean("changeOwner"), promoTimer.mean("append"),
                    promoTimer.mean("progress"));

            System.out.println("# load average now: " + loadAverage());
            System.out.println();
            System.out.println("## summary");
            System.out.println("| figure | value | target |");
            System.out.println("|---|---|---|");
            System.out.printf("| replicated changes/s, end to end (median of %d rounds, %d threads) | %.0f | |%n", rounds, threads, median[1]);
            System.out.printf("| Kafka producer, same pattern (sync, %d threads, acks=all, idempotent, linger 1 ms, lz4) | %.0f | |%n", threads, median[0]);
            System.out.printf("| Kafka producer, async batched (1 thread, same settings) | %.0f | |%n", median[3]);
            System.out.printf("| ratio vs Kafka sync (median of per-round ratios) | %.3f | >= 0.6 |%n", median[4]);
            System.out.printf("| ratio vs Kafka async (median of per-round ratios) | %.3f | >= 0.6 |%n", median[5]);
            System.out.printf("| CPU per record/change, this JVM + broker (µs): Kafka sync / replicated / Kafka async | %.0f+%.0f / %.0f+%.0f / %.0f+%.0f | |%n",
                    median[16], median[17], median[18], median[19], median[20], median[21]);
            System.out.printf("| lag p50 / p99 at %d changes/s, %d s | %.1f / %.1f ms | p99 <= 50 ms |%n", rate, seconds,
                    pct(lag.lagMillis(), 50), pct(lag.lagMillis(), 99));
            System.out.printf("| promotion of %d accounts, %d threads: last take-over / operation finished | %.2f / %.2f s | |%n",
                    p.accounts(), promoteThreads, p.takeOverSeconds(), p.operationSeconds());
        }
    }

    // ================================================================== statistics

    /** The machine's load average (other work on it shows there), "?" when unknown. */
    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (Exception e) {
            return "?";
        }
    }

    /** Rates without decimals, ratios with 3, the rest with 2. */
    private static String csv(double[] row) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < row.length; i++) {
            if (i > 0) {
                b.append(',');
            }
            String f = i == 0 || i == 1 || i == 2 || i == 3 ? "%.0f" : i == 4 || i == 5 || i == 15 ? "%.3f" : i >= 16 ? "%.0f" : "%.2f";
            b.append(String.format(java.util.Locale.ROOT, f, row[i]));
        }
        return b.toString();
    }

    private static double mean(double[] v) {
        double sum = 0;
        for (double x : v) {
            sum += x;
        }
        return v.length == 0 ? Double.NaN : sum / v.length;
    }

    private static double[] millis(long[] nanos) {
        double[] out = new double[nanos.length];
        for (int i = 0; i < nanos.length; i++) {
            out[i] = nanos[i] / 1e6;
        }
        Arrays.sort(out);
        return out;
    }

    /** Nearest-rank percentile of sorted values. */
    private static double pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
