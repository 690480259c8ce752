package io.tandem.mailstore.jdbc.internal;

import io.tandem.jdbc.support.Databases;
import io.tandem.jdbc.support.SchemaGate;

import com.zaxxer.hikari.HikariDataSource;
import io.tandem.api.mailbox.MailboxChangeHook;
import io.tandem.api.mailbox.MailboxStore;
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
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * The mailbox metadata store of this Mailstore: a connection pool to its local database (an H2 file by
 * default, PostgreSQL for a real server), schema migrated by Flyway at start (history table
 * {@code mailstore_schema_history}, migrations {@code db/mailstore}), then {@link JdbcMailboxStore}.
 * Every {@link MailboxChangeHook} service is called with every local change before it commits.
 */
@Component(name = MailstoreDatabase.PID, service = MailboxStore.class, configurationPid = MailstoreDatabase.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true)
@Designate(ocd = MailstoreDatabase.Config.class)
public class MailstoreDatabase extends JdbcMailboxStore {

    public static final String PID = "tandem.mailstore.db";
    /** WRITE_DELAY=0: each commit is written to the operating system before the client is answered (survives kill -9). */
    static final String DEFAULT_URL = "jdbc:h2:file:${karaf.data}/mailstore/mailboxes;LOCK_TIMEOUT=10000;WRITE_DELAY=0";
    private static final Logger LOG = LoggerFactory.getLogger(MailstoreDatabase.class);

    @ObjectClassDefinition(name = "Tandem mailstore database", description = "Local database of the mailbox metadata")
    public @interface Config {
        @AttributeDefinition(description = "JDBC URL: jdbc:h2:file:/path or jdbc:postgresql://host:5432/db; "
                + "${karaf.data} is replaced by Karaf's data folder. An H2 file runs with WRITE_DELAY=0 (added when "
                + "missing); any other WRITE_DELAY is refused, it would lose acknowledged mail on a crash")
        String jdbc_url() default DEFAULT_URL;

        @AttributeDefinition(description = "Database user")
        String jdbc_user() default "";

        @AttributeDefinition(type = AttributeType.PASSWORD, description = "Database password")
        String jdbc_password() default "";

        @AttributeDefinition(description = "Maximum connections in the pool")
        int pool_size() default 10;

        @AttributeDefinition(description = "Seconds to wait for a connection before failing a request")
        int connect_timeout_seconds() default 10;

        @AttributeDefinition(description = "PostgreSQL: seconds a call waits for the server's answer before it fails "
                + "(a server gone without closing its sockets); 0: for ever")
        int socket_timeout_seconds() default 60;

        @AttributeDefinition(description = "Names of change hooks (service property tandem.hook) without which every "
                + "local change is refused, e.g. replication")
        String[] required_hooks() default {};
    }

    static final long RETRY_SECONDS = 5;
    private final HikariDataSource pool;
    private final SchemaGate gate;
    /** The resolved JDBC URL (an H2 file's clean close is recorded by it). */
    private final String url;

    /** The database closed itself at a failed write while open (a full disk): its file is checked at the next start. */
    private final java.util.concurrent.atomic.AtomicBoolean closedItself;

    private record Opened(HikariDataSource pool, SchemaGate gate, String url, java.util.concurrent.atomic.AtomicBoolean closedItself) {
    }

    @Activate
    public MailstoreDatabase(@Reference(cardinality = ReferenceCardinality.MULTIPLE, policyOption = ReferencePolicyOption.GREEDY)
                             List<DataSourceFactory> drivers, Config config) {
        this(opened(drivers, config));
        requireHooks(java.util.Arrays.stream(config.required_hooks()).flatMap(h -> java.util.Arrays.stream(h.split(","))).map(String::trim).filter(h -> !h.isEmpty())
                .collect(java.util.stream.Collectors.toSet()));
    }

    private MailstoreDatabase(Opened opened) {
        super(opened.gate().guard(opened.pool()), Clock.systemUTC());
        this.pool = opened.pool();
        this.gate = opened.gate();
        this.url = opened.url();
        this.closedItself = opened.closedItself();
    }

    /**
     * The pool, and the schema migrated now or, when the database is not up yet, as soon as it is. An H2 file whose
     * last run did not stop cleanly is checked first, and rebuilt from its tables if an index disagrees with them.
     */
    private static Opened opened(List<DataSourceFactory> drivers, Config config) {
        String url = Databases.durable(PID, url(config));
        H2Recovery.Outcome checked = H2Recovery.beforeOpen(url, u -> unpooled(drivers, config, u), Clock.systemUTC());
        LOG.debug("Mailstore database check before opening: {}", checked);
        java.util.concurrent.atomic.AtomicBoolean closedItself = new java.util.concurrent.atomic.AtomicBoolean();
        HikariDataSource pool = open(drivers, config, () -> {
            if (closedItself.compareAndSet(false, true)) {
                LOG.error("The mailbox database closed itself at a write that failed (a full disk?): it is opened anew, and "
                        + "checked as after a crash at the next start of this node");
            }
        });
        return new Opened(pool, new SchemaGate("mailstore database", Databases.redact(url(config)), () -> migrate(pool), RETRY_SECONDS),
                url, closedItself);
    }

    private static DataSource unpooled(List<DataSourceFactory> drivers, Config config, String url) {
        try {
            return Databases.unpooled(drivers, new Databases.Settings(PID, "tandem-mailstore-check", url, config.jdbc_user(),
                    config.jdbc_password(), 1, config.connect_timeout_seconds(), config.socket_timeout_seconds()));
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(PID + ": cannot open " + Databases.redact(url) + ": " + e.getMessage(), e);
        }
    }

    @Override
    public java.util.Optional<String> rowsMayBeMissing() {
        return H2Recovery.rowsMayBeMissing(url);
    }

    @Override
    public void rowsMayBeMissingHandled() {
        H2Recovery.rowsMayBeMissingHandled(url);
    }

    /** Why the store cannot serve requests yet, if it cannot. */
    public java.util.Optional<String> notReady() {
        return gate.notReady();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY, unbind = "removeHook")
    void addHook(MailboxChangeHook hook, Map<String, Object> properties) {
        Object name = properties.get(MailboxChangeHook.NAME_PROPERTY);
        super.addHook(hook, name == null ? null : name.toString());
    }

    @Override
    void removeHook(MailboxChangeHook hook) {
        super.removeHook(hook);
    }

    @Deactivate
    void deactivate() {
        gate.close();
        pool.close();
        if (closedItself.get()) {
            LOG.warn("The mailbox database closed itself at a failed write during this run: the next start checks it");
        } else {
            H2Recovery.closed(url); // a clean stop: the next start needs no check
        }
        LOG.info("Stopped mailstore database");
    }

    /** Closes the pool (tests outside OSGi). */
    public void deactivateForTest() {
        deactivate();
    }

    /** The configured URL with {@code ${karaf.data}} resolved; fails naming the PID and key when it cannot be. */
    static String url(Config config) {
        return Databases.resolve(PID, config.jdbc_url());
    }


    private static HikariDataSource open(List<DataSourceFactory> drivers, Config config, Runnable closedItself) {
        return Databases.open(drivers, new Databases.Settings(PID, "tandem-mailstore", config.jdbc_url(), config.jdbc_user(),
                config.jdbc_password(), config.pool_size(), config.connect_timeout_seconds(), config.socket_timeout_seconds()),
                closedItself);
    }

    static void migrate(DataSource source) {
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        ClassLoader mine = MailstoreDatabase.class.getClassLoader();
        Thread.currentThread().setContextClassLoader(mine);
        try {
            MigrateResult result = Flyway.configure(mine)
                    .dataSource(source)
                    .locations("classpath:db/mailstore")
                    .table("mailstore_schema_history")
                    .load()
                    .migrate();
            LOG.info("Mailstore schema at version {} ({} migration(s) applied)", result.targetSchemaVersion, result.migrationsExecuted);
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

}
