package io.tandem.replication.internal;

import io.tandem.api.mailbox.MailboxChange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An optional journal of the changes this node committed as an account's owner, for the fault harness's
 * history checker (docs/fault-harness.md): one line per change, {@code <monotonic ns> <node> <account id>
 * <epoch> <sequence>}, the time taken at the point where the change became durable in the log (just before the
 * log's commit), or for an account without replicas just before its owner check. {@code System.nanoTime()} is
 * the machine's monotonic clock, so the journals of the nodes of one machine can be merged: the checker then
 * finds two writers of one epoch, epochs going back in time, or sequences not increasing.
 *
 * <p>Off unless {@code history.file} is set. Each line is written with one unbuffered write, so what was
 * written survives a kill -9 of the node.
 */
final class AckJournal implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(AckJournal.class);
    static final AckJournal OFF = new AckJournal(null, null);

    private final String node;
    private final OutputStream out;

    private AckJournal(String node, OutputStream out) {
        this.node = node;
        this.out = out;
    }

    /** The journal at {@code file} (appended to), or {@link #OFF} when {@code file} is blank. */
    static AckJournal open(String node, String file) {
        if (file == null || file.isBlank()) {
            return OFF;
        }
        Path path = Path.of(file.trim());
        try {
            if (path.getParent() != null) {
                Files.createDirectories(path.getParent());
            }
            LOG.info("Journal of acknowledged changes: {}", path);
            return new AckJournal(node, new FileOutputStream(path.toFile(), true));
        } catch (IOException e) {
            throw new IllegalArgumentException(ReplicationConfig.PID + ": history.file = " + file + " cannot be opened: " + e.getMessage(), e);
        }
    }

    boolean on() {
        return out != null;
    }

    void record(long nanos, MailboxChange change) {
        if (out == null) {
            return;
        }
        byte[] line = (nanos + " " + node + " " + change.accountId() + " " + change.epoch() + " " + change.sequence() + "\n")
                .getBytes(StandardCharsets.US_ASCII);
        synchronized (this) {
            try {
                out.write(line);
            } catch (IOException e) {
                LOG.warn("Cannot write the journal of acknowledged changes: {}", e.getMessage());
            }
        }
    }

    @Override
    public synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                LOG.debug("Closing the journal failed", e);
            }
        }
    }
}
