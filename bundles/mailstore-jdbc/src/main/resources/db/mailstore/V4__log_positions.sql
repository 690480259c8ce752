-- Where the replica copies of this Mailstore resume reading the event log (docs/decisions/0022): per log
-- (brokers and topic) and partition, the offset of the first record not yet handled. Written in the same
-- transaction as the changes applied from the records before it, so a copy restarted after a crash resumes
-- exactly where its data is, whatever the consumer group's committed position says.
CREATE TABLE log_positions (
    log            VARCHAR(2048) NOT NULL,
    log_partition  INT           NOT NULL,
    next_offset    BIGINT        NOT NULL,
    PRIMARY KEY (log, log_partition)
);
