package io.tandem.supervisor.internal;

import io.tandem.supervisor.ServiceStatus;

/** One configured supervised service, as the registry sees it (registered by each {@link ServiceComponent}). */
public interface ServiceHandle {

    ServiceStatus status();

    ServiceStatus restart();
}
