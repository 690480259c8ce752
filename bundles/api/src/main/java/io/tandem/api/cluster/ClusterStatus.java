package io.tandem.api.cluster;

/**
 * Summary of the cluster from the local node's point of view.
 *
 * @param connected    the local member is running and part of a cluster
 * @param members      live members seen
 * @param coreLive     live members playing {@code core}
 * @param coreExpected core nodes the configuration expects
 */
public record ClusterStatus(String clusterName, boolean connected, int members, int coreLive, int coreExpected) {

    /** Majority of the expected core nodes present. */
    public boolean quorum() {
        return coreExpected > 0 && coreLive >= coreExpected / 2 + 1;
    }
}
