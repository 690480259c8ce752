package io.tandem.replication.internal.command;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "ha", name = "pauseReplicas",
        description = "Pauses replication of accounts: their changes are no longer written to the event log")
public class PauseReplicasCommand extends ReplicaSwitchCommand {

    @Override
    boolean pause() {
        return true;
    }
}
