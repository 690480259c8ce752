package io.tandem.replication.internal.command;

import io.tandem.api.directory.Operation;
import io.tandem.replication.internal.Args;
import io.tandem.replication.internal.HaService;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.List;
import java.util.Set;

/** {@code ha:setAccountDestination mbox2 10 accounts a@x,b@y}: adds a replica destination and starts the initial sync. */
@Service
@Command(scope = "ha", name = "setAccountDestination",
        description = "Replicates accounts to a destination Mailstore with a priority (lower is preferred); "
                + "returns an operation id at once (ha:monitor <id>)")
public class SetAccountDestinationCommand extends OperationCommand {

    @Argument(index = 0, name = "destination", required = true, description = "Destination Mailstore (node name)")
    String destination;

    @Argument(index = 1, name = "priority", required = true, description = "Priority of this replica (lower is preferred)")
    String priority;

    @Argument(index = 2, name = "accounts|input_file", multiValued = true, required = true,
            description = "accounts a@example.com,b@example.com | input_file /path/to/list")
    List<String> words;

    @Override
    protected void prepare() {
        words = options(words);
    }

    @Reference
    HaService ha;

    @Override
    Operation start() {
        return audited(destination, () -> {
            Args args = Args.parse(words, Set.of("accounts", "input_file"));
            int p = Args.number("priority", priority, 0, 1_000_000);
            return ha.setAccountDestination(destination, p, args.accounts(true));
        }, o -> "operation=" + o.id() + " accounts=" + o.total() + " priority=" + priority);
    }

    @Override
    String what(Operation o) {
        return "Replication of " + o.total() + " account(s) to " + destination;
    }
}
