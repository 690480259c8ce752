package io.tandem.jdbc.support;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.SQLExceptionOverride;
import com.zaxxer.hikari.HikariDataSource;
import org.osgi.service.jdbc.DataSourceFactory;

import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/** Opening a pooled database from a component's configuration; every error names the PID and key. */
public final class Databases {

    private Databases() {
    }

    /**
     * Connection settings of one database, as a component's configuration gives them.
     *
     * @param socketTimeoutSeconds how long a PostgreSQL connection waits for an answer before the call fails (a
     *                             server that went away without closing its sockets: a network cut, a failover);
     *                             0: for ever
     */
    public record Settings(String pid, String poolName, String url, String user, String password, int poolSize,
                           int connectTimeoutSeconds, int socketTimeoutSeconds) {
    }

    /**
     * A pool over the driver's {@link DataSourceFactory} matching the URL. The pool starts even when the
     * database is down: requests fail until it answers. An embedded H2 database commits durably (see
     * {@link #durable}).
     *
     * @throws IllegalArgumentException naming the PID, key and value of a bad setting
     * @throws IllegalStateException    when no driver for the URL is installed
     */
    public static HikariDataSource open(List<DataSourceFactory> drivers, Settings s) {
        return open(drivers, s, () -> { });
    }

    /**
     * {@link #open(List, Settings)}, telling {@code closedItself} each time a connection says its database closed itself
     * (an embedded H2 database does at a write that failed, a full disk): every connection of the pool is dropped then
     * (they all belong to the closed database), and the next one opens the file anew. The caller learns that its file
     * went through what a crash does to it.
     */
    public static HikariDataSource open(List<DataSourceFactory> drivers, Settings s, Runnable closedItself) {
        String url = durable(s.pid(), resolve(s.pid(), s.url()));
        String driver = driverClass(s.pid(), url);
        if (s.poolSize() < 1) {
            throw new IllegalArgumentException(s.pid() + ": pool.size = " + s.poolSize() + " must be >= 1");
        }
        if (s.connectTimeoutSeconds() < 1) {
            throw new IllegalArgumentException(s.pid() + ": connect.timeout.seconds = " + s.connectTimeoutSeconds() + " must be >= 1");
        }
        if (s.socketTimeoutSeconds() < 0) {
            throw new IllegalArgumentException(s.pid() + ": socket.timeout.seconds = " + s.socketTimeoutSeconds() + " must be >= 0");
        }
        try {
            HikariConfig hc = new HikariConfig();
            hc.setDataSource(unpooled(drivers, s));
            hc.setPoolName(s.poolName());
            hc.setMaximumPoolSize(s.poolSize());
            hc.setMinimumIdle(1);
            hc.setConnectionTimeout(s.connectTimeoutSeconds() * 1000L);
            hc.setInitializationFailTimeout(-1);
            java.util.concurrent.atomic.AtomicReference<HikariDataSource> pool = new java.util.concurrent.atomic.AtomicReference<>();
            hc.setExceptionOverride(new SQLExceptionOverride() {
                @java.lang.Override
                public Override adjudicate(SQLException e) {
                    if (!closedDatabase(e)) {
                        return Override.CONTINUE_EVICT;
                    }
                    HikariDataSource p = pool.get();
                    if (p != null && p.getHikariPoolMXBean() != null) {
                        // the idle ones too: H2 still calls them valid, and each would fail one more request
                        p.getHikariPoolMXBean().softEvictConnections();
                    }
                    closedItself.run();
                    return Override.MUST_EVICT;
                }
            });
            HikariDataSource opened = new HikariDataSource(hc);
            pool.set(opened);
            return opened;
        } catch (SQLException e) {
            throw new IllegalStateException(s.pid() + ": cannot open " + redact(url) + ": " + e.getMessage(), e);
        }
    }

    /** H2's "database is closed" codes: DATABASE_IS_CLOSED, DATABASE_CALLED_AT_SHUTDOWN. */
    private static final java.util.Set<Integer> H2_CLOSED = java.util.Set.of(90098, 90121);

    /**
     * Whether an error says the connection's database has closed itself: an embedded H2 database does so when a write
     * fails (a full disk), and its connections never work again while a new connection opens it anew. The pool
     * drops such a connection instead of handing it out again (the Mailstore would fail every request until restarted).
     */
    static boolean closedDatabase(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && H2_CLOSED.contains(s.getErrorCode())) {
                return true;
            }
        }
        return false;
    }

    /**
     * A data source without a pool for the settings' URL (resolved, and durable as {@link #open}'s): for work done
     * before the pool opens, such as a check of the database's files.
     *
     * @throws IllegalStateException when no driver for the URL is installed
     * @throws SQLException          when the driver refuses the settings
     */
    public static javax.sql.DataSource unpooled(List<DataSourceFactory> drivers, Settings s) throws SQLException {
        String url = bounded(durable(s.pid(), resolve(s.pid(), s.url())), s.connectTimeoutSeconds(), s.socketTimeoutSeconds());
        String driver = driverClass(s.pid(), url);
        DataSourceFactory factory = drivers.stream()
                .filter(f -> driver.equals(driverOf(f)))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(s.pid() + ": no JDBC driver " + driver + " is installed for " + redact(url)));
        Properties p = new Properties();
        p.setProperty(DataSourceFactory.JDBC_URL, url);
        if (s.user() != null && !s.user().isEmpty()) {
            p.setProperty(DataSourceFactory.JDBC_USER, s.user());
        }
        if (s.password() != null && !s.password().isEmpty()) {
            p.setProperty(DataSourceFactory.JDBC_PASSWORD, s.password());
        }
        return factory.createDataSource(p);
    }

    /**
     * A PostgreSQL URL with the driver's {@code connectTimeout}, {@code socketTimeout} (when above 0) and
     * {@code tcpKeepAlive} added where the URL does not set them itself: without a socket time-out a call to a server
     * that went away without closing its sockets (a network cut, a failover whose old primary vanished) waits for ever,
     * and whatever the caller holds meanwhile (a mailbox lock, the applier) with it. Other URLs are left as they are.
     */
    public static String bounded(String url, int connectTimeoutSeconds, int socketTimeoutSeconds) {
        if (!url.startsWith("jdbc:postgresql:")) {
            return url;
        }
        int query = url.indexOf('?');
        java.util.Set<String> given = new java.util.HashSet<>();
        if (query >= 0) {
            for (String p : url.substring(query + 1).split("&")) {
                int eq = p.indexOf('=');
                given.add((eq < 0 ? p : p.substring(0, eq)).toLowerCase(Locale.ROOT));
            }
        }
        java.util.Map<String, String> wanted = new java.util.LinkedHashMap<>();
        wanted.put("connectTimeout", Integer.toString(connectTimeoutSeconds));
        if (socketTimeoutSeconds > 0) {
            wanted.put("socketTimeout", Integer.toString(socketTimeoutSeconds));
        }
        wanted.put("tcpKeepAlive", "true");
        List<String> added = new java.util.ArrayList<>();
        wanted.forEach((k, v) -> {
            if (!given.contains(k.toLowerCase(Locale.ROOT))) {
                added.add(k + "=" + v);
            }
        });
        if (added.isEmpty()) {
            return url;
        }
        String sep = query < 0 ? "?" : url.endsWith("?") || url.endsWith("&") ? "" : "&";
        return url + sep + String.join("&", added);
    }

    /** The URL with {@code ${karaf.data}} replaced by Karaf's data folder. */
    public static String resolve(String pid, String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(pid + ": jdbc.url is empty");
        }
        if (url.contains("${karaf.data}")) {
            String data = System.getProperty("karaf.data");
            if (data == null) {
                throw new IllegalArgumentException(pid + ": jdbc.url = '" + redact(url) + "' uses ${karaf.data}, which is not set");
            }
            return url.replace("${karaf.data}", data);
        }
        return url;
    }

    /**
     * The URL of an embedded H2 database ({@code jdbc:h2:file:/path}, or the plain {@code jdbc:h2:/path}) with
     * {@code WRITE_DELAY=0} appended when it sets no {@code WRITE_DELAY}: then H2 writes each commit to the
     * operating system before it answers, so an acknowledged write survives kill -9 of the JVM. With H2's
     * default write delay (500 ms) it answers first and writes later: a JVM killed meanwhile loses commits it
     * acknowledged. (H2 does not fsync a commit; a power loss can still lose the last ones.)
     *
     * <p>Other URLs are returned unchanged: PostgreSQL, in-memory H2 ({@code jdbc:h2:mem:}), and an H2 server
     * ({@code jdbc:h2:tcp:}, {@code jdbc:h2:ssl:}), whose own database setting decides: start that server's
     * database with {@code WRITE_DELAY=0}.
     *
     * @throws IllegalArgumentException naming the PID, {@code jdbc.url} and the URL, when an embedded H2 URL sets
     *                                  a {@code WRITE_DELAY} other than 0
     */
    public static String durable(String pid, String url) {
        if (!url.startsWith("jdbc:h2:")) {
            return url;
        }
        String database = url.substring("jdbc:h2:".length());
        if (database.startsWith("mem:") || database.startsWith("tcp:") || database.startsWith("ssl:")) {
            return url;
        }
        int settings = url.indexOf(';');
        boolean set = false;
        if (settings >= 0) {
            for (String setting : url.substring(settings + 1).split(";")) {
                int eq = setting.indexOf('=');
                // H2 reads the setting names of a URL in upper case, without trimming them
                if (eq > 0 && setting.substring(0, eq).toUpperCase(Locale.ROOT).equals("WRITE_DELAY")) {
                    String value = setting.substring(eq + 1);
                    if (!isZero(value)) {
                        throw new IllegalArgumentException(pid + ": jdbc.url = '" + redact(url) + "' sets WRITE_DELAY=" + value
                                + ": H2 would answer commits before writing them, and a crash of the JVM (kill -9) would lose "
                                + "acknowledged writes; remove WRITE_DELAY or set WRITE_DELAY=0");
                    }
                    set = true;
                }
            }
        }
        return set ? url : url + ";WRITE_DELAY=0";
    }

    private static boolean isZero(String value) {
        try {
            return Integer.parseInt(value) == 0;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The JDBC driver class for a supported URL. */
    public static String driverClass(String pid, String url) {
        if (url.startsWith("jdbc:postgresql:")) {
            return "org.postgresql.Driver";
        }
        if (url.startsWith("jdbc:h2:")) {
            return "org.h2.Driver";
        }
        throw new IllegalArgumentException(pid + ": jdbc.url = '" + redact(url) + "' is not supported: use jdbc:postgresql: or jdbc:h2:");
    }

    private static String driverOf(DataSourceFactory factory) {
        // the factories of H2 and PostgreSQL live in their drivers' packages
        String name = factory.getClass().getName();
        if (name.startsWith("org.h2.")) {
            return "org.h2.Driver";
        }
        if (name.startsWith("org.postgresql.")) {
            return "org.postgresql.Driver";
        }
        return name;
    }

    /** A JDBC URL without any password parameter, for logs and messages. */
    public static String redact(String url) {
        return url == null ? null : url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}
