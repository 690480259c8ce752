package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.directory.DirectoryService;
import io.tandem.api.directory.Notification;
import io.tandem.shell.TandemCommandSupport;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Option;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.apache.karaf.shell.support.table.ShellTable;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

@Service
@Command(scope = "notification", name = "list", description = "Notifications for the global admin, newest first")
public class NotificationListCommand extends TandemCommandSupport {

    @Option(name = "--limit", description = "How many (default 20)")
    int limit = 20;

    @Reference
    DirectoryService directory;

    @Override
    protected List<Map<String, Object>> toJson() {
        return directory.notifications(limit).stream().map(n -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", n.id());
            m.put("created", n.created().toString());
            m.put("severity", n.severity().name());
            m.put("subject", n.subject());
            m.put("body", n.body());
            return m;
        }).toList();
    }

    @Override
    protected String text() {
        ShellTable table = new ShellTable().emptyTableText("no notification");
        table.column("Id");
        table.column("Time");
        table.column("Severity");
        table.column("Subject");
        table.column("Detail").maxSize(80);
        for (Notification n : directory.notifications(limit)) {
            table.addRow().addContent(n.id(), n.created(), n.severity(), n.subject(), n.body());
        }
        return print(table);
    }
}
