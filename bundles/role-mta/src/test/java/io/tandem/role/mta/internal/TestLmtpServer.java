package io.tandem.role.mta.internal;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A small real LMTP server for the delivery tests: answers every RCPT 250, and after DATA one reply per
 * recipient taken from a script (default {@code 250 2.0.0 stored}); records what it stored.
 */
final class TestLmtpServer implements AutoCloseable {

    /** A message as received: recipients and bytes (dot-stuffing undone). */
    record Received(List<String> recipients, String sender, String text) {
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private final Deque<String> script = new ConcurrentLinkedDeque<>();
    final List<Received> stored = Collections.synchronizedList(new ArrayList<>());
    final List<String> repliesSent = Collections.synchronizedList(new ArrayList<>());
    /** Messages received while hung. */
    final java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean hung;

    TestLmtpServer() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "test-lmtp");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String uri() {
        return "lmtp://127.0.0.1:" + server.getLocalPort();
    }

    /** Like a hung (SIGSTOPped) Mailstore: takes the message, then answers nothing until the client goes. */
    void hang() {
        hung = true;
    }

    /** The next replies after DATA, one per recipient, in order; afterwards 250 again. */
    void script(String... replies) {
        script.addAll(List.of(replies));
    }

    private void accept() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                session(s);
            } catch (IOException e) {
                // next connection
            }
        }
    }

    private void session(Socket s) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        OutputStream out = s.getOutputStream();
        send(out, "220 test LMTP");
        List<String> rcpts = new ArrayList<>();
        String sender = null;
        for (String line; (line = in.readLine()) != null; ) {
            String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line;
            switch (verb) {
                case "LHLO" -> send(out, "250-test\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES");
                case "MAIL" -> {
                    sender = line.substring(line.indexOf('<') + 1, line.lastIndexOf('>'));
                    rcpts.clear();
                    send(out, "250 2.1.0 OK");
                }
                case "RCPT" -> {
                    rcpts.add(line.substring(line.indexOf('<') + 1, line.lastIndexOf('>')));
                    send(out, "250 2.1.5 OK");
                }
                case "DATA" -> {
                    send(out, "354 go ahead");
                    ByteArrayOutputStream body = new ByteArrayOutputStream();
                    for (String l; (l = in.readLine()) != null && !l.equals("."); ) {
                        body.write((l.startsWith(".") ? l.substring(1) : l).getBytes(StandardCharsets.ISO_8859_1));
                        body.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
                    }
                    if (hung) {
                        held.incrementAndGet();
                        while (in.readLine() != null) {
                            // silent until the client closes the connection
                        }
                        return;
                    }
                    List<String> stored = new ArrayList<>();
                    for (String r : rcpts) {
                        String reply = script.isEmpty() ? "250 2.0.0 stored" : script.poll();
                        repliesSent.add(r + " " + reply);
                        if (reply.startsWith("250")) {
                            stored.add(r);
                        }
                        send(out, reply);
                    }
                    if (!stored.isEmpty()) {
                        this.stored.add(new Received(stored, sender, body.toString(StandardCharsets.ISO_8859_1)));
                    }
                }
                case "QUIT" -> {
                    send(out, "221 bye");
                    return;
                }
                default -> send(out, "500 5.5.2 what?");
            }
        }
    }

    private static void send(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
