package io.tandem.role.mta.internal.command;

import io.tandem.role.mta.internal.MtaQueue;
import io.tandem.role.mta.internal.spool.Envelope;
import io.tandem.role.mta.internal.spool.Recipient;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

@Service
@Command(scope = "mta", name = "queue",
        description = "Lists the messages waiting in this MTA's spool: count, oldest, pending recipients per destination Mailstore, "
                + "and per recipient its state, attempts, next attempt and last reply")
public class QueueCommand extends TandemCommandSupport {

    @Reference
    MtaQueue mta;

    Clock clock = Clock.systemUTC();

    private List<Envelope> queued;
    private long now;

    private List<Envelope> queued() {
        if (queued == null) {
            queued = mta.queued();
            now = clock.millis();
        }
        return queued;
    }

    /** Pending recipients per destination Mailstore ("-" before the first attempt). */
    private Map<String, Integer> destinations() {
        Map<String, Integer> out = new TreeMap<>();
        for (Envelope e : queued()) {
            for (Recipient r : e.recipients()) {
                if (r.pending()) {
                    out.merge(r.destination().isEmpty() ? "-" : r.destination(), 1, Integer::sum);
                }
            }
        }
        return out;
    }

    private long oldestSeconds() {
        return queued().stream().mapToLong(e -> Math.max(0, (now - e.received()) / 1000)).max().orElse(0);
    }

    @Override
    protected Object toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", queued().size());
        m.put("oldestAgeSeconds", queued().isEmpty() ? null : oldestSeconds());
        m.put("destinations", destinations());
        List<Object> entries = new ArrayList<>();
        queued().forEach(e -> entries.add(EnvelopeView.json(e, now)));
        m.put("messages", entries);
        return m;
    }

    @Override
    protected String text() {
        StringBuilder out = new StringBuilder();
        out.append(queued().size()).append(" message(s) queued");
        if (!queued().isEmpty()) {
            out.append(", oldest ").append(EnvelopeView.age(oldestSeconds() * 1000));
        }
        out.append('\n');
        Map<String, Integer> destinations = destinations();
        if (!destinations.isEmpty()) {
            out.append("Pending recipients by destination: ");
            out.append(String.join(", ", destinations.entrySet().stream().map(d -> d.getKey() + " " + d.getValue()).toList()));
            out.append('\n');
        }
        ShellTable table = EnvelopeView.table("No message queued");
        queued().forEach(e -> EnvelopeView.rows(table, e, now));
        return out + print(table);
    }
}
