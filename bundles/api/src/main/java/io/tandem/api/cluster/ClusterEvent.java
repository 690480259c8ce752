package io.tandem.api.cluster;

/** A change of membership seen by the local node. */
public record ClusterEvent(Type type, ClusterNode node) {

    public enum Type {
        /** A node joined (or became visible again after a partition healed). */
        NODE_JOINED,
        /** A node changed roles, health or endpoints. */
        NODE_UPDATED,
        /** A node left: shut down, crashed, hung past the failure-detection bound, or partitioned away. */
        NODE_LEFT
    }
}
