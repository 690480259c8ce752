package io.tandem.replication.internal.command;

import io.tandem.shell.TandemCommandSupport;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Shared behaviour of the {@code ha:*} commands: {@code --json} and {@code --no-format} also among the key/value
 * words; state changes go through {@link #audited} as in every command.
 */
abstract class HaCommand extends TandemCommandSupport {

    @Override
    public String render() throws Exception {
        prepare();
        return super.render();
    }

    /** Runs before the output is chosen: commands with key/value words take their options out of them. */
    protected void prepare() {
    }

    /**
     * Karaf stops reading options at the first argument, and operators often write {@code --json} last:
     * {@code --json} and {@code --no-format} are accepted among the key/value words too.
     */
    protected List<String> options(List<String> words) {
        List<String> out = new ArrayList<>();
        for (String w : words == null ? List.<String>of() : words) {
            if ("--json".equals(w)) {
                json = true;
            } else if ("--no-format".equals(w)) {
                noFormat = true;
            } else {
                out.add(w);
            }
        }
        return out;
    }

    /** A refusal of a read command (bad filter): thrown with the command named. */
    protected static <T> T checked(String action, Supplier<T> read) {
        try {
            return read.get();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(action + ": " + e.getMessage(), e);
        }
    }

    static String time(long millis) {
        return millis <= 0 ? "never" : java.time.Instant.ofEpochMilli(millis).toString();
    }
}
