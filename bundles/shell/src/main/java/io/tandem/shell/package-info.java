/**
 * Shared base of Tandem's shell commands: {@code --json} and {@code --no-format}, output rendered
 * as a string so that tests assert on exactly what operators see.
 */
@Export
@Version("1.0.0")
package io.tandem.shell;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
