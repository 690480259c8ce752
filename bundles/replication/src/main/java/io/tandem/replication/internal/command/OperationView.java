package io.tandem.replication.internal.command;

import io.tandem.api.directory.Operation;

import java.util.LinkedHashMap;
import java.util.Map;

/** How commands show an {@link Operation}. */
final class OperationView {

    private OperationView() {
    }

    static Map<String, Object> json(Operation op) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("operationId", op.id().toString());
        m.put("kind", op.kind());
        m.put("node", op.node());
        m.put("state", op.state());
        m.put("total", op.total());
        m.put("done", op.done());
        m.put("failed", op.failed());
        m.put("detail", op.detail());
        m.put("created", op.created().toString());
        m.put("updated", op.updated().toString());
        return m;
    }

    static String text(Operation op) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("operationId", op.id());
        m.put("kind", op.kind());
        m.put("started on", op.node());
        m.put("state", op.state());
        m.put("progress", op.done() + op.failed() + "/" + op.total() + " (" + op.done() + " done, " + op.failed() + " failed)");
        m.put("created", op.created());
        m.put("updated", op.updated());
        StringBuilder b = new StringBuilder();
        int width = m.keySet().stream().mapToInt(String::length).max().orElse(0);
        m.forEach((k, v) -> b.append(String.format("%-" + width + "s : %s%n", k, v)));
        if (!op.detail().isEmpty()) {
            b.append(op.detail()).append('\n');
        }
        return b.toString();
    }
}
