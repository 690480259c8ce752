/**
 * The mailbox metadata store of a Mailstore: folders and message summaries of each account's
 * mailbox (the bodies are blobs, referenced by {@link io.tandem.api.blob.BlobRef}).
 *
 * <p>Every local change goes through one path, {@link io.tandem.api.mailbox.MailboxStore#execute}:
 * it runs a {@link io.tandem.api.mailbox.Mutation} in one database transaction, allocates the ids,
 * validates and writes the {@link io.tandem.api.mailbox.MailboxOp operations}, increments the
 * mailbox's change sequence by exactly one, and lets every
 * {@link io.tandem.api.mailbox.MailboxChangeHook} see the resulting
 * {@link io.tandem.api.mailbox.MailboxChange} before it commits. A replica applies the same change
 * records with {@link io.tandem.api.mailbox.MailboxStore#apply}, in order and exactly once, and
 * {@link io.tandem.api.mailbox.MailboxStore#checksum} proves two copies identical.
 *
 * <p>No JDBC or other vendor type appears here.
 */
@Export
@Version("1.8.0")
package io.tandem.api.mailbox;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
