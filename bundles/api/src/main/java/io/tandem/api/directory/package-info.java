/**
 * The directory: domains, accounts with their owner ({@code mailHost}) and ownership epoch, servers,
 * global configuration, the replica table and the global admin's notifications. The system of
 * record is a database; ownership changes are compare-and-set there.
 */
@Export
@Version("1.5.0")
package io.tandem.api.directory;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
