package io.tandem.role.mta.internal.delivery;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A small, strict LMTP client (RFC 2033): LHLO, MAIL, one RCPT per recipient, DATA with dot-stuffing and
 * CRLF line ends, then one reply per accepted recipient. Replies are checked for their syntax (three digits
 * 2xx-5xx, continuation lines with the same code); anything else is a protocol error, reported as an
 * {@link IOException} like a broken connection (the delivery is retried). SubEthaSMTP has no LMTP.
 */
public final class LmtpClient {

    /** One reply: its code and its text (continuation lines joined with a space). */
    public record Reply(int code, String text) {
        public boolean positive() {
            return code / 100 == 2;
        }

        public boolean permanent() {
            return code / 100 == 5;
        }

        @Override
        public String toString() {
            return code + " " + text;
        }
    }

    private static final int MAX_LINE = 4096;

    private final String lhloName;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;

    public LmtpClient(String lhloName, int connectTimeoutMillis, int readTimeoutMillis) {
        this.lhloName = lhloName;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /** {@code lmtp://host:port} as the Mailstore publishes it. */
    static InetSocketAddress address(String uri) {
        URI u = URI.create(uri);
        if (!"lmtp".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 0) {
            throw new IllegalArgumentException("LMTP endpoint '" + uri + "' is not lmtp://host:port");
        }
        String host = u.getHost().startsWith("[") ? u.getHost().substring(1, u.getHost().length() - 1) : u.getHost();
        return new InetSocketAddress(host, u.getPort());
    }

    /**
     * Delivers the message to the recipients.
     *
     * @return one reply per recipient, in order: its RCPT refusal, or its reply after DATA
     * @throws IOException when the connection fails or the server breaks the protocol: nothing is known
     *                     about any recipient (retry all)
     */
    public List<Reply> deliver(String endpoint, String sender, List<String> recipients, Path message) throws IOException {
        return deliver(endpoint, sender, recipients, message, abort -> {
        });
    }

    /**
     * Delivers like {@link #deliver(String, String, List, Path)}, handing {@code connecting} a handle that
     * abandons the session from another thread (it closes the connection: the delivery then fails with an
     * {@link IOException}), before the connection is attempted.
     */
    public List<Reply> deliver(String endpoint, String sender, List<String> recipients, Path message,
                               java.util.function.Consumer<java.io.Closeable> connecting) throws IOException {
        InetSocketAddress target = address(endpoint);
        try (Socket socket = new Socket()) {
            connecting.accept(socket);
            socket.connect(target, connectTimeoutMillis);
            socket.setSoTimeout(readTimeoutMillis);
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
            expect(reply(in), 220, "greeting");
            command(out, "LHLO " + lhloName);
            expect(reply(in), 250, "LHLO");
            command(out, "MAIL FROM:<" + sender + ">");
            Reply mail = reply(in);
            if (!mail.positive()) {
                quit(out);
                return recipients.stream().map(r -> mail).toList();
            }
            List<Reply> replies = new ArrayList<>();
            List<Integer> accepted = new ArrayList<>();
            for (int i = 0; i < recipients.size(); i++) {
                command(out, "RCPT TO:<" + recipients.get(i) + ">");
                Reply r = reply(in);
                replies.add(r);
                if (r.positive()) {
                    accepted.add(i);
                }
            }
            if (accepted.isEmpty()) {
                quit(out);
                return replies;
            }
            command(out, "DATA");
            Reply data = reply(in);
            if (data.code() != 354) {
                for (int i : accepted) {
                    replies.set(i, data);
                }
                quit(out);
                return replies;
            }
            try (InputStream body = Files.newInputStream(message)) {
                writeDotStuffed(body, out);
            }
            out.flush();
            for (int i : accepted) {
                replies.set(i, reply(in));
            }
            quit(out);
            return replies;
        }
    }

    private static void expect(Reply reply, int code, String step) throws IOException {
        if (reply.code() != code) {
            throw new IOException(step + " answered " + reply);
        }
    }

    private static void command(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static void quit(OutputStream out) {
        try {
            command(out, "QUIT");
        } catch (IOException e) {
            // the replies are known; a failing QUIT changes nothing
        }
    }

    /** The message with CRLF line ends, a leading dot doubled, then the terminating dot line. */
    static void writeDotStuffed(InputStream body, OutputStream out) throws IOException {
        InputStream in = new BufferedInputStream(body, 64 * 1024);
        boolean lineStart = true;
        boolean pendingCr = false;
        for (int b; (b = in.read()) >= 0; ) {
            if (pendingCr) {
                pendingCr = false;
                if (b != '\n') {
                    out.write('\r'); // a CR that is not part of a line end is content
                    lineStart = false;
                }
            }
            if (b == '\r') {
                pendingCr = true;
                continue;
            }
            if (b == '\n') {
                out.write('\r');
                out.write('\n');
                lineStart = true;
                continue;
            }
            if (lineStart && b == '.') {
                out.write('.');
            }
            out.write(b);
            lineStart = false;
        }
        if (pendingCr) {
            out.write('\r');
            lineStart = false;
        }
        if (!lineStart) {
            out.write('\r');
            out.write('\n');
        }
        out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    /** Reads one (possibly multi-line) reply. */
    static Reply reply(InputStream in) throws IOException {
        StringBuilder text = new StringBuilder();
        int code = -1;
        while (true) {
            String line = line(in);
            if (line.length() < 3 || !isCode(line) || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                throw new IOException("malformed LMTP reply line '" + line + "'");
            }
            int c = Integer.parseInt(line.substring(0, 3));
            if (code >= 0 && c != code) {
                throw new IOException("LMTP reply changed its code within one reply: " + code + " then '" + line + "'");
            }
            code = c;
            if (line.length() > 4) {
                text.append(text.length() > 0 ? " " : "").append(line.substring(4));
            }
            if (line.length() == 3 || line.charAt(3) == ' ') {
                return new Reply(code, text.toString());
            }
        }
    }

    private static boolean isCode(String line) {
        return line.charAt(0) >= '2' && line.charAt(0) <= '5' && Character.isDigit(line.charAt(1)) && Character.isDigit(line.charAt(2));
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("connection closed by the LMTP server");
            }
            if (c == '\n') {
                int len = b.length();
                if (len > 0 && b.charAt(len - 1) == '\r') {
                    b.setLength(len - 1);
                }
                return b.toString();
            }
            if (b.length() >= MAX_LINE) {
                throw new IOException("LMTP reply line longer than " + MAX_LINE + " characters");
            }
            b.append((char) c);
        }
    }
}
