package io.tandem.jdbc.support;

import io.tandem.api.concurrent.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A database whose schema must be migrated before use, and which may start after the node: the
 * migration is tried at once and then every {@code retrySeconds} until it succeeds; meanwhile
 * {@link #notReady()} gives the reason and {@link #guard(DataSource)} refuses connections with it.
 */
public final class SchemaGate implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SchemaGate.class);

    private final String what;
    private final String url;
    private final Runnable migrate;
    private final AtomicReference<String> notReady = new AtomicReference<>("schema not migrated yet");
    private final ScheduledExecutorService retry;

    /**
     * @param what    e.g. "directory database", for messages
     * @param url     the URL, already redacted, for the log
     * @param migrate runs the migration; throws when the database cannot be used yet
     */
    public SchemaGate(String what, String url, Runnable migrate, long retrySeconds) {
        this.what = what;
        this.url = url;
        this.migrate = migrate;
        this.retry = Executors.newSingleThreadScheduledExecutor(Threads.named("tandem-schema-" + what.replace(' ', '-')));
        if (!tryMigrate()) {
            retry.scheduleWithFixedDelay(() -> {
                if (tryMigrate()) {
                    throw new IllegalStateException("migrated"); // ends the periodic task
                }
            }, retrySeconds, retrySeconds, TimeUnit.SECONDS);
        }
    }

    private boolean tryMigrate() {
        try {
            migrate.run();
            notReady.set(null);
            LOG.info("Started {} on {}", what, url);
            return true;
        } catch (RuntimeException e) {
            String reason = rootMessage(e);
            if (!reason.equals(notReady.getAndSet(reason))) {
                LOG.warn("{} {} not usable yet (retrying): {}", what, url, reason);
            }
            return false;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return String.valueOf(t.getMessage());
    }

    /** Why the database cannot be used yet, if it cannot. */
    public Optional<String> notReady() {
        return Optional.ofNullable(notReady.get());
    }

    /** A data source that refuses connections, naming the reason, until the schema is migrated. */
    public DataSource guard(DataSource source) {
        return new DataSource() {
            private void check() throws SQLException {
                String why = notReady.get();
                if (why != null) {
                    throw new SQLException(what + " is not ready: " + why);
                }
            }

            @Override
            public Connection getConnection() throws SQLException {
                check();
                return source.getConnection();
            }

            @Override
            public Connection getConnection(String user, String password) throws SQLException {
                check();
                return source.getConnection(user, password);
            }

            @Override
            public PrintWriter getLogWriter() throws SQLException {
                return source.getLogWriter();
            }

            @Override
            public void setLogWriter(PrintWriter out) throws SQLException {
                source.setLogWriter(out);
            }

            @Override
            public void setLoginTimeout(int seconds) throws SQLException {
                source.setLoginTimeout(seconds);
            }

            @Override
            public int getLoginTimeout() throws SQLException {
                return source.getLoginTimeout();
            }

            @Override
            public java.util.logging.Logger getParentLogger() throws SQLFeatureNotSupportedException {
                return source.getParentLogger();
            }

            @Override
            public <T> T unwrap(Class<T> type) throws SQLException {
                return source.unwrap(type);
            }

            @Override
            public boolean isWrapperFor(Class<?> type) throws SQLException {
                return source.isWrapperFor(type);
            }
        };
    }

    @Override
    public void close() {
        retry.shutdownNow();
    }
}
