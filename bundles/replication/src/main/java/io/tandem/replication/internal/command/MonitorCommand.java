package io.tandem.replication.internal.command;

import io.tandem.api.directory.Operation;
import io.tandem.replication.internal.HaService;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** {@code ha:monitor [operation_uuid]}: progress of one asynchronous operation, or the latest ones. */
@Service
@Command(scope = "ha", name = "monitor", description = "Progress of an asynchronous ha operation (the latest 20 without an id)")
public class MonitorCommand extends HaCommand {

    @Argument(index = 0, name = "operation_uuid", description = "Operation id printed by the command that started it")
    String id;

    @Reference
    HaService ha;

    private List<Operation> ops() {
        if (id == null) {
            return ha.operations(20);
        }
        UUID uuid;
        try {
            uuid = UUID.fromString(id.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("ha:monitor: '" + id + "' is not an operation id (a UUID)");
        }
        return List.of(ha.operation(uuid).orElseThrow(() -> new IllegalArgumentException("ha:monitor: no operation " + id)));
    }

    @Override
    protected Object toJson() {
        List<Object> out = new ArrayList<>();
        ops().forEach(o -> out.add(OperationView.json(o)));
        return id == null ? out : out.get(0);
    }

    @Override
    protected String text() {
        List<Operation> ops = ops();
        if (ops.isEmpty()) {
            return "No operation yet.\n";
        }
        StringBuilder b = new StringBuilder();
        for (Operation o : ops) {
            b.append(OperationView.text(o)).append('\n');
        }
        return b.toString();
    }
}
