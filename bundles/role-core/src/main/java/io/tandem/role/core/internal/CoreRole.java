package io.tandem.role.core.internal;

import io.tandem.api.kafka.KafkaBrokerService;
import io.tandem.api.kafka.KafkaBrokerStatus;
import io.tandem.api.node.BasicRoleService;
import io.tandem.api.node.Health;
import io.tandem.api.node.Role;
import io.tandem.api.node.RoleService;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;

/**
 * The core role on this node. Present exactly while the {@code tandem-role-core} feature is installed
 * (the node installs it when {@code roles} names it); announces the role to the node, the health
 * endpoints and the cluster. Its health includes the embedded Kafka broker when this node runs one.
 */
@Component(service = RoleService.class, immediate = true, property = RoleService.ROLE_PROPERTY + "=core")
public class CoreRole extends BasicRoleService {

    private volatile KafkaBrokerService kafka;

    public CoreRole() {
        super(Role.CORE);
    }

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    void setKafka(KafkaBrokerService kafka) {
        this.kafka = kafka;
    }

    void unsetKafka(KafkaBrokerService kafka) {
        if (this.kafka == kafka) {
            this.kafka = null;
        }
    }

    @Override
    public Health health() {
        Health role = super.health();
        KafkaBrokerService k = kafka;
        KafkaBrokerStatus s = k == null ? null : k.status();
        if (s == null || !s.embedded()) {
            return role;
        }
        String detail = role.detail() + "; " + s.health().detail();
        return s.health().up() ? Health.up(detail) : Health.down(detail);
    }
}
