package io.tandem.supervisor.internal;

import io.tandem.api.node.Endpoint;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import java.util.Objects;

/**
 * Announces a service as an {@link Endpoint} of this node; the cluster membership publishes the
 * node's endpoints to every other node. At most one registration at a time; called from the
 * service's own thread only.
 */
final class EndpointAnnouncer implements Supervisor.Announcer {

    private record Announced(String name, String uri) implements Endpoint {
    }

    private final BundleContext context;
    private ServiceRegistration<Endpoint> registration;
    private Announced current;

    EndpointAnnouncer(BundleContext context) {
        this.context = context;
    }

    @Override
    public void announce(String name, String uri) {
        Announced next = name == null ? null : new Announced(name, uri);
        if (Objects.equals(next, current)) {
            return;
        }
        if (registration != null) {
            try {
                registration.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
            registration = null;
        }
        current = next;
        if (next != null) {
            registration = context.registerService(Endpoint.class, next, null);
        }
    }
}
