/** Configuration helpers shared by the bundles: the defaults of a component property type as an instance. */
@Export
@Version("1.0.0")
package io.tandem.api.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
