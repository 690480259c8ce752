package io.tandem.api.directory;

import java.time.Instant;

/** A notification for the global admin (replica in sync, promotion done, ...). */
public record Notification(long id, Instant created, Severity severity, String subject, String body) {

    public enum Severity { INFO, WARNING, ERROR }
}
