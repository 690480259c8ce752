package io.tandem.mailstore.internal.http;

import io.tandem.api.concurrent.Threads;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Serves the {@link MailboxApi} with the JDK's HTTP server (as the health endpoints do, see
 * docs/decisions/0002-health-endpoints-on-the-jdk-http-server.md) on a bounded, named thread pool.
 */
public final class MailboxHttpServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;

    public MailboxHttpServer(MailboxApi api, InetAddress address, int port, int threads) throws IOException {
        this.executor = Executors.newFixedThreadPool(threads, Threads.numbered("tandem-mailstore-http"));
        try {
            this.server = HttpServer.create(new InetSocketAddress(address, port), 100);
        } catch (IOException e) {
            executor.shutdownNow();
            throw e;
        }
        server.setExecutor(executor);
        server.createContext("/", api::handle);
        server.start();
    }

    /** The port actually bound (differs from the configured one when that is 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
