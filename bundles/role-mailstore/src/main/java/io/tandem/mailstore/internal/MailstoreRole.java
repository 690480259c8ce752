package io.tandem.mailstore.internal;

import io.tandem.api.blob.BlobService;
import io.tandem.api.blob.VolumeAdminService;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.mailbox.MailboxStore;
import io.tandem.api.node.Endpoint;
import io.tandem.api.node.Health;
import io.tandem.api.node.LocalNode;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import io.tandem.mailstore.internal.http.MailboxApi;
import io.tandem.mailstore.internal.http.MailboxHttpServer;
import io.tandem.mailstore.internal.lmtp.LmtpServer;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
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

/**
 * The mailstore role on this node: LMTP delivery into the mailboxes of the accounts this node owns
 * (blobs on the current primary volume, metadata through the mailbox store), and the HTTP mailbox API
 * over them ({@link MailboxApi}). The role is healthy while its listeners run. It is published as the
 * {@code lmtp} endpoint; the HTTP API as a second endpoint, {@value #HTTP_ENDPOINT}.
 */
@Component(service = {RoleService.class, Endpoint.class}, configurationPid = MailstoreRole.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE, immediate = true,
        property = RoleService.ROLE_PROPERTY + "=mailstore")
@Designate(ocd = MailstoreRole.Config.class)
public class MailstoreRole implements RoleService, Endpoint {

    public static final String PID = "tandem.mailstore";
    private static final Logger LOG = LoggerFactory.getLogger(MailstoreRole.class);

    public static final String HTTP_ENDPOINT = "mailbox-http";

    @ObjectClassDefinition(name = "Tandem mailstore", description = "Mailstore role: LMTP delivery and the HTTP mailbox API")
    public @interface Config {
        @AttributeDefinition(description = "LMTP port, bound on node.address")
        int lmtp_port() default 7025;

        @AttributeDefinition(description = "Concurrent LMTP connections; more are refused with 421")
        int lmtp_max_connections() default 32;

        @AttributeDefinition(description = "Largest message accepted, bytes (announced with SIZE)")
        long max_message_bytes() default 52_428_800L;

        @AttributeDefinition(description = "Seconds an LMTP connection may stay silent")
        int lmtp_read_timeout_seconds() default 300;

        @AttributeDefinition(description = "HTTP mailbox API port, bound on node.address")
        int http_port() default 7080;

        @AttributeDefinition(description = "Threads serving HTTP mailbox API requests")
        int http_threads() default 8;

        @AttributeDefinition(description = "Seconds an HTTP connection may send or take nothing, within a request, "
                + "its answer or between requests, before it is closed")
        int http_idle_timeout_seconds() default 30;

        @AttributeDefinition(description = "When no primary volume is current, create a local one and make it current "
                + "(the single-machine default); false on clusters, which use a centralized S3 volume")
        boolean default_local_volume() default true;
    }

    private final LmtpServer lmtp;
    private final MailboxHttpServer http;
    private final String uri;
    private final String httpUri;
    private ServiceRegistration<Endpoint> httpEndpoint;

    @Activate
    public MailstoreRole(@Reference LocalNode node, @Reference DirectoryService directory, @Reference VolumeAdminService volumes,
                         @Reference BlobService blobs, @Reference MailboxStore store, Config config, BundleContext context)
            throws IOException {
        this(node, directory, volumes, blobs, store, config, context.getDataFile("spool").toPath());
        String httpUri = this.httpUri;
        this.httpEndpoint = context.registerService(Endpoint.class, new Endpoint() {
            @Override
            public String name() {
                return HTTP_ENDPOINT;
            }

            @Override
            public String uri() {
                return httpUri;
            }
        }, null);
    }

    MailstoreRole(LocalNode node, DirectoryService directory, VolumeAdminService volumes, BlobService blobs, MailboxStore store,
                  Config config, Path spool) throws IOException {
        check(config.lmtp_port() >= 0 && config.lmtp_port() <= 65535, "lmtp.port", config.lmtp_port(), "0..65535");
        check(config.lmtp_max_connections() >= 1, "lmtp.max.connections", config.lmtp_max_connections(), ">= 1");
        check(config.max_message_bytes() >= 1024, "max.message.bytes", config.max_message_bytes(), ">= 1024");
        check(config.lmtp_read_timeout_seconds() >= 1, "lmtp.read.timeout.seconds", config.lmtp_read_timeout_seconds(), ">= 1");
        check(config.http_port() >= 0 && config.http_port() <= 65535, "http.port", config.http_port(), "0..65535");
        check(config.http_threads() >= 1, "http.threads", config.http_threads(), ">= 1");
        check(config.http_idle_timeout_seconds() >= 1, "http.idle.timeout.seconds", config.http_idle_timeout_seconds(), ">= 1");
        String address = node.identity().address();
        InetAddress bind = InetAddress.getByName(address);
        if (config.default_local_volume()) {
            DefaultVolume.ensure(volumes);
        }
        Delivery delivery = new Delivery(() -> node.identity().name(), directory, volumes, blobs, store, Clock.systemUTC());
        MailboxApi api = new MailboxApi(() -> node.identity().name(), directory, volumes, blobs, store, Clock.systemUTC(),
                config.max_message_bytes(), spool);
        try {
            this.lmtp = new LmtpServer(delivery, node.identity().fqdn(), bind, config.lmtp_port(),
                    config.lmtp_max_connections(), config.max_message_bytes(), config.lmtp_read_timeout_seconds() * 1000, spool);
        } catch (IOException e) {
            throw new IOException(PID + ": cannot listen for LMTP on " + address + ":" + config.lmtp_port() + ": " + e.getMessage(), e);
        }
        try {
            this.http = new MailboxHttpServer(api, bind, config.http_port(), config.http_threads(),
                    config.http_idle_timeout_seconds() * 1000L);
        } catch (IOException e) {
            lmtp.close();
            throw new IOException(PID + ": cannot listen for HTTP on " + address + ":" + config.http_port() + ": " + e.getMessage(), e);
        }
        String host = address.contains(":") ? "[" + address + "]" : address;
        this.uri = "lmtp://" + host + ":" + lmtp.port();
        this.httpUri = "http://" + host + ":" + http.port() + "/accounts";
        LOG.info("Started role mailstore: LMTP on {}, HTTP mailbox API on {}", uri, httpUri);
    }

    private static void check(boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(PID + ": " + key + " = " + value + " is invalid: expected " + expected);
        }
    }

    @Deactivate
    void deactivate() {
        if (httpEndpoint != null) {
            httpEndpoint.unregister();
        }
        http.close();
        lmtp.close();
        LOG.info("Stopped role mailstore");
    }

    /** The LMTP port actually bound. */
    int lmtpPort() {
        return lmtp.port();
    }

    /** The HTTP mailbox API port actually bound. */
    int httpPort() {
        return http.port();
    }

    /** Where the HTTP mailbox API is published ({@value #HTTP_ENDPOINT} endpoint). */
    String httpUri() {
        return httpUri;
    }

    @Override
    public Role role() {
        return Role.MAILSTORE;
    }

    @Override
    public Health health() {
        return Health.up("LMTP on " + uri + ", HTTP mailbox API on " + httpUri);
    }

    @Override
    public String name() {
        return "lmtp";
    }

    @Override
    public String uri() {
        return uri;
    }
}
