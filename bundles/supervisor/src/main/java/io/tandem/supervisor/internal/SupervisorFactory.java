package io.tandem.supervisor.internal;

import io.tandem.api.node.LocalNode;
import io.tandem.supervisor.Program;
import io.tandem.supervisor.ServiceStatus;
import io.tandem.supervisor.ServiceSupervisor;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Supervision of programs on behalf of other bundles: one {@link Supervisor} per
 * {@link #supervise} call, registered as a {@link ServiceHandle} so that {@code supervisor:list}
 * and {@code supervisor:restart} see it like a configured service. Supervisors still open when this
 * component goes away are closed (their programs stopped).
 */
@Component(service = ServiceSupervisor.class, immediate = true)
public class SupervisorFactory implements ServiceSupervisor {

    private final LocalNode node;
    private final BundleContext context;
    private final Path watchdog;
    private final Set<Handle> open = ConcurrentHashMap.newKeySet();

    @Activate
    public SupervisorFactory(@Reference LocalNode node, BundleContext context) {
        this.node = node;
        this.context = context;
        this.watchdog = ChildProcess.installWatchdog("supervisor");
    }

    @Deactivate
    void deactivate() {
        for (Handle h : open) {
            h.close();
        }
    }

    @Override
    public SupervisedService supervise(Program program) {
        ServiceConfig config = ServiceConfig.of(program, ChildProcess.dataDirectory().resolve("log"));
        Supervisor supervisor = new Supervisor(config, () -> node.identity().name(), watchdog, new EndpointAnnouncer(context),
                () -> null);
        supervisor.setRolePlayed(true);
        supervisor.start();
        Handle handle = new Handle(supervisor);
        handle.registration = context.registerService(ServiceHandle.class, handle, null);
        open.add(handle);
        return handle;
    }

    private final class Handle implements SupervisedService, ServiceHandle {
        private final Supervisor supervisor;
        private volatile ServiceRegistration<ServiceHandle> registration;
        private boolean closed;

        Handle(Supervisor supervisor) {
            this.supervisor = supervisor;
        }

        @Override
        public ServiceStatus status() {
            return supervisor.status();
        }

        @Override
        public ServiceStatus restart() {
            return supervisor.restart();
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            open.remove(this);
            try {
                registration.unregister();
            } catch (IllegalStateException e) {
                // already gone with the bundle
            }
            supervisor.close();
        }
    }
}
