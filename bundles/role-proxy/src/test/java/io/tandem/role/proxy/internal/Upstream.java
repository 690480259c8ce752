package io.tandem.role.proxy.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.tandem.api.cluster.ClusterNode;
import io.tandem.api.directory.Account;
import io.tandem.api.directory.DirectoryService;
import io.tandem.api.node.Role;
import io.tandem.api.text.Json;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP server (the JDK's, as the Mailstore's API is) standing in for one Mailstore: it answers
 * {@code /accounts/{account}/...} for the accounts the directory says it owns, and 421 with
 * {@code X-Tandem-Owner} for the others, like {@code MailboxApi}. It echoes what it received as JSON:
 * its name, the method, the body's size and SHA-256, and the proxy headers. Two special resources:
 * {@code GET .../big?mib=N} streams N MiB, and {@code ownerSeen} gives it a view of an account's owner
 * that differs from the proxy's (its directory cache saw a change the proxy's has not).
 */
final class Upstream implements AutoCloseable {

    static final int MIB = 1024 * 1024;

    final String name;
    private final DirectoryService directory;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(8);
    /** account -> the owner this Mailstore believes in, whatever the directory says (a newer or older view) */
    final Map<String, String> ownerSeen = new ConcurrentHashMap<>();
    /** "METHOD path" of every request received, in order */
    final List<String> received = new CopyOnWriteArrayList<>();
    /** counted down once a streamed request body has delivered its first MiB here */
    final CountDownLatch firstMibReceived = new CountDownLatch(1);
    /** a streamed answer waits for this after its first MiB (the client counts it down) */
    volatile CountDownLatch sendRest = new CountDownLatch(0);

    Upstream(String name, DirectoryService directory) throws IOException {
        this.name = name;
        this.directory = directory;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** This Mailstore as the cluster shows it, with its mailbox-http endpoint. */
    ClusterNode node() {
        return new ClusterNode("id-" + name, name, name + ".test", "127.0.0.1", "0.0.0-test", Set.of(Role.MAILSTORE), Set.of(),
                Map.of("lmtp", "lmtp://127.0.0.1:1", Router.MAILBOX_ENDPOINT, "http://127.0.0.1:" + port() + "/accounts"), false);
    }

    int count(String method) {
        return (int) received.stream().filter(r -> r.startsWith(method + " ")).count();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            received.add(ex.getRequestMethod() + " " + path);
            String account = path.split("/")[2];
            Account owner = directory.account(account).flatMap(a -> directory.owner(a.id())).orElseThrow();
            String named = ownerSeen.getOrDefault(account, owner.mailHost());
            if (!named.equals(name)) {
                ex.getRequestBody().readAllBytes();
                ex.getResponseHeaders().set("X-Tandem-Owner", named);
                send(ex, 421, Map.of("error", account + " is hosted on " + named + ", not on " + name, "owner", named));
                return;
            }
            if (path.endsWith("/big")) {
                big(ex);
                return;
            }
            MessageDigest sha = sha256();
            long size = 0;
            try (InputStream in = ex.getRequestBody()) {
                byte[] buf = new byte[64 * 1024];
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                    size += n;
                    if (size >= MIB) {
                        firstMibReceived.countDown();
                    }
                }
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("servedBy", name);
            body.put("method", ex.getRequestMethod());
            body.put("path", path);
            body.put("bytes", size);
            body.put("sha256", HexFormat.of().formatHex(sha.digest()));
            body.put("xForwardedFor", String.valueOf(ex.getRequestHeaders().getFirst("X-Forwarded-For")));
            body.put("via", String.valueOf(ex.getRequestHeaders().getFirst("Via")));
            send(ex, ex.getRequestMethod().equals("POST") ? 201 : 200, body);
        } catch (RuntimeException e) {
            e.printStackTrace();
        }
    }

    /** N MiB of a repeating pattern, chunked; waits for {@link #sendRest} after the first MiB. */
    private void big(HttpExchange ex) throws IOException {
        int mib = Integer.parseInt(ex.getRequestURI().getQuery().replace("mib=", ""));
        ex.getResponseHeaders().set("Content-Type", "message/rfc822");
        ex.sendResponseHeaders(200, 0);
        try (OutputStream out = ex.getResponseBody()) {
            byte[] block = pattern();
            for (int i = 0; i < mib; i++) {
                out.write(block);
                if (i == 0) {
                    out.flush();
                    try {
                        if (!sendRest.await(30, TimeUnit.SECONDS)) {
                            return; // the client never saw the first MiB: the answer is cut short and the test fails
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }
        }
    }

    static byte[] pattern() {
        byte[] block = new byte[MIB];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 31 + 7);
        }
        return block;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void send(HttpExchange ex, int status, Map<String, ?> body) throws IOException {
        byte[] bytes = Json.write(body).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, ex.getRequestMethod().equals("HEAD") ? -1 : bytes.length);
        if (!ex.getRequestMethod().equals("HEAD")) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
