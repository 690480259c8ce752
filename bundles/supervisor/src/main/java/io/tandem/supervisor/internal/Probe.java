package io.tandem.supervisor.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;

/**
 * How a supervised service is checked: {@code tcp:host:port} (a connection is accepted),
 * {@code http://host:port/path} (a GET answers 2xx), or none (the process is alive).
 */
sealed interface Probe {

    record Result(boolean ok, String detail) {
        static final Result OK = new Result(true, "ok");

        static Result failed(String detail) {
            return new Result(false, detail);
        }
    }

    /** Runs the probe once, blocking at most about {@code timeout}. */
    Result check(Duration timeout);

    /** Where the service can be reached, as announced in the cluster ({@code tcp://h:p}, the URL, or {@code process}). */
    String target();

    /** The probe as written in the configuration. */
    String text();

    static Probe parse(String text) {
        if (text == null || text.isBlank()) {
            return new None();
        }
        String t = text.trim();
        if (t.startsWith("tcp:")) {
            String hp = t.substring(4);
            int colon = hp.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("tcp:host:port");
            }
            String host = hp.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return new Tcp(host, port(hp.substring(colon + 1)), t);
        }
        if (t.startsWith("http://")) {
            try {
                URI uri = new URI(t);
                if (uri.getHost() == null) {
                    throw new IllegalArgumentException("http://host:port/path with a host");
                }
                return new Http(uri);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("http://host:port/path (" + e.getReason() + ")");
            }
        }
        throw new IllegalArgumentException("tcp:host:port, http://host:port/path or nothing (process alive)");
    }

    private static int port(String text) {
        try {
            int p = Integer.parseInt(text);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException("tcp:host:port with a port 1..65535");
    }

    record None() implements Probe {
        @Override
        public Result check(Duration timeout) {
            return Result.OK;
        }

        @Override
        public String target() {
            return "process";
        }

        @Override
        public String text() {
            return "";
        }
    }

    record Tcp(String host, int port, String text) implements Probe {
        @Override
        public Result check(Duration timeout) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
                return Result.OK;
            } catch (IOException e) {
                return Result.failed("tcp " + host + ":" + port + ": " + message(e));
            }
        }

        @Override
        public String target() {
            return "tcp://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    record Http(URI uri) implements Probe {
        @Override
        public Result check(Duration timeout) {
            HttpURLConnection c = null;
            try {
                c = (HttpURLConnection) uri.toURL().openConnection(java.net.Proxy.NO_PROXY);
                int ms = (int) Math.max(1, timeout.toMillis());
                c.setConnectTimeout(ms);
                c.setReadTimeout(ms);
                c.setInstanceFollowRedirects(false);
                c.setUseCaches(false);
                int code = c.getResponseCode();
                try (InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream()) {
                    if (in != null) {
                        in.readNBytes(64 * 1024);
                    }
                }
                return code >= 200 && code < 300 ? Result.OK : Result.failed("http " + uri + ": status " + code);
            } catch (IOException | RuntimeException e) {
                return Result.failed("http " + uri + ": " + message(e));
            } finally {
                if (c != null) {
                    c.disconnect();
                }
            }
        }

        @Override
        public String target() {
            return uri.toString();
        }

        @Override
        public String text() {
            return uri.toString();
        }
    }

    private static String message(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}
