package io.tandem.role.mta.internal.command;

import io.tandem.role.mta.internal.spool.Envelope;
import io.tandem.role.mta.internal.spool.Recipient;
import org.apache.karaf.shell.support.table.ShellTable;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** How the {@code mta:*} commands show spooled messages: one table row and one JSON object per recipient. */
final class EnvelopeView {

    private EnvelopeView() {
    }

    static Map<String, Object> json(Envelope e, long now) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", e.id());
        m.put("sender", e.sender());
        m.put("received", Instant.ofEpochMilli(e.received()).toString());
        m.put("ageSeconds", Math.max(0, (now - e.received()) / 1000));
        m.put("size", e.size());
        m.put("client", e.client());
        if (!e.failure().isEmpty()) {
            m.put("failure", e.failure());
        }
        List<Map<String, Object>> recipients = new ArrayList<>();
        for (Recipient r : e.recipients()) {
            Map<String, Object> rm = new LinkedHashMap<>();
            rm.put("address", r.address());
            rm.put("state", r.state().id());
            rm.put("attempts", r.attempts());
            rm.put("nextAttempt", r.pending() ? Instant.ofEpochMilli(r.nextAttempt()).toString() : null);
            rm.put("destination", r.destination());
            rm.put("lastReply", r.lastReply());
            recipients.add(rm);
        }
        m.put("recipients", recipients);
        return m;
    }

    static ShellTable table(String empty) {
        ShellTable t = new ShellTable().emptyTableText(empty);
        for (String h : List.of("Id", "Age", "From", "Recipient", "State", "Attempts", "Next attempt", "Destination", "Last reply")) {
            t.column(h);
        }
        return t;
    }

    static void rows(ShellTable table, Envelope e, long now) {
        for (Recipient r : e.recipients()) {
            table.addRow().addContent(e.id(), age(now - e.received()), e.sender().isEmpty() ? "<>" : e.sender(), r.address(),
                    r.state().id(), r.attempts(), r.pending() ? in(r.nextAttempt() - now) : "-",
                    r.destination().isEmpty() ? "-" : r.destination(), r.lastReply().isEmpty() ? "-" : shorten(r.lastReply()));
        }
    }

    /** 42s, 5m12s, 3h04m, 2d05h. */
    static String age(long millis) {
        long s = Math.max(0, millis / 1000);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        if (s < 86400) {
            return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        return String.format("%dd%02dh", s / 86400, (s % 86400) / 3600);
    }

    private static String in(long millis) {
        return millis <= 0 ? "now" : "in " + age(millis + 999);
    }

    private static String shorten(String reply) {
        return reply.length() <= 80 ? reply : reply.substring(0, 77) + "...";
    }
}
