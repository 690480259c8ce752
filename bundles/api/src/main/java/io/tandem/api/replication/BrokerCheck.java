package io.tandem.api.replication;

import java.util.Objects;

/**
 * One line of a connectivity check.
 *
 * @param target a broker ({@code host:port}) or {@code probe} (produce and consume of a test record)
 * @param millis how long the check took
 * @param detail what was checked, or why it failed (e.g. {@code connection refused})
 */
public record BrokerCheck(String target, boolean ok, long millis, String detail) {

    public BrokerCheck {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(detail, "detail");
    }
}
