package io.tandem.api.cluster;

import io.tandem.api.node.Role;

import java.util.List;

/** Read side of cluster membership; listeners are registered on the whiteboard ({@link ClusterListener}). */
public interface ClusterService {

    /** Live members (the local one included once it runs), sorted by node name. */
    List<ClusterNode> nodes();

    /** Live members playing the role, sorted by node name. */
    default List<ClusterNode> nodes(Role role) {
        return nodes().stream().filter(n -> n.plays(role)).toList();
    }

    /** Redundancy of every role, in role order. */
    List<RoleRedundancy> redundancy();

    ClusterStatus status();
}
