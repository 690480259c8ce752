package io.tandem.role.mta.internal.command;

import io.tandem.role.mta.internal.MtaQueue;
import io.tandem.role.mta.internal.spool.Envelope;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.List;

@Service
@Command(scope = "mta", name = "failed",
        description = "Lists the messages of this MTA's failed area: a recipient refused for good (5xx), gone, or expired; with the reason")
public class FailedCommand extends TandemCommandSupport {

    @Reference
    MtaQueue mta;

    Clock clock = Clock.systemUTC();

    private List<Envelope> failed;

    private List<Envelope> failed() {
        if (failed == null) {
            try {
                failed = mta.failed();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the failed area: " + e.getMessage(), e);
            }
        }
        return failed;
    }

    @Override
    protected Object toJson() {
        long now = clock.millis();
        return failed().stream().map(e -> EnvelopeView.json(e, now)).toList();
    }

    @Override
    protected String text() {
        long now = clock.millis();
        ShellTable table = EnvelopeView.table("No failed message");
        failed().forEach(e -> EnvelopeView.rows(table, e, now));
        return print(table);
    }
}
