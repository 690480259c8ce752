package io.tandem.supervisor.internal.command;

import io.tandem.supervisor.ServiceStatus;
import io.tandem.supervisor.SupervisedServices;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Service
@Command(scope = "supervisor", name = "list", description = "Lists the supervised services of this node (files, video, chats; the core role's Kafka broker) with their state")
public class ServiceListCommand extends TandemCommandSupport {

    private static final DateTimeFormatter SINCE = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    @Reference
    SupervisedServices services;

    @Override
    protected List<Map<String, Object>> toJson() {
        return services.list().stream().map(s -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.name());
            m.put("role", s.role().id());
            m.put("mode", s.mode().id());
            m.put("state", s.state().id());
            m.put("pid", s.pid());
            m.put("restarts", s.restarts());
            m.put("probe", s.lastProbe());
            m.put("since", s.since().toString());
            m.put("detail", s.detail());
            m.put("healthy", s.health().up());
            return m;
        }).toList();
    }

    @Override
    protected String text() {
        ShellTable table = new ShellTable().emptyTableText("no supervised service configured (etc/tandem.service-<name>.cfg)");
        for (String c : List.of("Name", "Role", "Mode", "State", "PID", "Restarts", "Probe", "Since", "Detail")) {
            table.column(c);
        }
        for (ServiceStatus s : services.list()) {
            table.addRow().addContent(s.name(), s.role().id(), s.mode().id(), s.state().id(),
                    s.pid() < 0 ? "-" : Long.toString(s.pid()), s.restarts(), s.lastProbe(), SINCE.format(s.since()), s.detail());
        }
        return print(table);
    }
}
