-- The stamp of the change at the mailbox's sequence (docs/decisions/0021): a random number the source drew
-- for that change, written with the sequence on every copy. A replica offered a change under a sequence it
-- already holds, with another stamp, has diverged (the change it holds was rolled back on the source) and
-- re-initialises. 0 = unknown (rows and changes from before stamps): no check.
ALTER TABLE mailboxes ADD COLUMN change_stamp BIGINT DEFAULT 0 NOT NULL;
