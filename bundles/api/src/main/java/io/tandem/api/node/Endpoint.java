package io.tandem.api.node;

/**
 * An endpoint the local node offers (health HTTP, SSH, cluster port ...), registered as a service;
 * the cluster membership publishes them to every other node.
 */
public interface Endpoint {

    /** Short name, e.g. {@code health}. */
    String name();

    /** Where to reach it, e.g. {@code http://127.0.1.1:8405/health}. */
    String uri();
}
