package io.tandem.role.mta.internal.smtp;

import io.tandem.api.concurrent.Threads;
import io.tandem.role.mta.internal.spool.Envelope;
import io.tandem.role.mta.internal.spool.Recipient;
import io.tandem.role.mta.internal.spool.Spool;
import io.tandem.role.mta.internal.spool.SpoolSpace;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.server.SMTPServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.function.Consumer;

/**
 * The MTA's SMTP server (SubEthaSMTP, docs/decisions/0011): recipients checked at RCPT time
 * ({@link RecipientCheck}), the message written to the spool with a {@code Received} header carrying its
 * unique spool id, and {@code 250 queued as <id>} only after the spool committed it durably. While the
 * spool's file system is below its floor ({@link SpoolSpace}), MAIL and DATA are answered 452 4.3.1. The
 * only class that sees SubEthaSMTP types.
 */
public final class SmtpListener implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SmtpListener.class);
    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

    /** Limits of the listener. */
    public record Settings(InetAddress bind, int port, String hostName, int maxConnections, int timeoutMillis,
                           int maxRecipients, long maxMessageBytes) {
    }

    private final SMTPServer server;
    private final java.util.concurrent.ExecutorService sessions;
    private final Spool spool;
    private final SpoolSpace space;
    private final RecipientCheck check;
    private final Consumer<Envelope> accepted;
    private final Clock clock;
    private final Settings settings;

    /**
     * @param accepted called with every committed message (after the spool made it durable, before the 250)
     */
    public SmtpListener(Settings settings, Spool spool, SpoolSpace space, RecipientCheck check, Consumer<Envelope> accepted,
                        Clock clock) {
        this.settings = settings;
        this.spool = spool;
        this.space = space;
        this.check = check;
        this.accepted = accepted;
        this.clock = clock;
        ThreadFactory threads = Threads.numbered("tandem-mta-smtp");
        // one thread per session, bounded by maxConnections in the server (beyond it: 421)
        this.sessions = Executors.newCachedThreadPool(threads);
        this.server = SMTPServer.port(settings.port())
                .bindAddress(settings.bind())
                .hostName(settings.hostName())
                .softwareName("Tandem MTA")
                .maxConnections(settings.maxConnections())
                .connectionTimeoutMs(settings.timeoutMillis())
                .maxRecipients(settings.maxRecipients())
                .maxMessageSize((int) Math.min(Integer.MAX_VALUE, settings.maxMessageBytes()))
                .insertReceivedHeaders(false) // ours carries the spool id
                .executorService(sessions)
                .serverThreadName("tandem-mta-smtp-accept")
                .messageHandlerFactory(Transaction::new)
                .build();
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(SmtpListener.class.getClassLoader());
        try {
            server.start();
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    /** The port bound (useful with port 0). */
    public int port() {
        return server.getPortAllocated();
    }

    @Override
    public void close() {
        server.stop();
        sessions.shutdownNow();
    }

    /** One mail transaction (MAIL, RCPT..., DATA) of a session. */
    private final class Transaction implements MessageHandler {
        private final MessageContext context;
        private final List<Recipient> recipients = new ArrayList<>();
        private String sender = "";

        Transaction(MessageContext context) {
            this.context = context;
        }

        @Override
        public void from(String from) throws RejectException {
            this.sender = from == null ? "" : from;
            if (space.shortage().isPresent()) {
                throw noRoom();
            }
        }

        @Override
        public void recipient(String address) throws RejectException {
            RecipientCheck.Outcome outcome;
            try {
                outcome = check.check(address);
            } catch (RuntimeException e) {
                LOG.warn("SMTP RCPT <{}> deferred: the directory failed ({})", address, e.toString());
                throw new RejectException(451, "4.3.0 cannot check <" + address + "> now, try again later");
            }
            if (!outcome.accepted()) {
                LOG.info("SMTP RCPT <{}> from {} refused: {} {}", address, client(), outcome.code(), outcome.reply());
                throw new RejectException(outcome.code(), outcome.reply());
            }
            if (recipients.stream().noneMatch(r -> r.address().equals(outcome.address()))) {
                recipients.add(new Recipient(outcome.address(), outcome.accountId()));
            }
        }

        @Override
        public String data(InputStream data) throws RejectException, IOException {
            if (space.shortage().isPresent()) {
                drain(data);
                throw over(noRoom());
            }
            long now = clock.millis();
            String id = Spool.newId(now);
            Envelope envelope;
            try (Spool.Incoming in = spool.receive(id)) {
                OutputStream out = in.out();
                out.write(receivedHeader(id, now).getBytes(StandardCharsets.US_ASCII));
                byte[] buffer = new byte[64 * 1024];
                for (int read; (read = data.read(buffer)) >= 0; ) {
                    out.write(buffer, 0, read);
                    if (in.size() > settings.maxMessageBytes()) {
                        // the server answers as soon as this returns: read DATA to its end first; nothing is spooled
                        drain(data);
                        throw over(new RejectException(552, "5.3.4 message larger than " + settings.maxMessageBytes() + " bytes"));
                    }
                }
                envelope = new Envelope(id, sender, now, client(), in.size(), recipients);
                in.commit(envelope);
            } catch (IOException e) {
                LOG.error("SMTP message from <{}> not queued: the spool failed ({})", sender, e.toString());
                drain(data);
                throw over(space.shortage().isPresent() ? noRoom()
                        : new RejectException(451, "4.3.0 cannot queue the message now, try again later"));
            }
            accepted.accept(envelope);
            LOG.debug("SMTP queued {} from <{}> for {} recipient(s), {} bytes", id, sender, recipients.size(), envelope.size());
            return "2.0.0 Ok: queued as " + id;
        }

        /**
         * Ends the mail transaction with a refused DATA, as RFC 5321 4.1.1.4 has it: the next MAIL starts a new one.
         * SubEthaSMTP resets it after an accepted DATA only.
         */
        private RejectException over(RejectException refusal) {
            if (context instanceof org.subethamail.smtp.server.Session session) {
                session.resetMailTransaction();
            }
            return refusal;
        }

        /** 452 4.3.1 (RFC 5321 4.5.3.1.10, RFC 3463) while the spool cannot take a message. */
        private RejectException noRoom() {
            return new RejectException(452, "4.3.1 insufficient system storage, try again later");
        }

        /** Reads the rest of DATA (up to the terminating dot) so the reply is read as one. */
        private void drain(InputStream data) throws IOException {
            byte[] skip = new byte[64 * 1024];
            while (data.read(skip) >= 0) {
                // discarded
            }
        }

        private String client() {
            SocketAddress remote = context.getRemoteAddress();
            String ip = remote instanceof InetSocketAddress a && a.getAddress() != null ? a.getAddress().getHostAddress() : String.valueOf(remote);
            return context.getHelo().orElse("unknown") + " [" + ip + "]";
        }

        private String receivedHeader(String id, long now) {
            String helo = context.getHelo().orElse("unknown").replaceAll("[^\\x21-\\x7e]", "?");
            String clientPart = client().substring(client().lastIndexOf(' ') + 1);
            String date = DATE.format(ZonedDateTime.ofInstant(java.time.Instant.ofEpochMilli(now), clock.getZone()));
            return "Received: from " + helo + " (" + clientPart + ")\r\n"
                    + "\tby " + settings.hostName() + " (Tandem MTA) with ESMTP id " + id
                    + (recipients.size() == 1 ? "\r\n\tfor <" + recipients.get(0).address() + ">" : "") + ";\r\n"
                    + "\t" + date + "\r\n";
        }

        @Override
        public void done() {
        }
    }
}
