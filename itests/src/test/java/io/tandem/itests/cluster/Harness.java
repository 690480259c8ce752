package io.tandem.itests.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/** Drives scripts/cluster.sh (the project's multi-node harness) from tests. */
final class Harness {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss,SSS");

    private final Path repo;
    private final Path clusterDir;
    private final Path dist;

    Harness(Path repo, Path clusterDir, Path dist) {
        this.repo = repo;
        this.clusterDir = clusterDir;
        this.dist = dist;
    }

    static Harness fromSystemProperties(String dirName) {
        Path repo = Path.of(required("tandem.repo")).toAbsolutePath().normalize();
        Path dist = Path.of(required("tandem.dist")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(dist)) {
            throw new IllegalStateException("distribution " + dist + " not found: build karaf-assembly first");
        }
        return new Harness(repo, repo.resolve("itests/target").resolve(dirName), dist);
    }

    private static String required(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + key + " is not set (set by the itests pom)");
        }
        return v;
    }

    /** Runs the harness; fails with its output when it exits non-zero. */
    String run(long timeoutSeconds, String... args) {
        Result r = tryRun(timeoutSeconds, args);
        if (r.code != 0) {
            throw new AssertionError("scripts/cluster.sh " + String.join(" ", args) + " exited " + r.code + ":\n" + r.output);
        }
        return r.output;
    }

    record Result(int code, String output) {
    }

    Result tryRun(long timeoutSeconds, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("bash");
        cmd.add(repo.resolve("scripts/cluster.sh").toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).directory(repo.toFile());
        pb.environment().put("TANDEM_CLUSTER_DIR", clusterDir.toString());
        pb.environment().put("TANDEM_DIST", dist.toString());
        String javaOpts = System.getProperty("tandem.node.java.opts", "");
        if (!javaOpts.isBlank()) {
            pb.environment().put("TANDEM_NODE_JAVA_OPTS", javaOpts);
        }
        try {
            File out = Files.createTempFile("harness", ".out").toFile();
            pb.redirectOutput(out);
            Process p = pb.start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("scripts/cluster.sh " + String.join(" ", args) + " did not finish in " + timeoutSeconds + " s");
            }
            String text = Files.readString(out.toPath(), StandardCharsets.UTF_8);
            out.delete();
            return new Result(p.exitValue(), text);
        } catch (IOException e) {
            throw new AssertionError("cannot run scripts/cluster.sh: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Runs a shell command on a node through bin/tandem. */
    String exec(String node, String scope, String command, String... args) {
        List<String> all = new ArrayList<>(List.of("exec", node, scope, command));
        all.addAll(List.of(args));
        return run(60, all.toArray(String[]::new));
    }

    /** cluster:node-list --json seen from a node: name -> roles; empty when the node does not answer. */
    Optional<Map<String, List<String>>> membersSeenBy(String node) {
        Result r = tryRun(60, "exec", node, "cluster", "node-list", "--json");
        if (r.code != 0) {
            return Optional.empty();
        }
        return Optional.of(members(node, r.output));
    }

    /** The output of cluster:node-list --json on {@code node}: name -> roles. */
    static Map<String, List<String>> members(String node, String output) {
        try {
            JsonNode list = JSON.readTree(output.substring(output.indexOf('[')));
            Map<String, List<String>> out = new TreeMap<>();
            for (JsonNode n : list) {
                List<String> roles = new ArrayList<>();
                n.get("roles").forEach(x -> roles.add(x.asText()));
                out.put(n.get("name").asText(), roles);
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new AssertionError("cluster:node-list --json on " + node + " is not JSON: " + output, e);
        }
    }

    Path log(String node) {
        return clusterDir.resolve(node).resolve("node/data/log/karaf.log");
    }

    /** Time of the first karaf.log line of {@code node} after {@code since} matching {@code regex}. */
    Optional<Instant> logTime(String node, String regex, Instant since) {
        Pattern p = Pattern.compile(regex);
        Path log = log(node);
        if (!Files.exists(log)) {
            return Optional.empty();
        }
        try {
            for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                if (line.length() < 23 || !p.matcher(line).find()) {
                    continue;
                }
                Instant t = LocalDateTime.parse(line.substring(0, 23), LOG_TIME).atZone(ZoneId.systemDefault()).toInstant();
                if (!t.isBefore(since)) {
                    return Optional.of(t);
                }
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new AssertionError("cannot read " + log, e);
        }
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) {
        io.tandem.api.test.Await.until(what, timeout, Duration.ofMillis(200), condition, () -> "");
    }
}
