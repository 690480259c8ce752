/**
 * Cluster membership and role discovery as Tandem sees it: nodes, their roles and health, events
 * when they join, change or leave. Implemented by the cluster adapter bundle; no membership
 * library type appears here.
 */
@Export
@Version("1.1.0")
package io.tandem.api.cluster;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
