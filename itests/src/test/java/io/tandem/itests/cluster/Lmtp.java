package io.tandem.itests.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A minimal LMTP client (RFC 2033) for the cluster tests: one message to one recipient per connection. */
final class Lmtp {

    private Lmtp() {
    }

    /** Delivers a small message; returns the final reply line ("250 ..." when stored), or the failing reply. */
    static String deliver(String host, int port, String recipient, String subject) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 5000);
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            String greeting = reply(in);
            if (!greeting.startsWith("220")) {
                return greeting;
            }
            for (String cmd : new String[] {"LHLO it.example.com", "MAIL FROM:<it@remote.example>", "RCPT TO:<" + recipient + ">"}) {
                send(out, cmd);
                String r = reply(in);
                if (!r.startsWith("250")) {
                    return r;
                }
            }
            send(out, "DATA");
            String r = reply(in);
            if (!r.startsWith("354")) {
                return r;
            }
            send(out, "From: it@remote.example\r\nTo: " + recipient + "\r\nSubject: " + subject + "\r\n\r\nbody of " + subject + "\r\n.");
            String result = reply(in);
            send(out, "QUIT");
            return result;
        }
    }

    /** Writes one command line (CRLF added). */
    static void send(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** The last line of a (possibly multi-line) reply. */
    static String reply(BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed");
            }
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }
}
