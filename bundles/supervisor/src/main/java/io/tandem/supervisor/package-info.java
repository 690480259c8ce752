/**
 * Supervised services of the files, video and chats roles: external programs that Tandem starts,
 * probes, restarts and announces in the cluster while this node plays their role (factory
 * configuration {@code tandem.service}, files {@code etc/tandem.service-<name>.cfg}). The role
 * bundles report their health through {@link io.tandem.supervisor.SupervisedRoleService}.
 * Other bundles run their own programs the same way through {@link io.tandem.supervisor.ServiceSupervisor}
 * (the core role's embedded Kafka broker).
 */
@Export
@Version("2.0.0")
package io.tandem.supervisor;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
