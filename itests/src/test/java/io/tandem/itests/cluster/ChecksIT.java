package io.tandem.itests.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

/**
 * node:preflight, cluster:check and s3:bench on two real nodes (c1, c2: core and mailstore) with the directory
 * on a real PostgreSQL, the replication log on a real Kafka broker (KRaft) and blobs on S3Proxy: a preflight
 * whose FQDN check fails (exit code), an OK verdict with an account replicated to c2, DEGRADED with its replica
 * paused, FAILED with Kafka stopped (exit codes, --fail-on), and a short benchmark as CSV. The steps build on
 * each other, hence the fixed order.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class ChecksIT {

    private static final String ALICE = "alice@example.com";
    private static HaCluster cluster;
    private static Harness harness;

    @BeforeClass
    public static void up() throws Exception {
        cluster = HaCluster.startInCluster("checks", "it-checks", "127.0.12.", "c1 core,mailstore", "c2 core,mailstore");
        harness = cluster.harness;
        Path it = Path.of(System.getProperty("tandem.it.dir"));
        Path channel = it.resolve("checks-zextras.list");
        Files.writeString(channel, "deb [arch=amd64] https://repo.zextras.io/rc/ubuntu jammy main\n");
        // what the test machine has: no separate /opt, one broker; the rest as shipped
        for (String node : List.of("c1", "c2")) {
            Path cfg = Path.of(harness.run(30, "dir", node).trim()).resolve("etc/tandem.checks.cfg");
            Files.writeString(cfg, Files.readString(cfg)
                    .replaceAll("(?m)^storage.path = .*$", "storage.path = /")
                    .replaceAll("(?m)^storage.min.free.mb = .*$", "storage.min.free.mb = 1")
                    .replaceAll("(?m)^channel.files = .*$", "channel.files = " + channel)
                    .replaceAll("(?m)^kafka.timeout.ms = .*$", "kafka.timeout.ms = 3000")
                    .replaceAll("(?m)^kafka.min.replication.factor = .*$", "kafka.min.replication.factor = 1")
                    .replaceAll("(?m)^kafka.min.insync.replicas = .*$", "kafka.min.insync.replicas = 1"));
        }
        harness.exec("c1", "prov", "createAccount", ALICE, "c1");
        harness.exec("c1", "ha", "setAutoFailover", "disable");
        // fileinstall applies the edited file within its poll interval
        for (String node : List.of("c1", "c2")) {
            Harness.await(node + " uses the edited tandem.checks.cfg", Duration.ofSeconds(30),
                    () -> harness.tryRun(60, "exec", node, "node", "preflight").output().contains("PASS  storage /"));
        }
    }

    @AfterClass
    public static void down() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Runs a command through bin/tandem and keeps its output and exit code in the test's report. */
    private static Harness.Result run(String node, String... command) {
        List<String> all = new java.util.ArrayList<>(List.of("exec", node));
        all.addAll(List.of(command));
        Harness.Result r = harness.tryRun(120, all.toArray(String[]::new));
        System.out.println("$ bin/tandem " + String.join(" ", command) + "    (on " + node + ", exit code " + r.code() + ")\n" + r.output());
        return r;
    }

    private static JsonNode json(Harness.Result r) throws Exception {
        return HaCluster.JSON.readTree(r.output().substring(r.output().indexOf('{'), r.output().lastIndexOf('}') + 1));
    }

    private static JsonNode line(JsonNode report, String section, String target) {
        for (JsonNode c : report.get("checks")) {
            if (c.get("section").asText().equals(section) && c.get("target").asText().equals(target)) {
                return c;
            }
        }
        throw new AssertionError("no line " + section + " " + target + " in " + report);
    }

    @Test
    public void a_preflightReportsEveryCheckAndFailsOnTheFqdnMissingFromTheHostsFile() throws Exception {
        Harness.Result r = run("c1", "node", "preflight");
        String out = r.output();
        assertNotEquals("exit code of a FAIL:\n" + out, 0, r.code());
        assertTrue(out, out.contains("FAIL  fqdn c1.tandem.test") && out.contains("not in /etc/hosts (add the line '127.0.12.1  c1.tandem.test')"));
        assertTrue(out, out.contains("PASS  peers 127.0.12.2:5701"));
        assertTrue(out, out.contains("PASS  clock c2") && out.contains("within 1000 ms"));
        assertTrue(out, out.contains("PASS  storage /"));
        assertTrue(out, out.contains("PASS  buckets mail@" + cluster.s3.endpoint));
        assertTrue(out, out.contains("PASS  channel") && out.contains("channel RC"));
        assertTrue(out, out.contains("Result: FAIL"));
        assertTrue(out, out.contains("node:preflight FAILED: fqdn c1.tandem.test"));
        JsonNode report = json(run("c1", "node", "preflight", "--json"));
        assertEquals("FAIL", report.get("result").asText());
        assertEquals("FAIL", line(report, "fqdn", "c1.tandem.test").get("result").asText());
        assertEquals("PASS", line(report, "peers", "127.0.12.2:5701").get("result").asText());
    }

    @Test
    public void b_clusterCheckIsOkWithQuorumKafkaDirectoryBucketAndAReplicaInSync() throws Exception {
        harness.exec("c1", "global", "set", "brokers", cluster.kafka.brokers());
        // each node reads the global brokers every brokers.poll.ms: until c1 has, the request is refused as disabled
        String[] accepted = new String[1];
        Harness.await("c1 replicating through the brokers just set", Duration.ofSeconds(30), () -> {
            Harness.Result r = harness.tryRun(60, "exec", "c1", "ha", "setAccountDestination", "c2", "10", "accounts", ALICE);
            assertTrue(r.output(), r.code() == 0 || r.output().contains("replication is disabled"));
            accepted[0] = r.code() == 0 ? r.output() : null;
            return accepted[0] != null;
        });
        cluster.awaitDone("c1", HaCluster.uuid(accepted[0]));
        Harness.await("the replica on c2 in sync", HaCluster.SYNC, () -> harness.tryRun(60, "exec", "c1", "ha", "getAccountStatus")
                .output().contains("in-sync"));
        Harness.Result r = run("c1", "cluster", "check");
        String out = r.output();
        assertEquals("exit code of OK:\n" + out, 0, r.code());
        assertTrue(out, out.contains("PASS  quorum") && out.contains("present, 2 of 2 core nodes live"));
        assertTrue(out, out.contains("PASS  kafka brokers") && out.contains("1 live"));
        assertTrue(out, out.contains("PASS  kafka tandem.mailbox-events") && out.contains("RF 1, min.insync.replicas 1; every partition fully replicated"));
        assertTrue(out, out.contains("PASS  kafka origin") && out.contains("external: the global 'brokers' (" + cluster.kafka.brokers() + ")"));
        assertTrue(out, out.contains("PASS  directory database") && out.contains("jdbc:postgresql://")
                && out.contains("primary with 0 standbys"));
        assertTrue(out, out.contains("PASS  buckets mail@"));
        assertTrue(out, out.contains("PASS  replicas c2") && out.contains("1 copy: 1 in sync"));
        assertTrue(out, out.contains("PASS  redundancy") && out.contains("every replicated account has an available copy"));
        assertTrue(out, out.contains("PASS  roles mailstore") && out.contains("2 healthy of 2 expected"));
        assertTrue(out, out.contains("Verdict: OK"));
        assertEquals("OK", json(run("c2", "cluster", "check", "--json")).get("verdict").asText());
    }

    @Test
    public void c_aPausedReplicaIsDegradedAndStoppedKafkaIsFailed() throws Exception {
        harness.exec("c1", "ha", "pauseReplicas", "accounts", ALICE);
        Harness.Result degraded = run("c1", "cluster", "check");
        assertNotEquals(degraded.output(), 0, degraded.code());
        assertTrue(degraded.output(), degraded.output().contains("WARN  replicas c2") && degraded.output().contains("Verdict: DEGRADED"));
        assertTrue(degraded.output(), degraded.output().contains("WARN  redundancy")
                && degraded.output().contains("without an available copy: " + ALICE));
        assertEquals("DEGRADED is not a failure with --fail-on failed", 0,
                run("c1", "cluster", "check", "--fail-on", "failed").code());
        harness.exec("c1", "ha", "restartReplicas", "accounts", ALICE);

        cluster.kafka.stop();
        Harness.Result failed = run("c1", "cluster", "check", "--fail-on", "failed");
        String out = failed.output();
        assertNotEquals(out, 0, failed.code());
        assertTrue(out, out.contains("FAIL  kafka " + cluster.kafka.brokers()) && out.contains("do not answer"));
        assertTrue(out, out.contains("Verdict: FAILED"));
        assertTrue(out, out.contains("cluster:check verdict FAILED: kafka"));
    }

    @Test
    public void d_aShortBenchmarkOfTheBucketAsCsv() throws Exception {
        String bucket = HaCluster.uuid(harness.exec("c1", "core", "listBuckets"));
        Harness.Result r = run("c1", "s3", "bench", "--csv", "--max-size", "2K", "--max-threads", "2", "--ops", "4",
                "--seconds", "5", bucket);
        assertEquals(r.output(), 0, r.code());
        String out = r.output();
        List<String> rows = out.lines().filter(l -> l.matches("(PUT|GET|DELETE),\\d+,.*")).toList();
        assertTrue(out, out.contains("op,size_bytes,threads,ops,errors,seconds,mb_per_s,ops_per_s,ttfb_avg_ms"));
        assertEquals(out, 2 * 2 * 3, rows.size()); // 1 and 2 KiB x 1 and 2 threads x PUT, GET, DELETE
        for (String row : rows) {
            assertEquals(row, "4", row.split(",")[3]);
        }
        assertTrue(out, out.contains("# Verdict: "));
        assertTrue(out, out.contains("#   PUT      1 KiB x1"));
        Harness.Result table = run("c1", "s3", "bench", "--max-size", "1K", "--max-threads", "2", "--ops", "8", bucket);
        assertEquals(table.output(), 0, table.code());
        assertTrue(table.output(), table.output().contains("TTFB ms avg / p50 / p99"));
        assertTrue(table.output(), table.output().contains("Verdict: "));
    }
}
