package io.tandem.supervisor.internal.command;

import io.tandem.shell.CommandSupport;
import io.tandem.supervisor.ServiceStatus;
import io.tandem.supervisor.SupervisedServices;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

/** Stops and starts a supervised service on this node; a failed one gets a fresh restart budget. */
@Service
@Command(scope = "supervisor", name = "restart", description = "Restarts a supervised service on this node (a failed one is tried again)")
public class ServiceRestartCommand extends CommandSupport {

    @Argument(index = 0, name = "name", required = true, description = "Service name, as supervisor:list shows it")
    @Completion(ServiceNameCompleter.class)
    String name;

    @Reference
    SupervisedServices services;

    @Override
    public String render() {
        ServiceStatus s = audited(name, () -> services.restart(name), r -> "state=" + r.state().id() + " pid=" + r.pid());
        return "Service " + s.name() + " restarted: " + s.state().id()
                + (s.pid() >= 0 ? ", pid " + s.pid() : " (" + s.detail() + ")") + "\n";
    }
}
