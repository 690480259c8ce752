/**
 * The local node: its identity, the roles it is configured to play, and the role services
 * that announce themselves (whiteboard) while their role is active on this node.
 */
@Export
@Version("1.0.0")
package io.tandem.api.node;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
