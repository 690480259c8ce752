package io.tandem.role.mta.internal;

import io.tandem.api.cluster.ClusterService;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.node.Endpoint;
import io.tandem.api.node.Health;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import io.tandem.role.mta.internal.delivery.Deliverer;
import io.tandem.role.mta.internal.delivery.LmtpClient;
import io.tandem.role.mta.internal.smtp.RecipientCheck;
import io.tandem.role.mta.internal.smtp.SmtpListener;
import io.tandem.role.mta.internal.spool.Envelope;
import io.tandem.role.mta.internal.spool.Spool;
import io.tandem.role.mta.internal.spool.SpoolSpace;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * The mta role on this node: SMTP in ({@link SmtpListener}) on {@code node.address}, a durable spool
 * ({@link Spool}) under the node's data directory, LMTP out to the Mailstore owning each recipient
 * ({@link Deliverer}). Published as the {@code smtp} endpoint; healthy while the listener runs. Present
 * exactly while the {@code tandem-role-mta} feature is installed and {@code etc/tandem.mta.cfg} exists.
 */
@Component(service = {RoleService.class, Endpoint.class, MtaQueue.class}, configurationPid = MtaRole.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true, property = RoleService.ROLE_PROPERTY + "=mta")
@Designate(ocd = MtaRole.Config.class)
public class MtaRole implements RoleService, Endpoint, MtaQueue {

    public static final String PID = "tandem.mta";
    private static final Logger LOG = LoggerFactory.getLogger(MtaRole.class);

    @ObjectClassDefinition(name = "Tandem MTA", description = "MTA role: SMTP in, durable spool, LMTP out to the owning Mailstore")
    public @interface Config {
        @AttributeDefinition(description = "SMTP port, bound on node.address (the load balancer listens on 25)")
        int smtp_port() default 2525;

        @AttributeDefinition(description = "Concurrent SMTP connections; more are answered 421")
        int smtp_max_connections() default 200;

        @AttributeDefinition(description = "Seconds an SMTP connection may stay silent")
        int smtp_timeout_seconds() default 60;

        @AttributeDefinition(description = "Recipients per message; more are answered 452")
        int smtp_max_recipients() default 100;

        @AttributeDefinition(description = "Largest message accepted, bytes (announced with SIZE, larger ones get 552)")
        long max_message_bytes() default 52_428_800L;

        @AttributeDefinition(description = "Spool directory; empty = ${karaf.data}/mta/spool")
        String spool_dir() default "";

        @AttributeDefinition(description = "Free space, MiB, the spool's file system keeps: below it new mail is answered 452 4.3.1 and the role reports itself down")
        long spool_min_free_mb() default 100;

        @AttributeDefinition(description = "Messages delivered in parallel")
        int delivery_threads() default 4;

        @AttributeDefinition(description = "Milliseconds before the first retry of a deferred recipient; doubles at each retry")
        long retry_initial_ms() default 1000;

        @AttributeDefinition(description = "Longest wait between two retries, seconds")
        long retry_max_seconds() default 60;

        @AttributeDefinition(description = "Milliseconds between two checks of the waiting recipients' owner and Mailstore")
        long route_check_ms() default 1000;

        @AttributeDefinition(description = "Hours after which an undelivered recipient fails")
        long expire_hours() default 120;

        @AttributeDefinition(description = "Seconds to connect to a Mailstore's LMTP")
        int lmtp_connect_timeout_seconds() default 10;

        @AttributeDefinition(description = "Seconds to wait for an LMTP reply")
        int lmtp_timeout_seconds() default 300;
    }

    private final Deliverer deliverer;
    private final SmtpListener smtp;
    private final SpoolSpace space;
    private final String uri;

    @Activate
    public MtaRole(@Reference LocalNode node, @Reference DirectoryService directory, @Reference ClusterService cluster,
                   Config config) throws IOException {
        check(config.smtp_port() >= 0 && config.smtp_port() <= 65535, "smtp.port", config.smtp_port(), "0..65535");
        check(config.smtp_max_connections() >= 1, "smtp.max.connections", config.smtp_max_connections(), ">= 1");
        check(config.smtp_timeout_seconds() >= 1, "smtp.timeout.seconds", config.smtp_timeout_seconds(), ">= 1");
        check(config.smtp_max_recipients() >= 1, "smtp.max.recipients", config.smtp_max_recipients(), ">= 1");
        check(config.max_message_bytes() >= 1024 && config.max_message_bytes() <= Integer.MAX_VALUE, "max.message.bytes",
                config.max_message_bytes(), "1024.." + Integer.MAX_VALUE);
        check(config.spool_min_free_mb() >= 0 && config.spool_min_free_mb() <= Long.MAX_VALUE / (1024 * 1024), "spool.min.free.mb",
                config.spool_min_free_mb(), "0.." + Long.MAX_VALUE / (1024 * 1024));
        check(config.delivery_threads() >= 1, "delivery.threads", config.delivery_threads(), ">= 1");
        check(config.retry_initial_ms() >= 1, "retry.initial.ms", config.retry_initial_ms(), ">= 1");
        check(config.retry_max_seconds() * 1000 >= config.retry_initial_ms(), "retry.max.seconds", config.retry_max_seconds(),
                ">= retry.initial.ms / 1000");
        check(config.route_check_ms() >= 10, "route.check.ms", config.route_check_ms(), ">= 10");
        check(config.expire_hours() >= 1, "expire.hours", config.expire_hours(), ">= 1");
        check(config.lmtp_connect_timeout_seconds() >= 1, "lmtp.connect.timeout.seconds", config.lmtp_connect_timeout_seconds(), ">= 1");
        check(config.lmtp_timeout_seconds() >= 1, "lmtp.timeout.seconds", config.lmtp_timeout_seconds(), ">= 1");
        Path root = spoolDir(config.spool_dir());
        String address = node.identity().address();
        InetAddress bind = InetAddress.getByName(address);
        Spool.Contents contents;
        try {
            contents = Spool.open(root);
        } catch (IOException e) {
            throw new IOException(PID + ": cannot open the spool " + root + ": " + e.getMessage(), e);
        }
        this.space = SpoolSpace.of(root, config.spool_min_free_mb() * 1024 * 1024);
        Clock clock = Clock.systemDefaultZone();
        LmtpClient lmtp = new LmtpClient(node.identity().fqdn(), config.lmtp_connect_timeout_seconds() * 1000,
                config.lmtp_timeout_seconds() * 1000);
        this.deliverer = new Deliverer(contents.spool(), contents.queued(), directory, cluster, lmtp,
                new Deliverer.Settings(config.delivery_threads(), Duration.ofMillis(config.retry_initial_ms()),
                        Duration.ofSeconds(config.retry_max_seconds()), Duration.ofMillis(config.route_check_ms()),
                        Duration.ofHours(config.expire_hours())), clock);
        try {
            this.smtp = new SmtpListener(new SmtpListener.Settings(bind, config.smtp_port(), node.identity().fqdn(),
                    config.smtp_max_connections(), config.smtp_timeout_seconds() * 1000, config.smtp_max_recipients(),
                    config.max_message_bytes()), contents.spool(), space, new RecipientCheck(directory), deliverer::enqueue, clock);
        } catch (RuntimeException e) {
            deliverer.close();
            throw new IOException(PID + ": cannot listen for SMTP on " + address + ":" + config.smtp_port() + ": " + e.getMessage(), e);
        }
        String host = address.contains(":") ? "[" + address + "]" : address;
        this.uri = "smtp://" + host + ":" + smtp.port();
        LOG.info("Started role mta: SMTP on {}, spool {} ({} message(s) queued, {} unacknowledged discarded)", uri, root,
                contents.queued().size(), contents.discarded());
    }

    private static Path spoolDir(String configured) {
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured.trim());
            check(p.isAbsolute(), "spool.dir", configured, "an absolute directory, or empty for ${karaf.data}/mta/spool");
            return p;
        }
        String data = System.getProperty("karaf.data");
        check(data != null && !data.isBlank(), "spool.dir", "''", "an absolute directory (karaf.data is not set)");
        return Path.of(data, "mta", "spool");
    }

    private static void check(boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(PID + ": " + key + " = " + value + " is invalid: expected " + expected);
        }
    }

    @Deactivate
    void deactivate() {
        smtp.close();
        deliverer.close();
        LOG.info("Stopped role mta");
    }

    /** The SMTP port actually bound. */
    int smtpPort() {
        return smtp.port();
    }

    @Override
    public Role role() {
        return Role.MTA;
    }

    @Override
    public Health health() {
        return space.shortage().map(why -> Health.down("SMTP on " + uri + " takes no new mail: " + why))
                .orElseGet(() -> Health.up("SMTP on " + uri));
    }

    @Override
    public String name() {
        return "smtp";
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public List<Envelope> queued() {
        return deliverer.queued();
    }

    @Override
    public List<Envelope> failed() throws IOException {
        return deliverer.failed();
    }

    @Override
    public int flush(String id) {
        return deliverer.flush(id);
    }
}
