package io.tandem.api.node;

import java.util.Objects;

/**
 * Who this node is: the name operators use, its FQDN, the address every Tandem service of the node
 * binds to, and the Tandem version it runs.
 */
public record NodeIdentity(String name, String fqdn, String address, String version) {

    public NodeIdentity {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(fqdn, "fqdn");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(version, "version");
    }
}
