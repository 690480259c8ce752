package io.tandem.itests.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The nodes' server-side acknowledgement journals, {@code <node dir>/data/history/acks.log}: a line per
 * change a node acknowledged, {@code <System.nanoTime()> <node> <account id> <epoch> <sequence>}. The times
 * are CLOCK_MONOTONIC, comparable between the processes of one machine.
 */
final class AckJournal {

    static final String RELATIVE_PATH = "data/history/acks.log";

    record Ack(long nanos, String node, String account, long epoch, long sequence) {
        @Override
        public String toString() {
            return nanos + " " + node + " " + account + " " + epoch + " " + sequence;
        }
    }

    private AckJournal() {
    }

    /** Parses journal lines; a line that is not in the format fails (a journal the checker misreads proves nothing). */
    static List<Ack> parse(String source, List<String> lines) {
        List<Ack> out = new ArrayList<>();
        int n = 0;
        for (String line : lines) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            String[] w = line.trim().split("\\s+");
            if (w.length != 5) {
                throw new IllegalArgumentException(source + ":" + n + ": expected '<nanos> <node> <account> <epoch> <sequence>': " + line);
            }
            try {
                out.add(new Ack(Long.parseLong(w[0]), w[1], w[2], Long.parseLong(w[3]), Long.parseLong(w[4])));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(source + ":" + n + ": not a number in: " + line, e);
            }
        }
        return out;
    }

    /** The journal of every node directory that has one; empty when none has (the product does not write it). */
    static List<Ack> read(List<Path> nodeDirs) throws IOException {
        List<Ack> out = new ArrayList<>();
        for (Path dir : nodeDirs) {
            Path f = dir.resolve(RELATIVE_PATH);
            if (Files.isRegularFile(f)) {
                out.addAll(parse(f.toString(), Files.readAllLines(f, StandardCharsets.UTF_8)));
            }
        }
        return out;
    }

    static boolean presentIn(List<Path> nodeDirs) {
        return nodeDirs.stream().anyMatch(d -> Files.isRegularFile(d.resolve(RELATIVE_PATH)));
    }
}
