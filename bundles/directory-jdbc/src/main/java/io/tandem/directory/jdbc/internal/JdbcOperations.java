package io.tandem.directory.jdbc.internal;

import io.tandem.api.directory.Operation;
import io.tandem.api.directory.DirectoryAdminService.Progress;
import io.tandem.api.directory.Notification;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The asynchronous operations ({@code ha:monitor}) and the notifications of the global admin, in the directory.
 * Part of {@link JdbcDirectory}, which delegates to it.
 */
final class JdbcOperations {

    private final Sql sql;
    private final Clock clock;

    JdbcOperations(Sql sql, Clock clock) {
        this.sql = sql;
        this.clock = clock;
    }

    private static final String OPERATION_COLUMNS = "id, kind, node, state, total, done, failed, detail, created_ms, updated_ms";

    private static Operation operationRow(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Operation(rs.getObject(1, UUID.class), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5),
                rs.getInt(6), rs.getInt(7), rs.getString(8), Instant.ofEpochMilli(rs.getLong(9)), Instant.ofEpochMilli(rs.getLong(10)));
    }

    public Operation startOperation(String kind, String node, int total, String detail) {
        Objects.requireNonNull(kind, "kind");
        if (total < 0) {
            throw new IllegalArgumentException("operation total " + total + " is negative");
        }
        UUID id = UUID.randomUUID();
        long now = clock.millis();
        String state = total == 0 ? Operation.DONE : Operation.RUNNING;
        String d = clip(detail == null ? "" : detail);
        return sql.tx(c -> {
            Sql.update(c, "INSERT INTO operations (" + OPERATION_COLUMNS + ") VALUES (?, ?, ?, ?, ?, 0, 0, ?, ?, ?)",
                    id, kind, node, state, total, d, now, now);
            return new Operation(id, kind, node, state, total, 0, 0, d, Instant.ofEpochMilli(now), Instant.ofEpochMilli(now));
        });
    }

    public Progress progress(UUID operationId, int done, int failed, String line) {
        long now = clock.millis();
        return sql.tx(c -> {
            Operation op = Sql.one(c, "SELECT " + OPERATION_COLUMNS + " FROM operations WHERE id = ? FOR UPDATE",
                    JdbcOperations::operationRow, operationId)
                    .orElseThrow(() -> new IllegalArgumentException("no such operation " + operationId));
            int nd = op.done() + done;
            int nf = op.failed() + failed;
            String detail = line == null || line.isBlank() ? op.detail() : clip(op.detail().isEmpty() ? line : op.detail() + "\n" + line);
            boolean finishes = !op.finished() && nd + nf >= op.total();
            String state = finishes ? (nf > 0 ? Operation.FAILED : Operation.DONE) : op.state();
            Sql.update(c, "UPDATE operations SET done = ?, failed = ?, detail = ?, state = ?, updated_ms = ? WHERE id = ?",
                    nd, nf, detail, state, now, operationId);
            return new Progress(new Operation(op.id(), op.kind(), op.node(), state, op.total(), nd, nf, detail, op.created(),
                    Instant.ofEpochMilli(now)), finishes);
        });
    }

    private static String clip(String s) {
        return s.length() > 8000 ? s.substring(0, 7990) + "\n..." : s;
    }

    public Optional<Operation> operation(UUID id) {
        return sql.list("SELECT " + OPERATION_COLUMNS + " FROM operations WHERE id = ?", JdbcOperations::operationRow, id)
                .stream().findFirst();
    }

    public List<Operation> operations(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + " must be >= 1");
        }
        return sql.list("SELECT " + OPERATION_COLUMNS + " FROM operations ORDER BY created_ms DESC", JdbcOperations::operationRow)
                .stream().limit(limit).toList();
    }

    public List<Notification> notifications(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + " must be >= 1");
        }
        return sql.list("SELECT id, created_ms, severity, subject, body FROM notifications ORDER BY id DESC",
                rs -> new Notification(rs.getLong(1), Instant.ofEpochMilli(rs.getLong(2)),
                        Notification.Severity.valueOf(rs.getString(3)), rs.getString(4), rs.getString(5)))
                .stream().limit(limit).toList();
    }

    public Notification notify(Notification.Severity severity, String subject, String body) {
        Objects.requireNonNull(severity, "severity");
        if (subject == null || subject.isBlank() || subject.length() > 255) {
            throw new IllegalArgumentException("notification subject must be 1..255 characters");
        }
        String b = body == null ? "" : body.length() > 8000 ? body.substring(0, 8000) : body;
        long now = clock.millis();
        return sql.tx(c -> {
            long id = Sql.insert(c, "id", "INSERT INTO notifications (created_ms, severity, subject, body) VALUES (?, ?, ?, ?)",
                    now, severity.name(), subject, b);
            return new Notification(id, Instant.ofEpochMilli(now), severity, subject, b);
        });
    }
}
