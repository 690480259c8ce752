package io.tandem.service.internal;

import io.tandem.service.ServiceStatus;

/** One configured supervised service, as the registry sees it (registered by each {@link ServiceComponent}). */
public interface ServiceHandle {

    ServiceStatus status();

    ServiceStatus restart();
}
