package io.tandem.mailstore.internal.lmtp;

import io.tandem.api.concurrent.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An LMTP server (RFC 2033) on plain JDK sockets: LHLO, MAIL, RCPT, DATA with one reply per accepted
 * recipient, RSET, NOOP, VRFY, QUIT; PIPELINING, ENHANCEDSTATUSCODES, 8BITMIME and SIZE announced.
 * Bounded connections (one thread each, refused with 421 beyond the limit), read timeout, command line
 * length limit, message size limit (the message is read to its end and refused with 552). The message
 * is spooled to a file before the handler sees it. See docs/decisions/0007-lmtp-on-jdk-sockets.md.
 */
public final class LmtpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LmtpServer.class);
    private static final int MAX_LINE = 2048;
    private static final Pattern PATH = Pattern.compile("(?i)^(FROM|TO):\\s*<([^>]*)>\\s*(.*)$");
    private static final Pattern SIZE = Pattern.compile("(?i)(?:^|\\s)SIZE=(\\d+)");

    private final LmtpHandler handler;
    private final String hostName;
    private final long maxMessageBytes;
    private final int readTimeoutMillis;
    private final Path spool;
    private final ServerSocket socket;
    private final ExecutorService connections;
    private final Thread acceptor;
    private volatile boolean running = true;

    public LmtpServer(LmtpHandler handler, String hostName, InetAddress address, int port, int maxConnections,
                      long maxMessageBytes, int readTimeoutMillis, Path spool) throws IOException {
        this.handler = handler;
        this.hostName = hostName;
        this.maxMessageBytes = maxMessageBytes;
        this.readTimeoutMillis = readTimeoutMillis;
        this.spool = Files.createDirectories(spool);
        this.socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(address, port), 100);
        this.connections = new ThreadPoolExecutor(1, maxConnections, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), Threads.numbered("tandem-lmtp"));
        this.acceptor = Threads.daemon(this::acceptLoop, "tandem-lmtp-accept");
        acceptor.start();
    }

    public int port() {
        return socket.getLocalPort();
    }

    private void acceptLoop() {
        while (running) {
            Socket client;
            try {
                client = socket.accept();
            } catch (IOException e) {
                if (running) {
                    LOG.warn("LMTP accept failed: {}", e.toString());
                }
                continue;
            }
            try {
                connections.execute(() -> serve(client));
            } catch (RejectedExecutionException e) {
                try (client; OutputStream out = client.getOutputStream()) {
                    out.write(("421 4.3.2 " + hostName + " too many connections, try again later\r\n").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException ignored) {
                    // the client will retry
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
        connections.shutdownNow();
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- one connection ----

    private void serve(Socket client) {
        try (client) {
            client.setSoTimeout(readTimeoutMillis);
            InputStream in = new BufferedInputStream(client.getInputStream());
            OutputStream out = new BufferedOutputStream(client.getOutputStream());
            new Session(in, out).run();
        } catch (SocketTimeoutException e) {
            LOG.debug("LMTP connection timed out");
        } catch (SocketException e) {
            LOG.debug("LMTP connection closed: {}", e.toString());
        } catch (IOException e) {
            LOG.warn("LMTP connection failed: {}", e.toString());
        }
    }

    private final class Session {
        private final InputStream in;
        private final OutputStream out;
        private boolean greeted;
        private String sender;
        private final List<String> recipients = new ArrayList<>();

        Session(InputStream in, OutputStream out) {
            this.in = in;
            this.out = out;
        }

        void run() throws IOException {
            send("220 " + hostName + " LMTP Tandem ready");
            while (true) {
                byte[] raw = readRawLine();
                if (raw == null) {
                    return;
                }
                if (raw.length > MAX_LINE) {
                    send("500 5.5.6 line too long");
                    continue;
                }
                String line = new String(raw, StandardCharsets.UTF_8);
                String upper = line.toUpperCase(Locale.ROOT);
                String verb = upper.contains(" ") ? upper.substring(0, upper.indexOf(' ')) : upper;
                switch (verb) {
                    case "LHLO" -> lhlo(line);
                    case "HELO", "EHLO" -> send("500 5.5.1 this is LMTP: use LHLO");
                    case "MAIL" -> mail(line.substring(4).trim());
                    case "RCPT" -> rcpt(line.substring(4).trim());
                    case "DATA" -> data();
                    case "RSET" -> {
                        reset();
                        send("250 2.0.0 OK");
                    }
                    case "NOOP" -> send("250 2.0.0 OK");
                    case "VRFY" -> send("252 2.5.0 cannot verify, send some mail");
                    case "QUIT" -> {
                        send("221 2.0.0 " + hostName + " closing connection");
                        return;
                    }
                    default -> send("500 5.5.2 command not recognized");
                }
            }
        }

        private void reset() {
            sender = null;
            recipients.clear();
        }

        private void lhlo(String line) throws IOException {
            if (line.trim().length() <= 4) {
                send("501 5.5.4 LHLO needs a host name");
                return;
            }
            greeted = true;
            reset();
            send("250-" + hostName, "250-PIPELINING", "250-ENHANCEDSTATUSCODES", "250-8BITMIME", "250 SIZE " + maxMessageBytes);
        }

        private void mail(String args) throws IOException {
            if (!greeted) {
                send("503 5.5.1 say LHLO first");
                return;
            }
            if (sender != null) {
                send("503 5.5.1 sender already given");
                return;
            }
            Matcher m = PATH.matcher(args);
            if (!m.matches() || !m.group(1).equalsIgnoreCase("FROM")) {
                send("501 5.5.4 syntax: MAIL FROM:<address>");
                return;
            }
            Matcher size = SIZE.matcher(m.group(3));
            if (size.find() && Long.parseLong(size.group(1)) > maxMessageBytes) {
                send("552 5.3.4 message size " + size.group(1) + " exceeds the limit of " + maxMessageBytes + " bytes");
                return;
            }
            sender = m.group(2);
            send("250 2.1.0 sender OK");
        }

        private void rcpt(String args) throws IOException {
            if (sender == null) {
                send("503 5.5.1 need MAIL before RCPT");
                return;
            }
            Matcher m = PATH.matcher(args);
            if (!m.matches() || !m.group(1).equalsIgnoreCase("TO") || m.group(2).isBlank()) {
                send("501 5.5.4 syntax: RCPT TO:<address>");
                return;
            }
            String address = m.group(2).trim();
            Reply reply;
            try {
                reply = handler.recipient(address);
            } catch (RuntimeException e) {
                LOG.warn("LMTP recipient check of {} failed: {}", address, e.toString());
                reply = Reply.temporary("4.3.0", "temporary failure checking " + address);
            }
            if (reply.positive()) {
                recipients.add(address);
            }
            send(reply.line());
        }

        private void data() throws IOException {
            if (recipients.isEmpty()) {
                send("503 5.5.1 no valid recipient");
                return;
            }
            send("354 start mail input; end with <CRLF>.<CRLF>");
            Path message = Files.createTempFile(spool, "lmtp-", ".eml");
            try {
                boolean tooBig = receive(message);
                List<Reply> replies;
                if (tooBig) {
                    Reply r = Reply.permanent(552, "5.3.4", "message exceeds the limit of " + maxMessageBytes + " bytes");
                    replies = recipients.stream().map(x -> r).toList();
                } else {
                    replies = deliver(message);
                }
                List<String> lines = new ArrayList<>();
                for (Reply r : replies) {
                    lines.add(r.line());
                }
                send(lines.toArray(String[]::new));
            } finally {
                Files.deleteIfExists(message);
                reset();
            }
        }

        private List<Reply> deliver(Path message) {
            try {
                List<Reply> replies = handler.deliver(sender, List.copyOf(recipients), message);
                if (replies.size() != recipients.size()) {
                    throw new IllegalStateException(replies.size() + " replies for " + recipients.size() + " recipients");
                }
                return replies;
            } catch (RuntimeException e) {
                LOG.warn("LMTP delivery failed: {}", e.toString(), e);
                Reply r = Reply.temporary("4.3.0", "temporary failure, try again later");
                return recipients.stream().map(x -> r).toList();
            }
        }

        /** Reads the DATA section into the file; returns true when it exceeded the size limit. */
        private boolean receive(Path file) throws IOException {
            long size = 0;
            boolean tooBig = false;
            try (OutputStream fileOut = new BufferedOutputStream(Files.newOutputStream(file))) {
                while (true) {
                    byte[] line = readRawLine();
                    if (line == null) {
                        throw new SocketException("connection closed during DATA");
                    }
                    if (line.length == 1 && line[0] == '.') {
                        return tooBig;
                    }
                    int start = line.length > 0 && line[0] == '.' ? 1 : 0; // dot-stuffing
                    size += line.length - start + 2;
                    if (size > maxMessageBytes) {
                        tooBig = true;
                        continue; // keep reading to the end of DATA
                    }
                    fileOut.write(line, start, line.length - start);
                    fileOut.write('\r');
                    fileOut.write('\n');
                }
            }
        }

        /** One line without its CRLF (a lone LF is accepted too); null at end of stream. */
        private byte[] readRawLine() throws IOException {
            ByteArrayOutputStream line = new ByteArrayOutputStream(128);
            int b;
            while ((b = in.read()) != -1) {
                if (b == '\n') {
                    byte[] bytes = line.toByteArray();
                    int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return java.util.Arrays.copyOf(bytes, len);
                }
                if (line.size() < 64 * 1024) {
                    line.write(b);
                }
            }
            return line.size() == 0 ? null : line.toByteArray();
        }

        private void send(String... lines) throws IOException {
            for (String l : lines) {
                out.write(l.getBytes(StandardCharsets.UTF_8));
                out.write('\r');
                out.write('\n');
            }
            out.flush();
        }
    }
}
