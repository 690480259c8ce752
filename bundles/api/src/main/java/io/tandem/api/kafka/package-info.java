/**
 * The Kafka broker a core node runs for the cluster (embedded, KRaft, as a supervised child process)
 * or the choice of an external Kafka cluster: its state for commands, health and cluster checks.
 */
@Export
@Version("1.0.0")
package io.tandem.api.kafka;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
