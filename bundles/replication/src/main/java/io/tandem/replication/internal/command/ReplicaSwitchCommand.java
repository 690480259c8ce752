package io.tandem.replication.internal.command;

import io.tandem.replication.internal.Args;
import io.tandem.replication.internal.HaService;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.lifecycle.Reference;

import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code ha:pauseReplicas} and {@code ha:restartReplicas}: {@code accounts a,b | input_file F}. */
abstract class ReplicaSwitchCommand extends HaCommand {

    @Argument(index = 0, name = "accounts|input_file", multiValued = true, required = true,
            description = "accounts a@example.com,b@example.com | input_file /path/to/list")
    List<String> words;

    @Override
    protected void prepare() {
        words = options(words);
    }

    @Reference
    HaService ha;

    private Integer changed;

    /** Pause (true) or restart (false). */
    abstract boolean pause();

    private int run() {
        if (changed == null) {
            changed = audited(String.join(" ", words),
                    () -> ha.pauseOrRestart(Args.parse(words, Set.of("accounts", "input_file")).accounts(true), pause()),
                    n -> "replicas=" + n);
        }
        return changed;
    }

    @Override
    protected Object toJson() {
        return Map.of("replicas", run(), "state", pause() ? "paused" : "initialising");
    }

    @Override
    protected String text() {
        return pause() ? "Paused " + run() + " replica(s)\n"
                : "Restarted " + run() + " replica(s): each re-initialises from a snapshot of its source\n";
    }
}
