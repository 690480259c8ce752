/**
 * The one way each bundle names its threads and spaces its retries: {@link io.tandem.api.concurrent.Threads}
 * (daemon threads named {@code tandem-<what>}, numbered in a pool) and {@link io.tandem.api.concurrent.Backoff}
 * (exponential delays with jitter).
 */
@Export
@Version("1.0.0")
package io.tandem.api.concurrent;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
