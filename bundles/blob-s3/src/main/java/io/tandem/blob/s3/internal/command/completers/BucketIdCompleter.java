package io.tandem.blob.s3.internal.command.completers;

import io.tandem.api.blob.VolumeRegistry;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.api.console.CommandLine;
import org.apache.karaf.shell.api.console.Completer;
import org.apache.karaf.shell.api.console.Session;
import org.apache.karaf.shell.support.completers.StringsCompleter;

import java.util.List;

/** Completes bucket ids. */
@Service
public class BucketIdCompleter implements Completer {

    @Reference
    VolumeRegistry volumes;

    @Override
    public int complete(Session session, CommandLine commandLine, List<String> candidates) {
        StringsCompleter delegate = new StringsCompleter();
        volumes.buckets().forEach(b -> delegate.getStrings().add(b.id().toString()));
        return delegate.complete(session, commandLine, candidates);
    }
}
