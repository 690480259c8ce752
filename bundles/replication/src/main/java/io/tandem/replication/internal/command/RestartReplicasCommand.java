package io.tandem.replication.internal.command;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Service
@Command(scope = "ha", name = "restartReplicas",
        description = "Restarts replication of accounts (paused or failed): every replica re-initialises from a snapshot of its source")
public class RestartReplicasCommand extends ReplicaSwitchCommand {

    @Override
    boolean pause() {
        return false;
    }
}
