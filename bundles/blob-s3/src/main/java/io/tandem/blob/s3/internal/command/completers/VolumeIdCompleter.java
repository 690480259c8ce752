package io.tandem.blob.s3.internal.command.completers;

import io.tandem.api.blob.VolumeRegistry;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;

import java.util.List;

/** Completes volume ids. */
@Service
public class VolumeIdCompleter implements Completer {

    @Reference
    VolumeRegistry volumes;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter delegate = new StringsCompleter();
        volumes.volumes().forEach(v -> delegate.getStrings().add(v.id().toString()));
        return delegate.complete(session, commandLine, candidates);
    }
}
