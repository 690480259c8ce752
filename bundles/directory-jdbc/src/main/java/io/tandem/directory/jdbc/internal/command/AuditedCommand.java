package io.tandem.directory.jdbc.internal.command;

import io.tandem.api.audit.Audit;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;

/**
 * A command that changes the directory: validation happens in the service (nothing is changed when
 * it refuses); the outcome, done or refused, goes to the audit log; refusals are rethrown so the
 * shell exits non-zero.
 */
public abstract class AuditedCommand implements Action {

    /** What the command acts on, for the audit line. */
    protected abstract String target();

    /** Performs the change; returns the line printed to the operator. */
    protected abstract String change() throws Exception;

    @Override
    public Object execute() throws Exception {
        Command c = getClass().getAnnotation(Command.class);
        String action = c.scope() + ":" + c.name();
        try {
            String out = change();
            Audit.done(action, String.valueOf(target()), "");
            System.out.println(out);
            return null;
        } catch (IllegalArgumentException e) {
            Audit.refused(action, String.valueOf(target()), e.getMessage());
            throw e;
        }
    }
}
