package io.tandem.directory.jdbc.internal;

import com.zaxxer.hikari.HikariDataSource;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.api.blob.VolumeRegistry;
import io.tandem.api.cluster.ClusterMessageListener;
import io.tandem.api.cluster.ClusterMessaging;
import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.directory.DatabaseStatus;
import io.tandem.api.directory.DirectoryDatabase;
import io.tandem.jdbc.support.Databases;
import io.tandem.jdbc.support.SchemaGate;
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
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The directory service of this node: a connection pool to the directory database (H2 file by default,
 * PostgreSQL in production), schema migrated by Flyway at start, then {@link JdbcDirectory}.
 */
@Component(service = {DirectoryService.class, DirectoryAdminService.class, VolumeRegistry.class, VolumeAdminService.class,
        DirectoryDatabase.class, ClusterMessageListener.class},
        configurationPid = DirectoryComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
        property = ClusterMessageListener.TOPIC_PROPERTY + "=" + JdbcDirectory.OWNER_TOPIC)
@Designate(ocd = DirectoryComponent.Config.class)
public class DirectoryComponent extends JdbcDirectory implements DirectoryDatabase {

    public static final String PID = "tandem.directory";
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryComponent.class);

    @ObjectClassDefinition(name = "Tandem directory", description = "Directory database connection")
    public @interface Config {
        @AttributeDefinition(description = "JDBC URL: jdbc:postgresql://host:5432/db or jdbc:h2:file:/path. An H2 file "
                + "runs with WRITE_DELAY=0 (added when missing); any other WRITE_DELAY is refused, it would lose "
                + "acknowledged changes on a crash")
        String jdbc_url();

        @AttributeDefinition(description = "Database user")
        String jdbc_user() default "";

        @AttributeDefinition(type = org.osgi.service.metatype.annotations.AttributeType.PASSWORD, description = "Database password")
        String jdbc_password() default "";

        @AttributeDefinition(description = "Maximum connections in the pool")
        int pool_size() default 5;

        @AttributeDefinition(description = "Seconds to wait for a connection before failing a request")
        int connect_timeout_seconds() default 10;

        @AttributeDefinition(description = "PostgreSQL: seconds a call waits for the server's answer before it fails "
                + "(a server gone without closing its sockets); 0: for ever")
        int socket_timeout_seconds() default 60;

        @AttributeDefinition(description = "Seconds an account owner stays cached when no change is announced")
        int owner_cache_ttl_seconds() default 30;
    }

    static final long RETRY_SECONDS = 5;
    private final HikariDataSource pool;
    private final AtomicReference<ClusterMessaging> messaging;
    private final SchemaGate gate;
    private final DatabaseProbe probe;

    @Activate
    public DirectoryComponent(@Reference(cardinality = ReferenceCardinality.MULTIPLE, policyOption = ReferencePolicyOption.GREEDY)
                              List<DataSourceFactory> drivers, Config config) {
        this(open(drivers, config), config, new AtomicReference<>(), new AtomicReference<>());
    }

    private DirectoryComponent(HikariDataSource pool, Config config, AtomicReference<ClusterMessaging> messaging,
                               AtomicReference<SchemaGate> gate) {
        super(new Sql(pool, () -> gate.get() == null ? "starting" : gate.get().notReady().orElse(null)),
                messaging::get, Duration.ofSeconds(config.owner_cache_ttl_seconds()), Clock.systemUTC());
        this.pool = pool;
        this.messaging = messaging;
        // the database may come up after this node: keep trying, requests fail with the reason meanwhile
        this.gate = new SchemaGate("directory database", Databases.redact(config.jdbc_url()), () -> migrate(pool), RETRY_SECONDS);
        gate.set(this.gate);
        this.probe = new DatabaseProbe(pool, Databases.redact(config.jdbc_url()));
    }

    @Override
    public DatabaseStatus databaseStatus() {
        return probe.status(gate.notReady().orElse(null));
    }

    /** Why the directory cannot serve requests yet, if it cannot. */
    public java.util.Optional<String> notReady() {
        return gate.notReady();
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
        gate.close();
        pool.close();
        LOG.info("Stopped directory");
    }

    /** Closes the pool (tests outside OSGi). */
    public void deactivateForTest() {
        deactivate();
    }


    private static HikariDataSource open(List<DataSourceFactory> drivers, Config config) {
        return Databases.open(drivers, new Databases.Settings(PID, "tandem-directory", config.jdbc_url(), config.jdbc_user(),
                config.jdbc_password(), config.pool_size(), config.connect_timeout_seconds(), config.socket_timeout_seconds()));
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

}
