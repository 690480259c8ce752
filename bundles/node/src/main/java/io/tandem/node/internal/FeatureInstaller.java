package io.tandem.node.internal;

import java.util.Set;

/** The part of Karaf's features service the role activation needs; a seam for unit tests. */
interface FeatureInstaller {

    /** Names of the installed features whose name starts with the prefix. */
    Set<String> installed(String prefix) throws Exception;

    void install(Set<String> features) throws Exception;

    void uninstall(Set<String> features) throws Exception;
}
