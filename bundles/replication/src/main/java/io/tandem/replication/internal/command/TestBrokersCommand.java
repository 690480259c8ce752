package io.tandem.replication.internal.command;

import io.tandem.api.replication.BrokerCheck;
import io.tandem.replication.internal.Args;
import io.tandem.replication.internal.HaService;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code ha:test brokers h1:9092,h2:9092}: connectivity per broker, then a produce/consume probe. */
@Service
@Command(scope = "ha", name = "test", description = "Checks event log brokers: per broker connection and metadata, then a probe "
        + "record produced and consumed (changes nothing in use)")
public class TestBrokersCommand extends HaCommand {

    @Argument(index = 0, name = "arguments", multiValued = true, description = "brokers h1:9092,h2:9092 (default: the global brokers)")
    List<String> words;

    @Override
    protected void prepare() {
        words = options(words);
    }

    @Reference
    HaService ha;

    private List<BrokerCheck> checks;

    private List<BrokerCheck> checks() {
        if (checks == null) {
            checks = checked("ha:test", () -> {
                Args a = Args.parse(words, Set.of("brokers"));
                List<String> brokers = a.has("brokers") ? a.list("brokers")
                        : List.of(ha.log().brokers().split(",")).stream().filter(s -> !s.isBlank()).toList();
                if (brokers.isEmpty()) {
                    throw new IllegalArgumentException("no brokers given and the global 'brokers' is not set: ha:test brokers host:9092,...");
                }
                return ha.test(brokers);
            });
        }
        return checks;
    }

    @Override
    protected Object toJson() {
        List<Object> out = new ArrayList<>();
        for (BrokerCheck c : checks()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", c.target());
            m.put("ok", c.ok());
            m.put("millis", c.millis());
            m.put("detail", c.detail());
            out.add(m);
        }
        return out;
    }

    @Override
    protected String text() {
        ShellTable t = new ShellTable();
        t.column("Target");
        t.column("Result");
        t.column("ms").alignRight();
        t.column("Detail");
        for (BrokerCheck c : checks()) {
            t.addRow().addContent(c.target(), c.ok() ? "PASS" : "FAIL", c.millis(), c.detail());
        }
        boolean ok = checks().stream().allMatch(BrokerCheck::ok);
        return print(t) + (ok ? "All checks passed\n" : "Some checks FAILED\n");
    }
}
