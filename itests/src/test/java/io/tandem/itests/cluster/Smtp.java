package io.tandem.itests.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A minimal SMTP client for the cluster tests: one message per connection, every reply recorded (line I/O shared with {@link Lmtp}). */
final class Smtp {

    private Smtp() {
    }

    /**
     * Sends a small message with the given subject; returns the last line of each reply after the greeting:
     * EHLO, MAIL, one per RCPT, then (when a recipient was accepted) DATA and the final reply.
     */
    static List<String> send(String host, int port, List<String> recipients, String subject) throws IOException {
        List<String> replies = new ArrayList<>();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            String greeting = reply(in);
            if (!greeting.startsWith("220")) {
                throw new IOException("greeting: " + greeting);
            }
            send(out, "EHLO it.remote.example");
            replies.add(reply(in));
            send(out, "MAIL FROM:<it@remote.example>");
            replies.add(reply(in));
            boolean any = false;
            for (String r : recipients) {
                send(out, "RCPT TO:<" + r + ">");
                String reply = reply(in);
                replies.add(reply);
                any |= reply.startsWith("250");
            }
            if (any) {
                send(out, "DATA");
                String data = reply(in);
                replies.add(data);
                if (data.startsWith("354")) {
                    send(out, "From: it@remote.example\r\nTo: " + String.join(", ", recipients) + "\r\nSubject: " + subject
                            + "\r\n\r\nbody of " + subject + "\r\n.. a line starting with a dot\r\n.");
                    replies.add(reply(in));
                }
            }
            send(out, "QUIT");
            return replies;
        }
    }

    /** The final reply of a one-recipient message ("250 ..." when queued), or the first refusal. */
    static String sendOne(String host, int port, String recipient, String subject) throws IOException {
        List<String> replies = send(host, port, List.of(recipient), subject);
        for (String r : replies) {
            if (!r.startsWith("2") && !r.startsWith("3")) {
                return r;
            }
        }
        return replies.get(replies.size() - 1);
    }

    private static void send(OutputStream out, String line) throws IOException {
        Lmtp.send(out, line);
    }

    private static String reply(BufferedReader in) throws IOException {
        return Lmtp.reply(in);
    }
}
