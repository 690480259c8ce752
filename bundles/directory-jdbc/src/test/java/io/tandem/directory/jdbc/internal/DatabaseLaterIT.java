package io.tandem.directory.jdbc.internal;

import io.tandem.api.test.ConfigProxy;
import org.junit.After;
import org.junit.Test;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

/**
 * A node may start before its directory database: the directory then refuses requests with the reason
 * and becomes usable by itself once the database answers (real PostgreSQL started late).
 */
public class DatabaseLaterIT {

    private final Path repo = Path.of(System.getProperty("tandem.repo", "../..")).toAbsolutePath().normalize();
    private final Path dataDir = repo.resolve("bundles/directory-jdbc/target/postgres-later");
    private DirectoryComponent dir;

    @After
    public void stop() throws Exception {
        if (dir != null) {
            dir.deactivateForTest();
        }
        run("stop");
    }

    private String run(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(repo.resolve("scripts/infra/postgres.sh").toString(), args[0], dataDir.toString()));
        cmd.addAll(List.of(args).subList(1, args.length));
        Path out = Files.createTempFile("pg", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(cmd + " did not finish in 180 s");
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            fail(cmd + " failed: " + text);
        }
        return text;
    }

    @Test
    public void theDirectoryWaitsForItsDatabaseAndThenServes() throws Exception {
        run("stop");
        if (Files.exists(dataDir)) { // a fresh, empty database for every run
            try (var paths = Files.walk(dataDir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        dir = new DirectoryComponent(List.of(new org.postgresql.osgi.PGDataSourceFactory()),
                ConfigProxy.of(DirectoryComponent.Config.class, Map.of(
                        "jdbc_url", "jdbc:postgresql://127.0.0.1:" + port + "/tandem?user=postgres",
                        "connect_timeout_seconds", 1)));
        assertTrue("not ready while nothing listens", dir.notReady().isPresent());
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> dir.createDomain("example.com"));
        assertTrue(refused.getMessage(), refused.getMessage().startsWith("directory database is not ready: "));

        run("start", Integer.toString(port));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (dir.notReady().isPresent()) {
            if (System.nanoTime() > deadline) {
                fail("the directory did not become ready within 60 s of the database starting: " + dir.notReady().get());
            }
            TimeUnit.MILLISECONDS.sleep(200); // bounded poll: the retry runs every 5 s
        }
        dir.createDomain("example.com");
        assertEquals(1, dir.domains().size());
    }
}
