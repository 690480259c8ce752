/** The audit trail: every admin action that changes state is written to the {@code tandem.audit} log. */
@Export
@Version("1.1.0")
package io.tandem.api.audit;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
