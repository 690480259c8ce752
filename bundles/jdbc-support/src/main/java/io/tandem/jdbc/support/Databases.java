package io.tandem.jdbc.support;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.osgi.service.jdbc.DataSourceFactory;

import java.sql.SQLException;
import java.util.List;
import java.util.Properties;

/** Opening a pooled database from a component's configuration; every error names the PID and key. */
public final class Databases {

    private Databases() {
    }

    /** Connection settings of one database, as a component's configuration gives them. */
    public record Settings(String pid, String poolName, String url, String user, String password, int poolSize,
                           int connectTimeoutSeconds) {
    }

    /**
     * A pool over the driver's {@link DataSourceFactory} matching the URL. The pool starts even when the
     * database is down: requests fail until it answers.
     *
     * @throws IllegalArgumentException naming the PID, key and value of a bad setting
     * @throws IllegalStateException    when no driver for the URL is installed
     */
    public static HikariDataSource open(List<DataSourceFactory> drivers, Settings s) {
        String url = resolve(s.pid(), s.url());
        String driver = driverClass(s.pid(), url);
        if (s.poolSize() < 1) {
            throw new IllegalArgumentException(s.pid() + ": pool.size = " + s.poolSize() + " must be >= 1");
        }
        if (s.connectTimeoutSeconds() < 1) {
            throw new IllegalArgumentException(s.pid() + ": connect.timeout.seconds = " + s.connectTimeoutSeconds() + " must be >= 1");
        }
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
        try {
            HikariConfig hc = new HikariConfig();
            hc.setDataSource(factory.createDataSource(p));
            hc.setPoolName(s.poolName());
            hc.setMaximumPoolSize(s.poolSize());
            hc.setMinimumIdle(1);
            hc.setConnectionTimeout(s.connectTimeoutSeconds() * 1000L);
            hc.setInitializationFailTimeout(-1);
            return new HikariDataSource(hc);
        } catch (SQLException e) {
            throw new IllegalStateException(s.pid() + ": cannot open " + redact(url) + ": " + e.getMessage(), e);
        }
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
