package io.tandem.api.cluster;

/**
 * Whiteboard: register as a service to receive cluster events. Called from one dispatch thread,
 * in order, never while the cluster adapter holds a lock; must not block for long.
 */
public interface ClusterListener {

    void clusterChanged(ClusterEvent event);
}
