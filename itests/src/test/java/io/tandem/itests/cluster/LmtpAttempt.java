package io.tandem.itests.cluster;

import io.tandem.itests.cluster.History.Outcome;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One LMTP delivery whose outcome says whether the message may have been stored: a connection that breaks
 * before the message is sent stored nothing ({@link Outcome#UNSENT}); one that breaks or times out while
 * sending it or waiting for the reply to it is in doubt ({@link Outcome#INDETERMINATE}). The message's bytes
 * depend on the subject only, so a retry is the same message, as an MTA's would be.
 */
final class LmtpAttempt {

    static final int PORT = 7025;
    private static final int CONNECT_MILLIS = 3_000;
    /** A paused node never answers: after this long the client gives up on it and tries elsewhere. */
    private static final int READ_MILLIS = 15_000;

    record Result(Outcome outcome, String reply) {
    }

    private LmtpAttempt() {
    }

    static Result deliver(String host, String recipient, String subject) {
        boolean sent = false;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, PORT), CONNECT_MILLIS);
            s.setSoTimeout(READ_MILLIS);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            String r = Lmtp.reply(in);
            if (!r.startsWith("220")) {
                return refused(r);
            }
            for (String cmd : new String[] {"LHLO nemesis.example.com", "MAIL FROM:<nemesis@remote.example>", "RCPT TO:<" + recipient + ">", "DATA"}) {
                Lmtp.send(out, cmd);
                r = Lmtp.reply(in);
                if (!r.startsWith(cmd.equals("DATA") ? "354" : "250")) {
                    return refused(r);
                }
            }
            sent = true; // from the first byte of the message on, the server may store it
            Lmtp.send(out, "From: nemesis@remote.example\r\nTo: " + recipient + "\r\nSubject: " + subject + "\r\n\r\nbody of " + subject + "\r\n.");
            r = Lmtp.reply(in);
            try {
                Lmtp.send(out, "QUIT");
            } catch (IOException e) {
                // the reply to the message is what counts
            }
            return r.startsWith("250") ? new Result(Outcome.ACK, r) : refused(r);
        } catch (IOException e) {
            return new Result(sent ? Outcome.INDETERMINATE : Outcome.UNSENT, e.toString());
        }
    }

    private static Result refused(String reply) {
        return new Result(reply.startsWith("4") ? Outcome.TEMPORARY : Outcome.PERMANENT, reply);
    }
}
