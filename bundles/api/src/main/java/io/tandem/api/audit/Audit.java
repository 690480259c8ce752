package io.tandem.api.audit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.AccessController;
import java.security.Principal;
import javax.security.auth.Subject;

/**
 * Writes one line per state-changing admin action to the {@code tandem.audit} logger (routed to
 * {@code data/log/audit.log} by the distribution): who, what, on what, and the outcome.
 */
public final class Audit {

    public static final String LOGGER = "tandem.audit";
    private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

    private Audit() {
    }

    /** An action that was carried out. */
    public static void done(String action, String target, String detail) {
        LOG.info("user={} action={} target={} result=ok {}", currentUser(), action, target, detail);
    }

    /** An action that was refused (bad input, or not allowed now); nothing was changed. */
    public static void refused(String action, String target, String reason) {
        LOG.warn("user={} action={} target={} result=refused reason=\"{}\"", currentUser(), action, target, reason);
    }

    /** An action that was attempted and failed (a server did not answer, a wait ran out): the reason says what. */
    public static void failed(String action, String target, String reason) {
        LOG.warn("user={} action={} target={} result=failed reason=\"{}\"", currentUser(), action, target, reason);
    }

    /** The user of the calling shell session (JAAS subject), or {@code system} outside a session. */
    @SuppressWarnings("removal")
    public static String currentUser() {
        try {
            Subject subject = Subject.getSubject(AccessController.getContext());
            if (subject != null) {
                for (Principal p : subject.getPrincipals()) {
                    if (p.getClass().getSimpleName().equals("UserPrincipal")) {
                        return p.getName();
                    }
                }
            }
        } catch (RuntimeException e) {
            // no access control context available: fall through
        }
        return "system";
    }
}
