package io.tandem.replication.internal;

/**
 * Whether this Mailstore read back from the event log the changes it made before it started (decision 0026):
 * until then its replicated accounts take no change. Provided by the {@link MailstoreAgent}, asked by the
 * {@link ReplicationHook}.
 */
public interface SourceHeads {

    boolean headChecked();
}
