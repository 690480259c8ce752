package io.tandem.role.mta.internal.command;

import io.tandem.role.mta.internal.MtaQueue;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.LinkedHashMap;
import java.util.Map;

@Service
@Command(scope = "mta", name = "flush",
        description = "Retries now every waiting recipient of one queued message (its id, from mta:queue) or of all of them")
public class FlushCommand extends TandemCommandSupport {

    @Argument(index = 0, name = "id", required = false, description = "Spool id of the message; none: every queued message")
    String id;

    @Reference
    MtaQueue mta;

    private Integer flushed;

    private int run() {
        if (flushed == null) {
            flushed = audited(id == null ? "all" : id, () -> mta.flush(id), n -> "messages=" + n);
        }
        return flushed;
    }

    @Override
    protected Object toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("flushed", run());
        return m;
    }

    @Override
    protected String text() {
        return "Flushed " + run() + " message(s): their waiting recipients are attempted now\n";
    }
}
