package io.tandem.itests.cluster;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What the nemesis test's clients and faults did, in the order it happened: every LMTP delivery attempt and
 * every fault, with {@link System#nanoTime()} times (CLOCK_MONOTONIC: comparable with the nodes' own
 * acknowledgement journals on this machine, and untouched by the clock faults). Each record is also written
 * at once as a line of a TSV file, so that a run that fails or dies leaves its history behind.
 */
final class History implements AutoCloseable {

    /** How one delivery attempt ended, as the client saw it. */
    enum Outcome {
        /** 250 to the message: stored. */
        ACK,
        /** 4xx (to the recipient or the message): not stored, rolled back; retried. */
        TEMPORARY,
        /** 5xx: refused for good. */
        PERMANENT,
        /** The connection broke or timed out after the message was sent: stored or not, nobody knows. */
        INDETERMINATE,
        /** The connection failed before the message was sent: not stored. */
        UNSENT
    }

    record Attempt(String account, String subject, String node, Outcome outcome, String reply, long start, long end) {

        String tsv() {
            return String.join("\t", "attempt", account, subject, node, outcome.name(), Long.toString(start), Long.toString(end),
                    reply.replace('\t', ' ').replace('\n', ' '));
        }
    }

    /**
     * A fault: {@code start} when it was applied, {@code end} when it was healed (restart issued, SIGCONT,
     * rules removed, clock set back), {@code writable} when every account had acknowledged a delivery started
     * after {@code end} (-1 when that did not happen within the bound), {@code detail} e.g. the peer or offset.
     */
    record Fault(String type, String node, String detail, long start, long end, long writable) {

        String tsv() {
            return String.join("\t", "fault", type, node, detail, Long.toString(start), Long.toString(end), Long.toString(writable));
        }
    }

    private final List<Attempt> attempts = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final BufferedWriter out;
    private final Path file;

    History(Path file) throws IOException {
        this.file = file;
        Files.createDirectories(file.getParent());
        this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    }

    Path file() {
        return file;
    }

    synchronized void add(Attempt a) {
        attempts.add(a);
        write(a.tsv());
    }

    synchronized void add(Fault f) {
        faults.add(f);
        write(f.tsv());
    }

    private void write(String line) {
        try {
            out.write(line);
            out.newLine();
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the history " + file, e);
        }
    }

    synchronized List<Attempt> attempts() {
        return List.copyOf(attempts);
    }

    synchronized List<Fault> faults() {
        return List.copyOf(faults);
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
