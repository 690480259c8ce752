/**
 * The base of Tandem's shell commands ({@link io.tandem.shell.CommandSupport}): output rendered as a string so
 * that tests assert on exactly what operators see, every change audited the same way; {@code --json} and
 * {@code --no-format} for the commands with two outputs ({@link io.tandem.shell.TandemCommandSupport}).
 */
@Export
@Version("1.1.0")
package io.tandem.shell;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
