package io.tandem.supervisor;

import io.tandem.api.node.Health;
import io.tandem.api.node.Role;

import java.util.List;

/** The supervised services configured on this node (every role), for commands and role health. */
public interface SupervisedServices {

    /** Every configured service, sorted by name. */
    List<ServiceStatus> list();

    /**
     * Health of a role's services on this node: UP when every enabled service of the role is active
     * here and its probe passes (or when the role has no enabled service), DOWN with the reasons otherwise.
     */
    Health roleHealth(Role role);

    /**
     * Stops and starts the service now (a failed one gets a fresh restart budget).
     *
     * @return the status right after the restart was requested
     * @throws IllegalArgumentException when no service has that name
     * @throws IllegalStateException    when the service cannot be restarted on this node (disabled,
     *                                  role not played, standby), with the reason
     */
    ServiceStatus restart(String name);
}
