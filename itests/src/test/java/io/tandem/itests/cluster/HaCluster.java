package io.tandem.itests.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.api.test.KafkaFixture;
import io.tandem.api.test.PostgresFixture;
import io.tandem.api.test.S3ProxyFixture;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * A cluster of real Mailstores for the Active Replica tests: the harness's nodes on their own loopback
 * addresses, a real Kafka broker (KRaft), the directory on a real PostgreSQL, blobs on S3Proxy, test
 * licenses, a centralized S3 primary volume and the domain example.com. Plus the reads the tests share.
 */
final class HaCluster implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern UUID_RE = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    static final Duration SYNC = Duration.ofSeconds(90);

    final Harness harness;
    final PostgresFixture postgres;
    /** The Kafka fixture, null when the core nodes run the brokers ({@link #startWithEmbeddedKafka}). */
    final KafkaFixture kafka;
    final S3ProxyFixture s3;
    private final String addressPrefix;

    private HaCluster(Harness harness, PostgresFixture postgres, KafkaFixture kafka, S3ProxyFixture s3, String addressPrefix) {
        this.harness = harness;
        this.postgres = postgres;
        this.kafka = kafka;
        this.s3 = s3;
        this.addressPrefix = addressPrefix;
    }

    /**
     * Starts the fixtures and the nodes {@code <prefix>1..} of {@code nodes} ("name roles" each, named with a
     * letter and the node's number, e.g. "r1 core,mailstore" on {@code addressPrefix + "1"}).
     */
    static HaCluster start(String name, String addressPrefix, String... nodes) throws Exception {
        return startInCluster(name, "tandem-" + name + "-it", addressPrefix, nodes);
    }

    /** {@link #start(String, String, String...)} with the Hazelcast cluster name given. */
    static HaCluster startInCluster(String name, String clusterName, String addressPrefix, String... nodes) throws Exception {
        return start(name, clusterName, false, addressPrefix, nodes);
    }

    /**
     * As {@link #start(String, String, String...)} but without a Kafka fixture: the core nodes run the
     * cluster's Kafka brokers (embedded, every core node a voter), which set the global brokers themselves.
     */
    static HaCluster startWithEmbeddedKafka(String name, String clusterName, String addressPrefix, String... nodes) throws Exception {
        return start(name, clusterName, true, addressPrefix, nodes);
    }

    /**
     * As {@link #start(String, String, String...)} with the harness's faults on: the nodes run under
     * libfaketime, so that scripts/cluster.sh clock can step their wall clocks (docs/fault-harness.md).
     */
    static HaCluster startWithFaults(String name, String addressPrefix, String... nodes) throws Exception {
        return start(name, "tandem-" + name + "-it", false, List.of("set faults on"), addressPrefix, nodes);
    }

    private static HaCluster start(String name, String clusterName, boolean embeddedKafka, String addressPrefix, String... nodes)
            throws Exception {
        return start(name, clusterName, embeddedKafka, List.of(), addressPrefix, nodes);
    }

    private static HaCluster start(String name, String clusterName, boolean embeddedKafka, List<String> settings, String addressPrefix,
            String... nodes) throws Exception {
        Path it = Path.of(System.getProperty("tandem.it.dir"));
        PostgresFixture postgres = PostgresFixture.start(it.resolve(name + "-pg"));
        // the nodes need only the directory to start: Kafka and S3Proxy start while they boot
        ExecutorService starting = Executors.newFixedThreadPool(2);
        Future<KafkaFixture> kafkaStarted = embeddedKafka ? CompletableFuture.completedFuture(null)
                : starting.submit(() -> KafkaFixture.start(name + "-kafka"));
        Future<S3ProxyFixture> s3Started = starting.submit(() -> {
            S3ProxyFixture s3 = S3ProxyFixture.start(name + "-s3");
            try {
                s3.bucket("mail");
            } catch (Exception | AssertionError e) {
                s3.close();
                throw e;
            }
            return s3;
        });
        starting.shutdown();
        Harness harness = Harness.fromSystemProperties("it-" + name);
        List<String> names = new ArrayList<>();
        try {
            String directory = postgres.createDatabase("directory");
            Path spec = it.resolve(name + "-it.spec");
            Files.createDirectories(it);
            List<String> lines = new ArrayList<>(List.of("set cluster.name " + clusterName, "set directory.url " + directory));
            if (embeddedKafka) {
                lines.add("set kafka embedded");
            }
            lines.addAll(settings);
            for (String n : nodes) {
                String[] w = n.trim().split("\\s+");
                names.add(w[0]);
                lines.add(w[0] + "   " + addressPrefix + w[0].substring(1) + "   " + w[1]);
            }
            lines.add("");
            Files.writeString(spec, String.join("\n", lines));
            harness.tryRun(60, "clean");
            harness.run(400, "up", spec.toString());
        } catch (Exception | AssertionError e) {
            harness.tryRun(60, "down");
            closeStarted(kafkaStarted, s3Started);
            postgres.close();
            throw e;
        }
        KafkaFixture kafka;
        S3ProxyFixture s3;
        try {
            kafka = started(kafkaStarted);
            s3 = started(s3Started);
        } catch (Exception | AssertionError e) {
            harness.tryRun(60, "down");
            closeStarted(kafkaStarted, s3Started);
            postgres.close();
            throw e;
        }
        HaCluster c = new HaCluster(harness, postgres, kafka, s3, addressPrefix);
        try {
            c.setUp(names);
        } catch (Exception | AssertionError e) {
            c.close(); // the test class gets no cluster to close: stop the servers here
            throw e;
        }
        return c;
    }

    /** A fixture started on another thread; its failure as thrown there. */
    private static <T> T started(Future<T> future) throws Exception {
        try {
            return future.get(300, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** Closes the fixtures that started (waiting for those still starting). */
    private static void closeStarted(Future<? extends AutoCloseable>... futures) {
        for (Future<? extends AutoCloseable> f : futures) {
            try {
                AutoCloseable fixture = f.get(300, TimeUnit.SECONDS);
                if (fixture != null) {
                    fixture.close();
                }
            } catch (Exception e) {
                // did not start, or failed to close: nothing more to do here
            }
        }
    }

    /** Licenses, the S3 primary volume and the domain, once the nodes are up. */
    private void setUp(List<String> names) throws Exception {
        Path repo = Path.of(System.getProperty("tandem.repo"));
        // one license, installed on every node as an operator does (a JVM per license issued was the cost)
        Path issued = null;
        for (String n : names) {
            Path license = Path.of(harness.run(30, "dir", n).trim()).resolve("etc/tandem.license");
            if (issued == null) {
                Process p = new ProcessBuilder(repo.resolve("scripts/issue-test-license.sh").toString(), license.toString(),
                        "ZxHA=10000", "ha_basic=5000").redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes());
                assertEquals("license for " + n + ": " + out, 0, p.waitFor());
                issued = license;
            } else {
                Path part = license.resolveSibling(".tandem.license.part");
                Files.copy(issued, part, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                Files.move(part, license, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        String first = names.get(0);
        String bucket = uuid(harness.exec(first, "core", "doCreateBucket", "MinIO", "mail", s3.accessKey, s3.secretKey, s3.endpoint));
        String volume = uuid(harness.exec(first, "core", "doCreateVolume", "s3-primary", "primary", "s3", bucket, "mailstore", "--centralized"));
        harness.exec(first, "core", "setCurrentVolume", volume);
        harness.exec(first, "prov", "createDomain", "example.com");
    }

    @Override
    public void close() throws Exception {
        harness.tryRun(60, "down");
        if (kafka != null) {
            kafka.close();
        }
        s3.close();
        postgres.close();
    }

    String address(String node) {
        return addressPrefix + node.substring(1);
    }

    String exec(String node, String scope, String command, String... args) {
        return harness.exec(node, scope, command, args);
    }

    private static final java.net.http.HttpClient HEALTH = java.net.http.HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(2)).build();

    /**
     * The live members {@code node} counts (its {@code /health}, the count {@code cluster:node-list} lists), or
     * -1 when it does not answer: an HTTP request, where a look with {@code bin/tandem} starts a client JVM
     * (2-3 s of two cores that the nodes under test need).
     */
    int membersCountedBy(String node) {
        try {
            java.net.http.HttpResponse<String> r = HEALTH.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://" + address(node) + ":8405/health")).timeout(Duration.ofSeconds(2)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            JsonNode members = JSON.readTree(r.body()).path("cluster").path("members");
            return members.isInt() ? members.asInt() : -1;
        } catch (java.io.IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static String uuid(String text) {
        Matcher m = UUID_RE.matcher(text);
        assertTrue("no id in: " + text, m.find());
        return m.group();
    }

    /** A command's {@code --json} output. */
    JsonNode json(String node, String scope, String command, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--json"));
        all.addAll(List.of(args));
        String out = harness.exec(node, scope, command, all.toArray(String[]::new));
        int start = Math.min(out.indexOf('[') < 0 ? Integer.MAX_VALUE : out.indexOf('['), out.indexOf('{') < 0 ? Integer.MAX_VALUE : out.indexOf('{'));
        return JSON.readTree(out.substring(start));
    }

    /** The node's copy of the account's mailbox (mailbox:info --json), or null when it has none. */
    JsonNode copy(String node, String account) {
        Harness.Result r = harness.tryRun(60, "exec", node, "mailbox", "info", "--json", account);
        if (r.code() != 0) {
            return null;
        }
        try {
            return JSON.readTree(r.output().substring(r.output().indexOf('{')));
        } catch (Exception e) {
            return null;
        }
    }

    String checksum(String node, String account) {
        JsonNode c = copy(node, account);
        return c == null ? null : c.get("checksum").asText();
    }

    void awaitSameCopyOf(String account, String source, String... replicas) {
        for (String r : replicas) {
            Harness.await(r + " holds the same mailbox of " + account + " as " + source, SYNC, () -> {
                String want = checksum(source, account);
                return want != null && want.equals(checksum(r, account));
            });
        }
    }

    /** Waits until the operation finished; returns it (ha:monitor --json). */
    JsonNode awaitOperation(String node, String id) throws Exception {
        Harness.await("operation " + id + " finished", SYNC, () -> {
            try {
                return !"running".equals(json(node, "ha", "monitor", id).get("state").asText());
            } catch (Exception e) {
                return false;
            }
        });
        return json(node, "ha", "monitor", id);
    }

    void awaitDone(String node, String id) throws Exception {
        JsonNode op = awaitOperation(node, id);
        assertEquals(op.toString(), "done", op.get("state").asText());
    }

    /** The subject of every message in the account's Inbox on {@code node} (HTTP mailbox API, page by page). */
    List<String> inboxSubjects(String node, String account) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        List<String> out = new ArrayList<>();
        int limit = 500;
        for (int offset = 0; ; offset += limit) {
            java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://" + address(node) + ":7080/accounts/" + account + "/folders/2/messages?offset=" + offset
                            + "&limit=" + limit)).timeout(Duration.ofSeconds(30)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(r.body(), 200, r.statusCode());
            JsonNode page = JSON.readTree(r.body());
            JsonNode list = page.isArray() ? page : page.get("messages");
            list.forEach(m -> out.add(m.get("subject").asText()));
            if (list.size() < limit) {
                return out;
            }
        }
    }

    /**
     * Every message acknowledged for {@code account} is in its Inbox on its owner exactly once, and nothing
     * else is; every replica holds the same copy (checksums equal).
     */
    void assertExactlyOnceEverywhere(String account, java.util.Set<String> acknowledged, String owner, String... replicas)
            throws Exception {
        List<String> found = inboxSubjects(owner, account);
        java.util.Map<String, Integer> seen = new java.util.TreeMap<>();
        found.forEach(s -> seen.merge(s, 1, Integer::sum));
        List<String> twice = seen.entrySet().stream().filter(e -> e.getValue() > 1).map(java.util.Map.Entry::getKey).toList();
        assertTrue(account + ": stored more than once: " + twice, twice.isEmpty());
        List<String> missing = acknowledged.stream().filter(s -> !seen.containsKey(s)).sorted().toList();
        assertTrue(account + ": acknowledged but missing on " + owner + ": " + missing, missing.isEmpty());
        List<String> extra = seen.keySet().stream().filter(s -> !acknowledged.contains(s)).toList();
        assertTrue(account + ": stored but never acknowledged: " + extra, extra.isEmpty());
        awaitSameCopyOf(account, owner, replicas);
    }

    /** Waits until every replica of every account is in sync and available, as {@code node} sees it (ha:getAccountStatus). */
    void awaitEveryReplicaInSync(String node) {
        Harness.await("every replica in sync", SYNC, () -> {
            try {
                for (JsonNode a : json(node, "ha", "getAccountStatus")) {
                    for (JsonNode r : a.get("replicas")) {
                        if (!"in-sync".equals(r.get("state").asText()) || !r.get("available").asBoolean()) {
                            return false;
                        }
                    }
                }
                return true;
            } catch (Exception e) {
                return false;
            }
        });
    }

    /** Closes the load, then the cluster (either may be null when the class set-up failed). */
    static void close(LmtpLoad load, HaCluster cluster) throws Exception {
        try {
            if (load != null) {
                load.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** The account's mailHost in the directory, as {@code node} reads it. */
    String mailHost(String node, String account) throws Exception {
        return json(node, "prov", "getAccount", account).get("mailHost").asText();
    }
}
