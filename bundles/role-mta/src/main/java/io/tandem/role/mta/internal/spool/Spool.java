package io.tandem.role.mta.internal.spool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The MTA's durable spool: a directory with {@code queue/} (messages being delivered), {@code failed/}
 * (messages with a recipient that failed for good, kept with the reason) and {@code tmp/} (messages being
 * received).
 *
 * <p>A spooled message is two files, {@code <id>.msg} (the bytes, never changed) and {@code <id>.env} (the
 * envelope and delivery state, replaced atomically on every change). The envelope is the commit point:
 * {@link Incoming#commit} fsyncs the message, moves it into {@code queue/}, writes the envelope to a
 * temporary file, fsyncs it, renames it into place and fsyncs the directory; only then may the SMTP
 * server answer 250. On {@link #open}, what was never committed (anything in {@code tmp/}, a {@code .msg}
 * without its {@code .env}) is discarded: it was never acknowledged.
 */
public final class Spool {

    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    private static final int FORMAT = 1;
    private static final Pattern ID = Pattern.compile("[0-9A-Z]{1,13}-[0-9a-f]{12}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path queue;
    private final Path failed;
    private final Path tmp;

    private Spool(Path root) throws IOException {
        this.queue = Files.createDirectories(root.resolve("queue"));
        this.failed = Files.createDirectories(root.resolve("failed"));
        this.tmp = Files.createDirectories(root.resolve("tmp"));
    }

    /** What {@link #open} found. */
    public record Contents(Spool spool, List<Envelope> queued, int discarded) {
    }

    /**
     * Opens (creating) the spool at {@code root}: discards what was never committed and reads every queued
     * envelope, oldest first. An unreadable envelope is an error (the spool is not opened): it was written
     * atomically, so it is damage to look at, not a torn write to drop.
     */
    public static Contents open(Path root) throws IOException {
        Spool spool = new Spool(root);
        int discarded = 0;
        for (Path p : list(spool.tmp)) {
            discarded += spool.discard(p, "it was being received");
        }
        List<Envelope> queued = new ArrayList<>();
        for (Path p : list(spool.queue)) {
            String name = p.getFileName().toString();
            if (name.endsWith(".msg")) {
                if (!Files.exists(spool.queue.resolve(id(name) + ".env"))) {
                    discarded += spool.discard(p, "its envelope was never committed (the message was not acknowledged)");
                }
            } else if (name.endsWith(".env")) {
                Envelope e = read(p);
                if (!Files.exists(spool.queue.resolve(e.id() + ".msg"))) {
                    try {
                        spool.finishMove(e);
                    } catch (IOException ex) {
                        // its message is kept in the failed area; the move is finished at a later start
                        LOG.error("Spool: cannot finish moving {} to the failed area now ({}): left for the next start", e.id(), ex.toString());
                    }
                } else {
                    queued.add(e);
                }
            } else if (name.endsWith(".tmp")) {
                discarded += spool.discard(p, "it is an envelope never renamed into place");
            } else {
                throw new IOException("spool " + spool.queue + ": unexpected file " + name);
            }
        }
        if (discarded > 0) {
            spool.sync(spool.queue);
        }
        queued.sort(Comparator.comparingLong(Envelope::received).thenComparing(Envelope::id));
        return new Contents(spool, queued, discarded);
    }

    /**
     * Deletes what was never acknowledged; one that cannot be deleted now (a read-only file system) is left for the
     * next start rather than keeping the spool, and its acknowledged mail, from opening. 1 if deleted, else 0.
     */
    private int discard(Path p, String why) {
        try {
            Files.deleteIfExists(p);
            LOG.info("Spool: discarded {}: {}", p.getFileName(), why);
            return 1;
        } catch (IOException e) {
            LOG.warn("Spool: cannot discard {} ({}) now: {}; left for the next start", p.getFileName(), why, e.toString());
            return 0;
        }
    }

    /** A queue envelope whose message is gone: the move to the failed area was interrupted; finish it. */
    private void finishMove(Envelope e) throws IOException {
        if (Files.exists(failed.resolve(e.id() + ".msg"))) {
            writeEnvelope(failed, e);
            Files.delete(queue.resolve(e.id() + ".env"));
            sync(queue);
            LOG.info("Spool: {} moved to the failed area (the move was interrupted)", e.id());
        } else {
            throw new IOException("spool " + queue + ": envelope " + e.id() + ".env has no message " + e.id() + ".msg");
        }
    }

    private static String id(String fileName) {
        return fileName.substring(0, fileName.indexOf('.'));
    }

    private static List<Path> list(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(out::add);
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    /** A new unique spool id: the time in base 36 and 48 random bits. */
    public static String newId(long now) {
        byte[] random = new byte[6];
        RANDOM.nextBytes(random);
        return Long.toString(now, 36).toUpperCase(java.util.Locale.ROOT) + "-" + HexFormat.of().formatHex(random);
    }

    /** Starts receiving a message; {@link Incoming#close} without a commit discards it. */
    public Incoming receive(String id) throws IOException {
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("spool id '" + id + "' is invalid");
        }
        return new Incoming(id);
    }

    /** A message being received into {@code tmp/}. */
    public final class Incoming implements AutoCloseable {
        private final String id;
        private final Path file;
        private final FileChannel channel;
        private final OutputStream out;
        private long size;
        private boolean committed;

        private Incoming(String id) throws IOException {
            this.id = id;
            this.file = tmp.resolve(id + ".msg");
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            this.out = new java.io.BufferedOutputStream(new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b, off, len);
                    while (buf.hasRemaining()) {
                        channel.write(buf);
                    }
                    size += len;
                }
            }, 64 * 1024);
        }

        public String id() {
            return id;
        }

        public OutputStream out() {
            return out;
        }

        /** Bytes written so far (after a flush). */
        public long size() throws IOException {
            out.flush();
            return size;
        }

        /**
         * Makes the message durable with its envelope (see {@link Spool}); after it returns the message may be
         * acknowledged. The envelope's id must be this message's.
         */
        public void commit(Envelope envelope) throws IOException {
            if (!envelope.id().equals(id)) {
                throw new IllegalArgumentException("envelope " + envelope.id() + " is not for message " + id);
            }
            out.flush();
            channel.force(true);
            channel.close();
            move(file, queue.resolve(id + ".msg"));
            try {
                writeEnvelope(queue, envelope);
            } catch (IOException e) {
                // the sender is told to retry: nothing of this message may stay committed (it would be delivered at the
                // next start as well as the retried copy, whose spool id differs), nor hold the space it lacked
                rollBack(e);
                throw e;
            }
            committed = true;
        }

        /** Each file on its own: the envelope first (without it the message is discarded at the next start). */
        private void rollBack(IOException cause) {
            IOException failed = null;
            for (String name : List.of(id + ".env", id + ".env.tmp", id + ".msg")) {
                try {
                    Files.deleteIfExists(queue.resolve(name));
                } catch (IOException e) {
                    failed = e;
                    cause.addSuppressed(e);
                }
            }
            try {
                sync(queue);
            } catch (IOException e) {
                failed = e;
                cause.addSuppressed(e);
            }
            if (failed != null && Files.exists(queue.resolve(id + ".env"))) {
                LOG.error("Spool: message {} was answered 'try again' but cannot be removed from the queue ({}): if it is still "
                        + "there at the next start it is delivered as well as the sender's retry", id, failed.toString());
            }
        }

        @Override
        public void close() throws IOException {
            if (channel.isOpen()) {
                channel.close();
            }
            if (!committed) {
                Files.deleteIfExists(file);
            }
        }
    }

    /** The spooled message's bytes. */
    public InputStream message(String id) throws IOException {
        return Files.newInputStream(queue.resolve(id + ".msg"));
    }

    /** Path of the spooled message (read only). */
    public Path messageFile(String id) {
        return queue.resolve(id + ".msg");
    }

    /** Writes the envelope's current state (atomically, durably). */
    public void update(Envelope envelope) throws IOException {
        writeEnvelope(queue, envelope);
    }

    /** Removes a message delivered to every recipient: envelope first, so a crash leaves nothing committed. */
    public void remove(String id) throws IOException {
        Files.deleteIfExists(queue.resolve(id + ".env"));
        Files.deleteIfExists(queue.resolve(id + ".msg"));
        sync(queue);
    }

    /** Moves a message whose recipients are all done, some failed, to the failed area with its state. */
    public void moveToFailed(Envelope envelope) throws IOException {
        String id = envelope.id();
        if (Files.exists(queue.resolve(id + ".msg")) || !Files.exists(failed.resolve(id + ".msg"))) {
            move(queue.resolve(id + ".msg"), failed.resolve(id + ".msg"));
        } // else an earlier move got the message there and failed after: it is finished now
        writeEnvelope(failed, envelope);
        Files.delete(queue.resolve(id + ".env"));
        sync(queue);
    }

    /** The failed area's envelopes, oldest first. */
    public List<Envelope> failed() throws IOException {
        List<Envelope> out = new ArrayList<>();
        for (Path p : list(failed)) {
            if (p.getFileName().toString().endsWith(".env")) {
                out.add(read(p));
            }
        }
        out.sort(Comparator.comparingLong(Envelope::received).thenComparing(Envelope::id));
        return out;
    }

    private void writeEnvelope(Path dir, Envelope envelope) throws IOException {
        Path target = dir.resolve(envelope.id() + ".env");
        Path temp = dir.resolve(envelope.id() + ".env.tmp");
        byte[] bytes = encode(envelope.snapshot());
        try (FileChannel c = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) {
                c.write(buf);
            }
            c.force(true);
        }
        move(temp, target);
    }

    /** Atomic rename, then the directory fsynced so the rename is durable. */
    private void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("spool: cannot rename " + from + " to " + to + " atomically (keep the spool on one file system)", e);
        }
        sync(to.getParent());
        if (!from.getParent().equals(to.getParent())) {
            sync(from.getParent());
        }
    }

    private void sync(Path dir) throws IOException {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        }
    }

    // ------------------------------------------------------------------ envelope encoding

    static byte[] encode(Envelope e) throws IOException {
        Properties p = new Properties();
        p.setProperty("format", Integer.toString(FORMAT));
        p.setProperty("id", e.id());
        p.setProperty("sender", e.sender());
        p.setProperty("received", Long.toString(e.received()));
        p.setProperty("client", e.client());
        p.setProperty("size", Long.toString(e.size()));
        p.setProperty("failure", e.failure());
        p.setProperty("recipients", Integer.toString(e.recipients().size()));
        for (int i = 0; i < e.recipients().size(); i++) {
            Recipient r = e.recipients().get(i);
            String k = "rcpt." + i + ".";
            p.setProperty(k + "address", r.address());
            p.setProperty(k + "account", r.accountId().toString());
            p.setProperty(k + "state", r.state().id());
            p.setProperty(k + "attempts", Integer.toString(r.attempts()));
            p.setProperty(k + "next", Long.toString(r.nextAttempt()));
            p.setProperty(k + "reply", r.lastReply());
            p.setProperty(k + "destination", r.destination());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.store(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), "Tandem MTA spool envelope");
        return out.toByteArray();
    }

    static Envelope read(Path file) throws IOException {
        try {
            return decode(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new IOException("spool envelope " + file + " is unreadable: " + e.getMessage(), e);
        }
    }

    static Envelope decode(String text) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(text));
        String format = required(p, "format");
        if (!format.equals(Integer.toString(FORMAT))) {
            throw new IOException("envelope format " + format + " is not supported (this version reads " + FORMAT + ")");
        }
        int count = Integer.parseInt(required(p, "recipients"));
        List<Recipient> recipients = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String k = "rcpt." + i + ".";
            recipients.add(new Recipient(required(p, k + "address"), UUID.fromString(required(p, k + "account")),
                    Recipient.State.parse(required(p, k + "state")), Integer.parseInt(required(p, k + "attempts")),
                    Long.parseLong(required(p, k + "next")), p.getProperty(k + "reply", ""), p.getProperty(k + "destination", "")));
        }
        return new Envelope(required(p, "id"), p.getProperty("sender", ""), Long.parseLong(required(p, "received")),
                p.getProperty("client", ""), Long.parseLong(required(p, "size")), recipients, p.getProperty("failure", ""));
    }

    private static String required(Properties p, String key) throws IOException {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IOException("envelope has no '" + key + "'");
        }
        return v;
    }
}
