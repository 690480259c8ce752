-- Messages by body digest (bundles/mailstore-jdbc, docs/decisions/0011): LMTP delivery looks up, inside the
-- mailbox transaction, whether the account's mailbox already holds the message it is about to add (same
-- blob SHA-256), so a delivery retried by the MTA after a crash or a failover is stored only once.
CREATE INDEX messages_by_blob ON messages (account_id, blob_sha256);
