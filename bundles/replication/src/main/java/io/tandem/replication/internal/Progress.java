package io.tandem.replication.internal;

import io.tandem.api.directory.DirectoryAdminService;
import io.tandem.api.directory.Notification;
import io.tandem.api.directory.Operation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;

/** Counts items of asynchronous operations; whoever counts the last one notifies the global admin. */
final class Progress {

    private static final Logger LOG = LoggerFactory.getLogger(Progress.class);

    private Progress() {
    }

    static void count(DirectoryAdminService directory, UUID operationId, boolean ok, String failure) {
        count(directory, operationId, ok ? 1 : 0, ok ? 0 : 1, failure);
    }

    /** Counts several items at once; {@code failures}: one line per failed item, or null. */
    static void count(DirectoryAdminService directory, UUID operationId, int done, int failed, String failures) {
        try {
            DirectoryAdminService.Progress p = directory.progress(operationId, done, failed, failures);
            if (p.finished()) {
                Operation op = p.operation();
                directory.notify(op.failed() == 0 ? Notification.Severity.INFO : Notification.Severity.WARNING,
                        op.kind() + " " + op.id() + " " + op.state(),
                        op.done() + " of " + op.total() + " done, " + op.failed() + " failed"
                                + (op.detail().isEmpty() ? "" : "\n" + op.detail()));
                LOG.info("Operation {} {} {}: {} done, {} failed", op.kind(), op.id(), op.state(), op.done(), op.failed());
            }
        } catch (IllegalArgumentException e) {
            LOG.warn("Progress of operation {} not recorded: {}", operationId, e.getMessage());
        }
    }
}
