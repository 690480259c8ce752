/**
 * Licensing: which modules this installation may use, from a signed license file.
 */
@Export
@Version("1.0.0")
package io.tandem.api.license;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
