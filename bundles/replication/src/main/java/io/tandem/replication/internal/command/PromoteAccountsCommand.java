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

/** {@code ha:promoteAccounts accounts a,b | input_file F | source_mail_host H [destination D] [threads N]}. */
@Service
@Command(scope = "ha", name = "promoteAccounts",
        description = "Promotes accounts to their preferred available replica (or to a destination), even with the source "
                + "offline and losing no acknowledged change; returns an operation id at once (ha:monitor <id>)")
public class PromoteAccountsCommand extends OperationCommand {

    @Argument(index = 0, name = "arguments", multiValued = true, required = true,
            description = "accounts a,b | input_file F | source_mail_host H, then optionally destination D, threads N (default 4)")
    List<String> words;

    @Override
    protected void prepare() {
        words = options(words);
    }

    @Reference
    HaService ha;

    @Override
    Operation start() {
        return audited(String.join(" ", words), () -> {
            Args a = Args.parse(words, Set.of("accounts", "input_file", "source_mail_host", "destination", "threads"));
            int threads = a.integer("threads", 4, 1, 64);
            if (a.has("source_mail_host")) {
                if (a.has("accounts") || a.has("input_file")) {
                    throw new IllegalArgumentException("give either source_mail_host or accounts/input_file, not both");
                }
                return ha.promote(List.of(), a.get("source_mail_host"), a.get("destination"), threads);
            }
            return ha.promote(a.accounts(true), null, a.get("destination"), threads);
        }, o -> "operation=" + o.id() + " accounts=" + o.total());
    }

    @Override
    String what(Operation o) {
        return "Promotion of " + o.total() + " account(s)";
    }
}
