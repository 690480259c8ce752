package io.tandem.supervisor.internal.command;

import io.tandem.supervisor.ServiceStatus;
import io.tandem.supervisor.SupervisedServices;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;

import java.util.List;

/** Completes the names of the services configured on this node. */
@Service
public class ServiceNameCompleter implements Completer {

    @Reference
    SupervisedServices services;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter delegate = new StringsCompleter();
        services.list().stream().map(ServiceStatus::name).forEach(delegate.getStrings()::add);
        return delegate.complete(session, commandLine, candidates);
    }
}
