package io.tandem.directory.jdbc.internal;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.osgi.service.jdbc.DataSourceFactory;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The directory contract on a real PostgreSQL server, started by scripts/infra/postgres.sh.
 * Fails (never skips) when the server cannot be started.
 */
public class PostgresDirectoryIT extends DirectoryContract {

    private static Path dataDir;
    private static String baseUrl;
    private static int port;

    @BeforeClass
    public static void startPostgres() throws Exception {
        Path repo = Path.of(System.getProperty("tandem.repo", "../.."));
        dataDir = repo.resolve("bundles/directory-jdbc/target/postgres").toAbsolutePath();
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String out = run(repo.resolve("scripts/infra/postgres.sh").toString(), "start", dataDir.toString(), Integer.toString(port));
        baseUrl = out.lines().filter(l -> l.startsWith("jdbc:postgresql:")).findFirst()
                .orElseThrow(() -> new AssertionError("postgres.sh printed no JDBC URL: " + out));
    }

    @AfterClass
    public static void stopPostgres() throws Exception {
        if (dataDir != null) {
            run(Path.of(System.getProperty("tandem.repo", "../..")).resolve("scripts/infra/postgres.sh").toString(), "stop", dataDir.toString());
        }
    }

    private static String run(String... cmd) throws IOException, InterruptedException {
        Path out = Files.createTempFile("pg", ".out");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " did not finish in 180 s");
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + text);
        }
        return text;
    }

    @Override
    protected String freshDatabase() throws Exception {
        String db = "dir_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection c = DriverManager.getConnection(baseUrl); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + db);
        }
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db + "?user=postgres";
    }

    @Override
    protected DataSourceFactory driver() {
        return new org.postgresql.osgi.PGDataSourceFactory();
    }
}
