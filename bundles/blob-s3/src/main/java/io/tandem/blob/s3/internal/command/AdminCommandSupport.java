package io.tandem.blob.s3.internal.command;

import io.tandem.api.audit.Audit;
import org.apache.karaf.shell.api.action.Action;

import java.util.UUID;

/**
 * Shared behaviour of the commands that change buckets and volumes: the output is built as a string
 * (tests assert on it), every outcome is audited, and a refusal is thrown (non-zero exit) with the
 * reason naming the bad value.
 */
public abstract class AdminCommandSupport implements Action {

    @Override
    public Object execute() throws Exception {
        // Karaf names the session thread after the command line, and the log pattern prints thread
        // names: a command with a secret argument renames its thread while it runs
        Thread thread = Thread.currentThread();
        String previous = thread.getName();
        String safe = safeThreadName();
        if (safe != null) {
            thread.setName(safe);
        }
        try {
            String out = run();
            System.out.print(out);
            System.out.flush();
            return null;
        } finally {
            if (safe != null) {
                thread.setName(previous);
            }
        }
    }

    /** The thread name to use while the command runs, when its command line holds a secret; else {@code null}. */
    protected String safeThreadName() {
        return null;
    }

    /** Carries out the command and returns what it prints. */
    protected abstract String run() throws Exception;

    /** Parses an id argument: {@code what} names it in the error ("bucket id"). */
    protected static UUID id(String what, String text) {
        try {
            return UUID.fromString(text == null ? "" : text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a " + what
                    + " (a UUID such as 0b6c6d5e-8a55-4d0a-9e4b-6d1b8c1e2f3a)");
        }
    }

    /** Audits the refusal and returns the exception to throw: {@code "<prefix>: <reason>"}. */
    protected static IllegalArgumentException refused(String action, String target, String prefix, RuntimeException e) {
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Audit.refused(action, target, reason);
        return new IllegalArgumentException(prefix + ": " + reason, e);
    }
}
