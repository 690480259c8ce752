package io.tandem.shell;

import io.tandem.api.audit.Audit;
import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;

import java.util.function.Function;

/**
 * The base of every Tandem shell command: the output is built as a string ({@link #render()}, so unit tests assert
 * on exactly what operators see) and printed; a command whose line holds a secret hides it from the thread name
 * while it runs; and every change goes through {@link #audited}, the one way a command changes something: the
 * outcome, done or refused, is written to the audit log, and a refusal is thrown (non-zero exit) as
 * {@code "<scope>:<name> refused: <reason>"}.
 *
 * <p>A refusal is an {@link IllegalArgumentException} from the change (bad input, or not allowed now), which has
 * then changed nothing. Any other exception is a failure: audited as failed and thrown as it is.
 */
public abstract class CommandSupport implements Action {

    /** A change that may throw {@code E} besides the refusals. */
    @FunctionalInterface
    public interface Change<T, E extends Exception> {
        T run() throws E;
    }

    @Override
    public Object execute() throws Exception {
        // Karaf names the session thread after the command line, and the log pattern prints thread names: a
        // command with a secret argument renames its thread while it runs
        Thread thread = Thread.currentThread();
        String previous = thread.getName();
        String safe = safeThreadName();
        if (safe != null) {
            thread.setName(safe);
        }
        try {
            String out = render();
            System.out.print(out);
            System.out.flush();
            return null;
        } finally {
            if (safe != null) {
                thread.setName(previous);
            }
        }
    }

    /** What the command prints (with its final line break). */
    public abstract String render() throws Exception;

    /** The thread name to use while the command runs, when its command line holds a secret; else {@code null}. */
    protected String safeThreadName() {
        return null;
    }

    /** {@code scope:name} of the command, as the operator types it and the audit log names it. */
    protected final String action() {
        Command c = getClass().getAnnotation(Command.class);
        if (c == null) {
            throw new IllegalStateException(getClass().getName() + " has no @Command");
        }
        return c.scope() + ":" + c.name();
    }

    /**
     * Runs a change of {@code target}: audits it as done with {@code detail} of its result, as refused (rethrown as
     * {@code "<action> refused: <reason>"}) or as failed (rethrown as it is).
     */
    protected final <T, E extends Exception> T audited(String target, Change<T, E> change, Function<? super T, String> detail)
            throws E {
        return audited(target, change, result -> target, detail);
    }

    /**
     * As {@link #audited(String, Change, Function)}, for a change whose target is known by its result (what it
     * created): {@code target} names it in a refusal, {@code doneTarget} in the audit line of the change done.
     */
    protected final <T, E extends Exception> T audited(String target, Change<T, E> change, Function<? super T, String> doneTarget,
                                                       Function<? super T, String> detail) throws E {
        String action = action();
        T result;
        try {
            result = change.run();
        } catch (IllegalArgumentException e) {
            Audit.refused(action, String.valueOf(target), reason(e));
            throw new IllegalArgumentException(action + " refused: " + reason(e), e);
        } catch (Exception e) {
            Audit.failed(action, String.valueOf(target), reason(e));
            throw e;
        }
        Audit.done(action, String.valueOf(doneTarget.apply(result)), detail.apply(result));
        return result;
    }

    private static String reason(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
