package io.tandem.supervisor.internal;

import io.tandem.api.node.Health;
import io.tandem.api.node.Role;
import io.tandem.supervisor.ServiceState;
import io.tandem.supervisor.ServiceStatus;
import io.tandem.supervisor.SupervisedServices;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Every supervised service configured on this node, for the commands and the role health. */
@Component(service = SupervisedServices.class, immediate = true)
public class SupervisorRegistry implements SupervisedServices {

    private final Set<ServiceHandle> handles = ConcurrentHashMap.newKeySet();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addHandle(ServiceHandle handle) {
        handles.add(handle);
    }

    void removeHandle(ServiceHandle handle) {
        handles.remove(handle);
    }

    @Override
    public List<ServiceStatus> list() {
        List<ServiceStatus> out = new ArrayList<>();
        for (ServiceHandle h : handles) {
            out.add(h.status());
        }
        out.sort(Comparator.comparing(ServiceStatus::name).thenComparing(s -> s.role().id()));
        return out;
    }

    @Override
    public Health roleHealth(Role role) {
        List<String> up = new ArrayList<>();
        List<String> down = new ArrayList<>();
        for (ServiceStatus s : list()) {
            if (s.role() != role || s.state() == ServiceState.DISABLED) {
                continue;
            }
            (s.health().up() ? up : down).add(s.health().detail());
        }
        if (!down.isEmpty()) {
            return Health.down(String.join("; ", down));
        }
        if (up.isEmpty()) {
            return Health.up(role.id() + " role active, no supervised service enabled");
        }
        return Health.up(String.join("; ", up));
    }

    @Override
    public ServiceStatus restart(String name) {
        List<ServiceHandle> named = handles.stream().filter(h -> h.status().name().equals(name)).toList();
        if (named.isEmpty()) {
            throw new IllegalArgumentException("no supervised service named '" + name + "' on this node (configured: "
                    + (handles.isEmpty() ? "none" : String.join(", ", list().stream().map(ServiceStatus::name).toList())) + ")");
        }
        if (named.size() > 1) {
            throw new IllegalStateException(named.size() + " configurations name the service '" + name
                    + "': give each etc/tandem.service-*.cfg its own name");
        }
        return named.get(0).restart();
    }
}
