package io.tandem.failover.internal.command;

import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.failover.internal.FailoverStatus;
import io.tandem.shell.CommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.List;

/**
 * {@code ha:setAutoFailover enable|disable [mailstores M1,M2]}: switches automatic failover cluster-wide,
 * or for some Mailstores only (per-Mailstore opt-out). Audited; refused with the reason for bad input.
 */
@Service
@Command(scope = "ha", name = "setAutoFailover",
        description = "Enables or disables automatic failover, cluster-wide or for some Mailstores (mailstores M1,M2)")
public class SetAutoFailoverCommand extends CommandSupport {

    @Argument(index = 0, name = "words", required = true, multiValued = true,
            description = "enable|disable, then optionally: mailstores M1,M2")
    List<String> words;

    @Reference
    DirectoryAdminService directory;

    @Override
    public String render() {
        String target = words == null ? "" : String.join(" ", words);
        return audited(target, () -> FailoverStatus.setAutoFailover(directory, words), result -> result) + "\n";
    }
}
