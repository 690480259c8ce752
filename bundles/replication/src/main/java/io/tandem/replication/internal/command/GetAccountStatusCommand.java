package io.tandem.replication.internal.command;

import io.tandem.replication.internal.AccountStatus;
import io.tandem.replication.internal.Args;
import io.tandem.replication.internal.HaService;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code ha:getAccountStatus [mailHost H] [replicaServer R] [accounts a,b] [domains d] [accountStatus s] [replicaStatus s]}. */
@Service
@Command(scope = "ha", name = "getAccountStatus",
        description = "Replication status per account (source position) and per replica (position, lag, state)")
public class GetAccountStatusCommand extends HaCommand {

    @Argument(index = 0, name = "filters", multiValued = true,
            description = "mailHost H | replicaServer R | accounts a,b | domains d1,d2 | accountStatus active|paused|unprotected "
                    + "| replicaStatus available|unavailable")
    List<String> words;

    @Override
    protected void prepare() {
        words = options(words);
    }

    @Reference
    HaService ha;

    private List<AccountStatus> rows;

    private List<AccountStatus> rows() {
        if (rows == null) {
            rows = checked("ha:getAccountStatus", () -> {
                Args a = Args.parse(words, Set.of("mailHost", "replicaServer", "accounts", "domains", "accountStatus", "replicaStatus"));
                return ha.status(new HaService.StatusQuery(a.get("mailHost"), a.get("replicaServer"), a.accounts(false),
                        a.list("domains"), a.get("accountStatus"), a.get("replicaStatus")));
            });
        }
        return rows;
    }

    @Override
    protected Object toJson() {
        List<Object> out = new ArrayList<>();
        for (AccountStatus s : rows()) {
            Map<String, Object> m = account(s);
            List<Object> replicas = new ArrayList<>();
            for (AccountStatus.ReplicaStatus r : s.replicas()) {
                replicas.add(replica(r));
            }
            m.put("replicas", replicas);
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> account(AccountStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accountId", s.accountId().toString());
        m.put("accountName", s.accountName());
        m.put("accountMailHost", s.accountMailHost());
        m.put("epoch", s.epoch());
        m.put("paused", s.paused());
        m.put("mailboxId", s.mailboxId());
        m.put("sequence", s.sequence());
        m.put("itemId", s.itemId());
        m.put("sourceReachable", s.sourceAnswered());
        return m;
    }

    private static Map<String, Object> replica(AccountStatus.ReplicaStatus r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accountId", r.accountId().toString());
        m.put("itemId", r.itemId());
        m.put("sequence", r.sequence());
        m.put("mailboxId", r.mailboxId());
        m.put("destination", r.destination());
        m.put("available", r.available());
        m.put("priority", r.priority());
        m.put("canConnectToKafka", r.canConnectToKafka());
        m.put("state", r.state());
        m.put("reason", r.detail());
        m.put("lagEvents", r.lagEvents());
        m.put("lagMillis", r.lagMillis());
        m.put("lastApplied", time(r.lastAppliedMillis()));
        m.put("fencedEvents", r.fenced());
        return m;
    }

    @Override
    protected String text() {
        List<AccountStatus> all = rows();
        if (all.isEmpty()) {
            return "No replicated account matches.\n";
        }
        StringBuilder b = new StringBuilder();
        for (AccountStatus s : all) {
            b.append(block(account(s), "        "));
            b.append("        replicas\n");
            for (AccountStatus.ReplicaStatus r : s.replicas()) {
                b.append(block(replica(r), "            ")).append('\n');
            }
            if (s.replicas().isEmpty()) {
                b.append("            (none)\n\n");
            }
        }
        return b.toString();
    }

    /** The operators' layout: the field name, then its value in a column. */
    private static String block(Map<String, Object> m, String indent) {
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(indent).append(String.format("%-30s%s%n", k, v)));
        return b.toString();
    }
}
