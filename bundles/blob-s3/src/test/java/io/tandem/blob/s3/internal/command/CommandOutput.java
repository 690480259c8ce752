package io.tandem.blob.s3.internal.command;

import java.util.Arrays;
import java.util.List;

/** Reads what the commands print. */
final class CommandOutput {

    private CommandOutput() {
    }

    /** The cells of each line of a {@code --no-format} table (tab separated), trimmed. */
    static List<List<String>> rows(String out) {
        return out.lines().map(l -> Arrays.stream(l.split("\t", -1)).map(String::trim).toList()).toList();
    }
}
