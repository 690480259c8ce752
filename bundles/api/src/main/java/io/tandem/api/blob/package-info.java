/**
 * Blob storage as Tandem sees it: S3 buckets and volumes (where mail bodies live), content-addressed
 * blob references, and the service that stores and reads blobs.
 *
 * <p>{@link io.tandem.api.blob.VolumeRegistry} (read) and {@link io.tandem.api.blob.VolumeAdminService}
 * (changes) are implemented by the directory; {@link io.tandem.api.blob.BlobService} by the blob
 * adapter bundle ({@code tandem-blob-s3}). No S3 client library type appears here; secrets never
 * appear in {@code toString()}, exception messages or logs.
 */
@Export
@Version("1.0.0")
package io.tandem.api.blob;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
