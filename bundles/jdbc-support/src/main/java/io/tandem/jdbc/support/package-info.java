/**
 * What Tandem's JDBC adapter bundles share: choosing the driver's OSGi {@code DataSourceFactory} for a
 * JDBC URL (H2 or PostgreSQL), the connection pool, {@code ${karaf.data}} in URLs, and URLs safe to log.
 * Schema migrations stay in each adapter bundle, next to their scripts.
 */
@Export
@Version("1.1.0")
package io.tandem.jdbc.support;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
