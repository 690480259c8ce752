package io.tandem.replication.internal.command;

import io.tandem.api.audit.Audit;
import io.tandem.shell.TandemCommandSupport;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Shared behaviour of the {@code ha:*} commands: output as a string with {@code --json}; state changes
 * are audited, and a refusal (bad input: nothing changed) is audited and thrown with the reason.
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

    /** Runs a state change: audits success with {@code detail}, or the refusal, which it rethrows. */
    protected static <T> T audited(String action, String target, Supplier<T> change, java.util.function.Function<T, String> detail) {
        T result;
        try {
            result = change.get();
        } catch (IllegalArgumentException e) {
            Audit.refused(action, target, e.getMessage());
            throw new IllegalArgumentException(action + " refused: " + e.getMessage(), e);
        }
        Audit.done(action, target, detail.apply(result));
        return result;
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
