package io.tandem.replication.internal.command;

import io.tandem.api.directory.Operation;

/** A command that starts an asynchronous {@link Operation} and prints its id (the operation runs on). */
abstract class OperationCommand extends HaCommand {

    private Operation op;

    /** Validates, starts the operation (audited) and returns it. */
    abstract Operation start();

    /** What was started, e.g. "Promotion of 3 account(s)". */
    abstract String what(Operation op);

    private Operation op() {
        if (op == null) {
            op = start();
        }
        return op;
    }

    @Override
    protected Object toJson() {
        return OperationView.json(op());
    }

    @Override
    protected String text() {
        Operation o = op();
        return what(o) + " started: operation " + o.id() + "\nFollow it with: ha:monitor " + o.id() + "\n";
    }
}
