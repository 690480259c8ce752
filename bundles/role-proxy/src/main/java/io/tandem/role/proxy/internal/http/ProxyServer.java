package io.tandem.role.proxy.internal.http;

import io.tandem.role.proxy.internal.ProxyStats;
import io.tandem.role.proxy.internal.Router;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;

/**
 * The Jetty server of the proxy: one HTTP/1.1 connector on the node's address, a bounded, named thread
 * pool, and the {@link RoutingProxyHandler}. Keeps every Jetty type inside this package.
 */
public final class ProxyServer implements AutoCloseable {

    private final Server server;
    private final ServerConnector connector;

    /** Server side sizes and timeouts (client to proxy). */
    public record Listen(String address, int port, int threads, long idleTimeoutMillis) {
    }

    public ProxyServer(Router router, ProxyStats stats, Listen listen, RoutingProxyHandler.Settings settings, String viaHost)
            throws IOException {
        QueuedThreadPool threads = new QueuedThreadPool(listen.threads(), Math.min(4, listen.threads()));
        threads.setName("tandem-proxy");
        threads.setDaemon(true);
        server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        connector = new ServerConnector(server, new HttpConnectionFactory(http));
        connector.setHost(listen.address());
        connector.setPort(listen.port());
        connector.setIdleTimeout(listen.idleTimeoutMillis());
        server.addConnector(connector);
        server.setHandler(new RoutingProxyHandler(router, stats, settings, viaHost));
        server.setStopTimeout(5_000);
        try {
            server.start();
        } catch (Exception e) {
            close();
            throw new IOException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    /** The port actually bound (differs from the configured one when that is 0). */
    public int port() {
        return connector.getLocalPort();
    }

    /** Accepting connections. */
    public boolean listening() {
        return server.isStarted() && connector.isOpen();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(ProxyServer.class).warn("Stopping the proxy server failed: {}", e.toString());
        }
    }
}
