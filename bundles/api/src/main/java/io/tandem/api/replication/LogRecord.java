package io.tandem.api.replication;

import java.util.Objects;

/** A record of the {@link EventLog}: where it is ({@code partition}, {@code offset}) and what it holds. */
public record LogRecord(String key, byte[] value, int partition, long offset, long timestampMillis) {

    public LogRecord {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }
}
