package io.tandem.mailstore.internal.http;

import io.tandem.api.text.Json;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Serves the {@link MailboxApi} with Jetty 12 (core, no servlets; as the proxy does, see
 * docs/decisions/0012-proxy-on-jetty-12.md): one HTTP/1.1 connector on the node's address, a bounded, named
 * thread pool, and an idle time-out that ends a request or an answer whose bytes stop moving. Every Jetty
 * type stays in this package ({@link Exchange}).
 */
public final class MailboxHttpServer implements AutoCloseable {

    /** The connector's acceptor and selector, besides the threads that serve requests. */
    private static final int IO_THREADS = 2;

    private final Server server;
    private final ServerConnector connector;

    /**
     * @param threads          threads serving requests (more requests wait for one)
     * @param idleTimeoutMillis how long a connection may send or take nothing, in a request, an answer or
     *                          between requests, before it is closed
     */
    public MailboxHttpServer(MailboxApi api, InetAddress address, int port, int threads, long idleTimeoutMillis)
            throws IOException {
        QueuedThreadPool pool = new QueuedThreadPool(threads + IO_THREADS, Math.min(4, threads + IO_THREADS));
        pool.setName("tandem-mailstore-http");
        pool.setDaemon(true);
        pool.setReservedThreads(0);
        server = new Server(pool);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        // the API splits the raw path and decodes each segment itself: an address may hold '%' or '/' (%25, %2F)
        http.setUriCompliance(UriCompliance.DEFAULT.with("tandem-mailbox-api", UriCompliance.Violation.AMBIGUOUS_PATH_SEPARATOR,
                UriCompliance.Violation.AMBIGUOUS_PATH_ENCODING, UriCompliance.Violation.AMBIGUOUS_EMPTY_SEGMENT));
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(address.getHostAddress());
        connector.setPort(port);
        connector.setIdleTimeout(idleTimeoutMillis);
        connector.setAcceptQueueSize(100);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() { // blocking: MailboxApi reads and writes streams
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                api.handle(new Exchange(request, response, callback));
                return true;
            }
        });
        server.setErrorHandler(new JsonErrors());
        server.setStopTimeout(5_000);
        try {
            server.start();
        } catch (Exception e) {
            close();
            throw new IOException(e.getMessage() == null ? e.toString() : e.getMessage(), e);
        }
    }

    /**
     * What Jetty refuses before the API sees the request (a URI it finds ambiguous or badly encoded, for one) is
     * answered as the API answers its own errors: {@code {"error": "..."}}.
     */
    private static final class JsonErrors extends ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) {
            String reason = message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
            byte[] body = (Json.write(Map.of("error", reason)) + "\n").getBytes(StandardCharsets.UTF_8);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
        }
    }

    /** The port actually bound (differs from the configured one when that is 0). */
    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            LoggerFactory.getLogger(MailboxHttpServer.class).warn("Stopping the HTTP mailbox API failed: {}", e.toString());
        }
    }
}
