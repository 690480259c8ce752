/**
 * Active Replica as Tandem sees it: the ordered event log replication writes to ({@link
 * io.tandem.api.replication.EventLog}, Kafka in production, implemented by the {@code replica-kafka} adapter
 * bundle) and the replication service the {@code ha:*} commands drive. No Kafka type appears here.
 */
@Export
@Version("1.6.0")
package io.tandem.api.replication;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
