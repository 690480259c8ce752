package io.tandem.role.proxy.internal.http;

import io.tandem.api.text.Json;
import io.tandem.role.proxy.internal.ProxyStats;
import io.tandem.role.proxy.internal.Router;
import io.tandem.role.proxy.internal.Router.Invalid;
import io.tandem.role.proxy.internal.Router.NotFound;
import io.tandem.role.proxy.internal.Router.Resolution;
import io.tandem.role.proxy.internal.Router.Target;
import io.tandem.role.proxy.internal.Router.Unavailable;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Jetty's reverse {@link ProxyHandler} with Tandem's routing: {@code /accounts/{account}/...} goes to the
 * account's current Mailstore ({@link Router}); Jetty copies headers (minus hop-by-hop ones), adds
 * {@code Via} and {@code Forwarded}, and streams both bodies with back-pressure. On top of it:
 * <ul>
 *   <li>a 421 with {@value #OWNER_HEADER} (the Mailstore does not own the account any more) or a failed
 *   connection re-routes an idempotent request (GET, HEAD, PUT, DELETE) and sends it once more; the 421
 *   never reaches the client then. POST is never sent twice;</li>
 *   <li>the proxy answers itself, in JSON: 404 for a path outside {@code /accounts/} or an unknown account,
 *   400 for a bad account name, 503 with {@code Retry-After} while the account has no reachable owner;</li>
 *   <li>{@code X-Forwarded-For}, {@code X-Forwarded-Proto} and {@code X-Forwarded-Host} for the Mailstore.</li>
 * </ul>
 * A request body is replayable (so a PUT can be retried) when it is at most {@value #MAX_REPLAY_BYTES}
 * bytes with a known length: it is read first. Larger bodies are streamed, never held whole.
 */
public final class RoutingProxyHandler extends ProxyHandler {

    public static final String OWNER_HEADER = "X-Tandem-Owner";
    /** Largest request body kept to be sent a second time (the mailbox API's JSON bodies are at most 64 KiB). */
    public static final int MAX_REPLAY_BYTES = 64 * 1024;
    private static final Set<String> IDEMPOTENT = Set.of("GET", "HEAD", "PUT", "DELETE");
    private static final Logger LOG = LoggerFactory.getLogger(RoutingProxyHandler.class);

    private final Router router;
    private final ProxyStats stats;
    private final Settings settings;

    /** Timeouts and sizes of the client side (proxy to Mailstore). */
    public record Settings(long connectTimeoutMillis, long idleTimeoutMillis, int maxConnectionsPerMailstore,
                           int clientThreads, int retryAfterSeconds) {
    }

    public RoutingProxyHandler(Router router, ProxyStats stats, Settings settings, String viaHost) {
        this.router = router;
        this.stats = stats;
        this.settings = settings;
        setViaHost(viaHost);
    }

    // ---- the HTTP client Jetty's proxy sends with ----

    @Override
    protected HttpClient newHttpClient() {
        QueuedThreadPool threads = new QueuedThreadPool(settings.clientThreads(), Math.min(4, settings.clientThreads()));
        threads.setName("tandem-proxy-client");
        threads.setDaemon(true);
        ClientConnector connector = new ClientConnector();
        connector.setExecutor(threads);
        return new HttpClient(new HttpClientTransportOverHTTP(connector));
    }

    @Override
    protected void configureHttpClient(HttpClient client) {
        super.configureHttpClient(client);
        client.setName("tandem-proxy-client");
        client.setConnectTimeout(settings.connectTimeoutMillis());
        client.setIdleTimeout(settings.idleTimeoutMillis());
        client.setMaxConnectionsPerDestination(settings.maxConnectionsPerMailstore());
    }

    // ---- one client request ----

    /** One client request through its attempts. */
    private final class Exchange {
        final Request request;
        final Response response;
        final Callback callback;
        final String account;
        final boolean idempotent;
        final boolean hasBody;
        /** The body, read first when it may have to be sent twice; null: streamed (or none). */
        byte[] replay;
        int attempt;

        Exchange(Request request, Response response, Callback callback, String account) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.account = account;
            this.idempotent = IDEMPOTENT.contains(request.getMethod());
            this.hasBody = request.getLength() > 0 || request.getHeaders().get(HttpHeader.TRANSFER_ENCODING) != null;
        }

        /** A second attempt is allowed: idempotent, first attempt, body (if any) kept. */
        boolean mayRetry() {
            return idempotent && attempt == 1 && (!hasBody || replay != null);
        }
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        stats.requests.incrementAndGet();
        String path = request.getHttpURI().getPath();
        String[] s = path == null ? new String[0] : path.split("/", -1);
        // "", "accounts", account, resource...
        if (s.length < 4 || !s[0].isEmpty() || !s[1].equals("accounts") || s[2].isEmpty()) {
            stats.notFound.incrementAndGet();
            answer(response, callback, 404, error("no such path '" + path + "': the proxy serves /accounts/{account}/..."), null);
            return true;
        }
        String account = URLDecoder.decode(s[2].replace("+", "%2B"), StandardCharsets.UTF_8);
        Exchange ex = new Exchange(request, response, callback, account);
        Resolution first = router.resolve(account);
        if (!(first instanceof Target) || !ex.idempotent || !ex.hasBody) {
            dispatch(ex, first);
            return true;
        }
        long length = request.getLength();
        if (length < 0 || length > MAX_REPLAY_BYTES) {
            dispatch(ex, first); // streamed: sent once
            return true;
        }
        Content.Source.asByteArrayAsync(request, MAX_REPLAY_BYTES).whenComplete((bytes, failure) -> {
            if (failure != null) {
                answer(response, callback, 400, error("cannot read the request body: " + failure.getMessage()), null);
                return;
            }
            ex.replay = bytes;
            dispatch(ex, first);
        });
        return true;
    }

    private void dispatch(Exchange ex, Resolution r) {
        if (r instanceof Target t) {
            send(ex, t);
        } else if (r instanceof NotFound n) {
            stats.notFound.incrementAndGet();
            Map<String, Object> body = error("no such account '" + n.account() + "'");
            body.put("account", n.account());
            answer(ex.response, ex.callback, 404, body, null);
        } else if (r instanceof Invalid i) {
            answer(ex.response, ex.callback, 400, error(i.message()), null);
        } else if (r instanceof Unavailable u) {
            unavailable(ex, u.owner(), u.reason());
        }
    }

    private void unavailable(Exchange ex, String owner, String reason) {
        stats.unavailable.incrementAndGet();
        Map<String, Object> body = error(ex.account + " has no reachable Mailstore: " + reason + "; try again later");
        body.put("account", ex.account);
        body.put("owner", owner);
        body.put("retryAfterSeconds", settings.retryAfterSeconds());
        answer(ex.response, ex.callback, 503, body, String.valueOf(settings.retryAfterSeconds()));
    }

    private void send(Exchange ex, Target target) {
        ex.attempt++;
        HttpURI uri = HttpURI.build(target.base().toString() + ex.request.getHttpURI().getPathQuery());
        org.eclipse.jetty.client.Request upstream = newProxyToServerRequest(ex.request, uri);
        copyRequestHeaders(ex.request, upstream);
        // the body is sent at once, never after an interim 100 from the Mailstore
        upstream.headers(h -> h.remove(HttpHeader.EXPECT));
        addProxyHeaders(ex.request, upstream);
        if (ex.replay != null) {
            upstream.body(new BytesRequestContent(ex.request.getHeaders().get(HttpHeader.CONTENT_TYPE), ex.replay));
        } else if (ex.hasBody) {
            upstream.body(newProxyToServerRequestContent(ex.request, ex.response, upstream));
        }
        upstream.idleTimeout(settings.idleTimeoutMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        upstream.send(new Attempt(ex, upstream, target));
    }

    @Override
    protected void addProxyHeaders(Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest) {
        super.addProxyHeaders(clientToProxyRequest, proxyToServerRequest);
        String remote = Request.getRemoteAddr(clientToProxyRequest);
        String host = clientToProxyRequest.getHeaders().get(HttpHeader.HOST);
        proxyToServerRequest.headers(h -> {
            String before = h.get(HttpHeader.X_FORWARDED_FOR);
            h.put(HttpHeader.X_FORWARDED_FOR, before == null || before.isBlank() ? remote : before + ", " + remote);
            h.put(HttpHeader.X_FORWARDED_PROTO, clientToProxyRequest.isSecure() ? "https" : "http");
            if (host != null) {
                h.put(HttpHeader.X_FORWARDED_HOST, host);
            }
        });
    }

    @Override
    protected HttpURI rewriteHttpURI(Request clientToProxyRequest) {
        throw new UnsupportedOperationException("requests are routed per account by handle()");
    }

    /** The answer of one Mailstore to one attempt; a 421 or a failed connection may start a second attempt. */
    private final class Attempt extends ProxyResponseListener {

        private final Exchange ex;
        private final Target target;
        private boolean begun;
        private String refusedOwner;

        Attempt(Exchange ex, org.eclipse.jetty.client.Request upstream, Target target) {
            super(ex.request, upstream, ex.response, ex.callback);
            this.ex = ex;
            this.target = target;
        }

        @Override
        public void onBegin(org.eclipse.jetty.client.Response upstream) {
            begun = true;
            super.onBegin(upstream); // the status only: nothing reaches the client before the first write
        }

        @Override
        public void onHeaders(org.eclipse.jetty.client.Response upstream) {
            if (upstream.getStatus() == 421) {
                stats.upstreamErrors.incrementAndGet();
                String owner = upstream.getHeaders().get(OWNER_HEADER);
                if (owner != null && ex.mayRetry()) {
                    refusedOwner = owner;
                    return; // not forwarded: the body is drained and the request sent to the owner
                }
            }
            super.onHeaders(upstream);
        }

        @Override
        public void onContent(org.eclipse.jetty.client.Response upstream, Content.Chunk chunk, Runnable demand) {
            if (refusedOwner == null) {
                super.onContent(upstream, chunk, demand);
            } else {
                demand.run();
            }
        }

        @Override
        public void onSuccess(org.eclipse.jetty.client.Response upstream) {
            if (refusedOwner == null) {
                super.onSuccess(upstream);
            }
        }

        @Override
        public void onComplete(Result result) {
            if (refusedOwner != null) {
                stats.retries.incrementAndGet();
                LOG.debug("{} answered 421 for {} (owner {}): sending {} {} again", target.mailHost(), ex.account,
                        refusedOwner, ex.request.getMethod(), ex.request.getHttpURI().getPathQuery());
                dispatch(ex, router.reroute(ex.account, target.mailHost(), refusedOwner));
                return;
            }
            if (result.isFailed() && !begun && !ex.response.isCommitted()) {
                Throwable failure = result.getFailure();
                stats.upstreamErrors.incrementAndGet();
                if (ex.mayRetry()) {
                    stats.retries.incrementAndGet();
                    LOG.debug("{} failed for {} ({}): sending {} {} again", target.mailHost(), ex.account, failure.toString(),
                            ex.request.getMethod(), ex.request.getHttpURI().getPathQuery());
                    dispatch(ex, router.resolve(ex.account));
                    return;
                }
                if (unreachable(failure)) {
                    unavailable(ex, target.mailHost(), "its Mailstore " + target.mailHost() + " at " + target.base()
                            + " cannot be reached (" + describe(failure) + ")");
                } else if (timedOut(failure)) {
                    Map<String, Object> body = error("Mailstore " + target.mailHost() + " did not answer for " + ex.account
                            + " within " + settings.idleTimeoutMillis() / 1000 + " s");
                    body.put("account", ex.account);
                    body.put("owner", target.mailHost());
                    answer(ex.response, ex.callback, 504, body, null);
                } else {
                    Map<String, Object> body = error("Mailstore " + target.mailHost() + " failed for " + ex.account + ": "
                            + describe(failure));
                    body.put("account", ex.account);
                    body.put("owner", target.mailHost());
                    answer(ex.response, ex.callback, 502, body, null);
                }
                return;
            }
            if (result.isFailed()) {
                stats.upstreamErrors.incrementAndGet();
                LOG.debug("{} failed for {} after the answer started: {}", target.mailHost(), ex.account, result.getFailure().toString());
            }
            super.onComplete(result);
        }
    }

    private static boolean unreachable(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConnectException || c instanceof UnresolvedAddressException
                    || (c instanceof SocketTimeoutException && String.valueOf(c.getMessage()).toLowerCase().contains("connect"))) {
                return true;
            }
        }
        return false;
    }

    private static boolean timedOut(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException || c instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    // ---- answers of the proxy itself ----

    private static Map<String, Object> error(String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", message);
        return body;
    }

    private static void answer(Response response, Callback callback, int status, Map<String, Object> body, String retryAfter) {
        if (response.isCommitted()) {
            callback.failed(new IllegalStateException("answer " + status + " after the response started: " + body.get("error")));
            return;
        }
        byte[] bytes = (Json.write(body) + "\n").getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(new HttpField(HttpHeader.CONTENT_LENGTH, String.valueOf(bytes.length)));
        if (retryAfter != null) {
            response.getHeaders().put(HttpHeader.RETRY_AFTER, retryAfter);
        }
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }
}
