package io.tandem.directory.jdbc.internal;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.api.blob.VolumeRegistry;
import io.tandem.api.cluster.ClusterMessageListener;
import io.tandem.api.cluster.ClusterMessaging;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.DirectoryService;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.jdbc.DataSourceFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The directory service of this node: a connection pool to the directory database (H2 file by default,
 * PostgreSQL in production), schema migrated by Flyway at start, then {@link JdbcDirectory}.
 */
@Component(service = {DirectoryService.class, DirectoryAdminService.class, VolumeRegistry.class, VolumeAdminService.class,
        ClusterMessageListener.class},
        configurationPid = DirectoryComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
        property = ClusterMessageListener.TOPIC_PROPERTY + "=" + JdbcDirectory.OWNER_TOPIC)
@Designate(ocd = DirectoryComponent.Config.class)
public class DirectoryComponent extends JdbcDirectory {

    public static final String PID = "tandem.directory";
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryComponent.class);

    @ObjectClassDefinition(name = "Tandem directory", description = "Directory database connection")
    public @interface Config {
        @AttributeDefinition(description = "JDBC URL: jdbc:postgresql://host:5432/db or jdbc:h2:file:/path")
        String jdbc_url();

        @AttributeDefinition(description = "Database user")
        String jdbc_user() default "";

        @AttributeDefinition(type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD, description = "Database password")
        String jdbc_password() default "";

        @AttributeDefinition(description = "Maximum connections in the pool")
        int pool_size() default 5;

        @AttributeDefinition(description = "Seconds to wait for a connection before failing a request")
        int connect_timeout_seconds() default 10;

        @AttributeDefinition(description = "Seconds an account owner stays cached when no change is announced")
        int owner_cache_ttl_seconds() default 30;
    }

    static final long RETRY_SECONDS = 5;
    private final HikariDataSource pool;
    private final AtomicReference<ClusterMessaging> messaging;
    private final AtomicReference<String> notReady;
    private final ScheduledExecutorService retry;

    @Activate
    public DirectoryComponent(@Reference(cardinality = ReferenceCardinality.MULTIPLE, policyOption = ReferencePolicyOption.GREEDY)
                              List<DataSourceFactory> drivers, Map<String, Object> props, Config config) {
        this(open(drivers, config), config, new AtomicReference<>(), new AtomicReference<>("schema not migrated yet"));
    }

    private DirectoryComponent(HikariDataSource pool, Config config, AtomicReference<ClusterMessaging> messaging,
                               AtomicReference<String> notReady) {
        super(new Sql(pool, notReady::get), messaging::get, Duration.ofSeconds(config.owner_cache_ttl_seconds()), Clock.systemUTC());
        this.pool = pool;
        this.messaging = messaging;
        this.notReady = notReady;
        this.retry = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-directory-migrate");
            t.setDaemon(true);
            return t;
        });
        String url = redact(config.jdbc_url());
        if (!tryMigrate(url)) {
            // the database may come up after this node: keep trying, requests fail with the reason meanwhile
            retry.scheduleWithFixedDelay(() -> {
                if (tryMigrate(url)) {
                    throw new IllegalStateException("migrated"); // ends the periodic task
                }
            }, RETRY_SECONDS, RETRY_SECONDS, TimeUnit.SECONDS);
        }
    }

    private boolean tryMigrate(String url) {
        try {
            migrate(pool);
            notReady.set(null);
            LOG.info("Started directory on {}", url);
            return true;
        } catch (RuntimeException e) {
            String reason = rootMessage(e);
            if (!reason.equals(notReady.getAndSet(reason))) {
                LOG.warn("Directory database {} not usable yet (retrying every {} s): {}", url, RETRY_SECONDS, reason);
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

    /** Why the directory cannot serve requests yet, if it cannot. */
    public java.util.Optional<String> notReady() {
        return java.util.Optional.ofNullable(notReady.get());
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void setMessaging(ClusterMessaging m) {
        messaging.set(m);
    }

    void unsetMessaging(ClusterMessaging m) {
        messaging.compareAndSet(m, null);
    }

    @Deactivate
    void deactivate() {
        retry.shutdownNow();
        pool.close();
        LOG.info("Stopped directory");
    }

    /** Closes the pool (tests outside OSGi). */
    public void deactivateForTest() {
        deactivate();
    }

    static String driverClass(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException(PID + ": jdbc.url is empty");
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return "org.postgresql.Driver";
        }
        if (url.startsWith("jdbc:h2:")) {
            return "org.h2.Driver";
        }
        throw new IllegalArgumentException(PID + ": jdbc.url = '" + redact(url) + "' is not supported: use jdbc:postgresql: or jdbc:h2:");
    }

    private static HikariDataSource open(List<DataSourceFactory> drivers, Config config) {
        String driver = driverClass(config.jdbc_url());
        if (config.pool_size() < 1) {
            throw new IllegalArgumentException(PID + ": pool.size = " + config.pool_size() + " must be >= 1");
        }
        DataSourceFactory factory = drivers.stream()
                .filter(f -> driver.equals(driverOf(f)))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(PID + ": no JDBC driver " + driver + " is installed for "
                        + redact(config.jdbc_url())));
        Properties p = new Properties();
        p.setProperty(DataSourceFactory.JDBC_URL, config.jdbc_url());
        if (!config.jdbc_user().isEmpty()) {
            p.setProperty(DataSourceFactory.JDBC_USER, config.jdbc_user());
        }
        if (!config.jdbc_password().isEmpty()) {
            p.setProperty(DataSourceFactory.JDBC_PASSWORD, config.jdbc_password());
        }
        try {
            return pool(factory.createDataSource(p), config.pool_size(), config.connect_timeout_seconds());
        } catch (SQLException e) {
            throw new IllegalStateException(PID + ": cannot open " + redact(config.jdbc_url()) + ": " + e.getMessage(), e);
        }
    }

    private static String driverOf(DataSourceFactory factory) {
        // the OSGi JDBC spec publishes it as a service property; the factories of H2 and PostgreSQL name their class
        String name = factory.getClass().getName();
        if (name.startsWith("org.h2.")) {
            return "org.h2.Driver";
        }
        if (name.startsWith("org.postgresql.")) {
            return "org.postgresql.Driver";
        }
        return name;
    }

    static HikariDataSource pool(DataSource source, int size, int timeoutSeconds) {
        HikariConfig hc = new HikariConfig();
        hc.setDataSource(source);
        hc.setPoolName("tandem-directory");
        hc.setMaximumPoolSize(size);
        hc.setMinimumIdle(1);
        hc.setConnectionTimeout(Math.max(250, timeoutSeconds * 1000L));
        hc.setInitializationFailTimeout(-1); // start even when the database is down; requests fail until it is back
        return new HikariDataSource(hc);
    }

    static void migrate(DataSource source) {
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        ClassLoader mine = DirectoryComponent.class.getClassLoader();
        Thread.currentThread().setContextClassLoader(mine);
        try {
            MigrateResult result = Flyway.configure(mine)
                    .dataSource(source)
                    .locations("classpath:db/directory")
                    .table("directory_schema_history")
                    .load()
                    .migrate();
            LOG.info("Directory schema at version {} ({} migration(s) applied)", result.targetSchemaVersion, result.migrationsExecuted);
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    /** A JDBC URL without any password parameter, for logs and messages. */
    static String redact(String url) {
        return url == null ? null : url.replaceAll("(?i)(password=)[^&;]*", "$1***");
    }
}
