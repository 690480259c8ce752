/** Text output shared by Tandem's shell commands and HTTP answers: a JSON writer (on Jackson's generator) for {@code --json}. */
@Export
@Version("1.0.0")
package io.tandem.api.text;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
