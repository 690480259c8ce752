-- Where this Mailstore, as the source of its accounts, reads its own changes back from after a restart
-- (docs/decisions/0026): stored with each local change, in its transaction, on the changed mailbox's row (so no
-- other row is locked). Every change of this node that may be in the event log and not in this database is at
-- or after source_offset of source_partition in the log source_log. Per partition, the highest one counts.
ALTER TABLE mailboxes ADD COLUMN source_log VARCHAR(2048);
ALTER TABLE mailboxes ADD COLUMN source_partition INT;
ALTER TABLE mailboxes ADD COLUMN source_offset BIGINT;
