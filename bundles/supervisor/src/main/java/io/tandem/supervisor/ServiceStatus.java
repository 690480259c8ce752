package io.tandem.supervisor;

import io.tandem.api.node.Health;
import io.tandem.api.node.Role;

import java.time.Instant;
import java.util.Objects;

/**
 * A supervised service as seen on this node.
 *
 * @param pid       process id of the running service, -1 when none runs
 * @param restarts  restarts since the service's configuration was (re)loaded
 * @param lastProbe result of the last probe ({@code ok}, the failure, or {@code -} before the first one)
 * @param since     when the service entered its current state
 * @param detail    why it is in that state (e.g. {@code active on s2}, the last exit code)
 * @param health    UP when this node serves it (active and its probe passes), DOWN with the reason otherwise
 */
public record ServiceStatus(String name, Role role, ServiceMode mode, ServiceState state, long pid, int restarts,
                            String lastProbe, Instant since, String detail, Health health) {

    public ServiceStatus {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(lastProbe, "lastProbe");
        Objects.requireNonNull(since, "since");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(health, "health");
    }
}
