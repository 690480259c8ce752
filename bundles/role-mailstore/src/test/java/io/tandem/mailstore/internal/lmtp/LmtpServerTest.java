package io.tandem.mailstore.internal.lmtp;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

public class LmtpServerTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** Delivered messages per recipient. */
    private final Map<String, List<String>> delivered = new ConcurrentHashMap<>();
    private final List<String> senders = new CopyOnWriteArrayList<>();
    private LmtpServer server;

    private final LmtpHandler handler = new LmtpHandler() {
        @Override
        public Reply recipient(String address) {
            if (address.startsWith("unknown")) {
                return Reply.permanent(550, "5.1.1", "no such user " + address);
            }
            if (address.startsWith("moving")) {
                return Reply.temporary("4.2.0", address + " is being moved, try again later");
            }
            return Reply.ok("2.1.5", "OK");
        }

        @Override
        public List<Reply> deliver(String sender, List<String> recipients, Path message) {
            senders.add(sender);
            List<Reply> out = new ArrayList<>();
            for (String r : recipients) {
                if (r.startsWith("s3down")) {
                    out.add(Reply.temporary("4.3.0", "storage unavailable"));
                    continue;
                }
                try {
                    delivered.computeIfAbsent(r, k -> new CopyOnWriteArrayList<>()).add(Files.readString(message, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
                out.add(Reply.ok("2.0.0", "stored for " + r));
            }
            return out;
        }
    };

    @Before
    public void start() throws IOException {
        server = new LmtpServer(handler, "mbox1.test", InetAddress.getLoopbackAddress(), 0, 4, 10_000, 10_000, tmp.newFolder("spool").toPath());
    }

    @After
    public void stop() {
        server.close();
    }

    private final class Client implements AutoCloseable {
        final Socket socket;
        final BufferedReader in;
        final OutputStream out;

        Client() throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
            socket.setSoTimeout(10_000);
            in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            out = socket.getOutputStream();
        }

        void send(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        String reply() throws IOException {
            String last;
            StringBuilder all = new StringBuilder();
            do {
                last = in.readLine();
                all.append(last).append('\n');
            } while (last != null && last.length() > 3 && last.charAt(3) == '-');
            return all.toString().trim();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    @Test
    public void repliesOncePerRecipientAfterData() throws IOException {
        try (Client c = new Client()) {
            assertTrue(c.reply().startsWith("220 mbox1.test"));
            c.send("LHLO mta1.test");
            String lhlo = c.reply();
            assertTrue(lhlo, lhlo.contains("250-PIPELINING") && lhlo.contains("250 SIZE 10000"));
            c.send("MAIL FROM:<sender@remote.test>");
            assertEquals("250 2.1.0 sender OK", c.reply());
            c.send("RCPT TO:<alice@example.com>");
            assertEquals("250 2.1.5 OK", c.reply());
            c.send("RCPT TO:<unknown@example.com>");
            assertEquals("550 5.1.1 no such user unknown@example.com", c.reply());
            c.send("RCPT TO:<moving@example.com>");
            assertTrue(c.reply().startsWith("451 4.2.0"));
            c.send("RCPT TO:<s3down@example.com>");
            c.reply();
            c.send("DATA");
            assertTrue(c.reply().startsWith("354"));
            c.send("Subject: hi");
            c.send("");
            c.send("..leading dot");
            c.send(".");
            // two recipients were accepted: two replies, in order
            assertEquals("250 2.0.0 stored for alice@example.com", c.in.readLine());
            assertEquals("451 4.3.0 storage unavailable", c.in.readLine());
            c.send("QUIT");
            assertTrue(c.reply().startsWith("221"));
        }
        assertEquals(List.of("Subject: hi\r\n\r\n.leading dot\r\n"), delivered.get("alice@example.com"));
        assertEquals(List.of("sender@remote.test"), senders);
    }

    @Test
    public void protocolErrorsAreRefusedWithoutLosingTheSession() throws IOException {
        try (Client c = new Client()) {
            c.reply();
            c.send("EHLO mta1.test");
            assertTrue(c.reply().startsWith("500 5.5.1"));
            c.send("MAIL FROM:<a@b.test>");
            assertTrue(c.reply().startsWith("503"));
            c.send("LHLO mta1.test");
            c.reply();
            c.send("RCPT TO:<alice@example.com>");
            assertTrue(c.reply().startsWith("503"));
            c.send("MAIL FROM:<a@b.test> SIZE=999999");
            assertTrue(c.reply().startsWith("552 5.3.4"));
            c.send("MAIL FROM:<a@b.test>");
            c.reply();
            c.send("DATA");
            assertTrue(c.reply().startsWith("503 5.5.1 no valid recipient"));
            c.send("RCPT TO:<alice@example.com>");
            c.reply();
            c.send("DATA");
            c.reply();
            String big = "x".repeat(900);
            for (int i = 0; i < 20; i++) {
                c.send(big);
            }
            c.send(".");
            assertTrue(c.reply().startsWith("552 5.3.4"));
            c.send("NOOP");
            assertEquals("250 2.0.0 OK", c.reply());
        }
        assertTrue("nothing stored: " + delivered, delivered.isEmpty());
    }

    /** Interoperability with a real LMTP client: Python's smtplib.LMTP. */
    @Test
    public void pythonSmtplibLmtpClientGetsPerRecipientReplies() throws Exception {
        String script = String.join("\n",
                "import smtplib, sys",
                "c = smtplib.LMTP('127.0.0.1', " + server.port() + ")",
                "c.ehlo('mta1.test')  # LMTP sends LHLO (ehlo_msg)",
                "c.mail('sender@remote.test')",
                "rcpts = ['alice@example.com', 'bob@example.com', 'unknown@example.com']",
                "accepted = []",
                "for r in rcpts:",
                "    code, msg = c.rcpt(r)",
                "    print('RCPT', r, code)",
                "    if code == 250: accepted.append(r)",
                "code, msg = c.data(b'Subject: from python\\r\\n\\r\\nhello\\r\\n')",
                "print('DATA', accepted[0], code)",
                "for r in accepted[1:]:",
                "    code, msg = c.getreply()",
                "    print('DATA', r, code)",
                "c.quit()");
        Path py = tmp.newFile("client.py").toPath();
        Files.writeString(py, script);
        Process p = new ProcessBuilder("python3", py.toString()).redirectErrorStream(true).start();
        assertTrue("python3 finished", p.waitFor(60, TimeUnit.SECONDS));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(out, 0, p.exitValue());
        assertEquals(String.join("\n",
                "RCPT alice@example.com 250",
                "RCPT bob@example.com 250",
                "RCPT unknown@example.com 550",
                "DATA alice@example.com 250",
                "DATA bob@example.com 250"), out.trim());
        assertEquals(1, delivered.get("bob@example.com").size());
        assertTrue(delivered.get("alice@example.com").get(0).contains("hello"));
    }
}
