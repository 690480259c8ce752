package io.tandem.replication.internal.command;

import io.tandem.replication.internal.Args;
import io.tandem.replication.internal.HaService;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.List;
import java.util.Set;

/** {@code ha:removeAccountDestination destination D [accounts a,b | input_file F]}. */
@Service
@Command(scope = "ha", name = "removeAccountDestination",
        description = "Stops replicating accounts (all accounts when none is named) to a destination and deletes its copies there")
public class RemoveAccountDestinationCommand extends HaCommand {

    @Argument(index = 0, name = "arguments", multiValued = true, required = true,
            description = "destination D, then optionally accounts a,b | input_file F")
    List<String> words;

    @Override
    protected void prepare() {
        words = options(words);
    }

    @Reference
    HaService ha;

    private Integer removed;
    private String destination;

    private int run() {
        if (removed == null) {
            removed = audited(String.join(" ", words), () -> {
                Args a = Args.parse(words, Set.of("destination", "accounts", "input_file"));
                if (!a.has("destination")) {
                    throw new IllegalArgumentException("name the destination: destination <mailstore>");
                }
                destination = a.get("destination");
                return ha.removeAccountDestination(destination, a.accounts(false));
            }, n -> "replicas=" + n);
        }
        return removed;
    }

    @Override
    protected Object toJson() {
        int n = run();
        return java.util.Map.of("destination", destination, "removed", n);
    }

    @Override
    protected String text() {
        int n = run();
        return "Removed " + n + " replica(s) from " + destination + "; their copies there are deleted\n";
    }
}
