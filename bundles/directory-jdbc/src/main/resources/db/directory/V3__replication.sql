-- Active Replica (docs/decisions/0009-replication-protocol.md): replica state detail, the operation that
-- added a replica, and the asynchronous operations every node can monitor (ha:monitor).
ALTER TABLE replicas ADD COLUMN detail VARCHAR(1000) DEFAULT '' NOT NULL;
ALTER TABLE replicas ADD COLUMN operation_id UUID;
ALTER TABLE replicas ADD COLUMN updated_ms BIGINT DEFAULT 0 NOT NULL;
CREATE INDEX replicas_by_destination ON replicas (destination);

CREATE TABLE operations (
    id          UUID          PRIMARY KEY,
    kind        VARCHAR(64)   NOT NULL,
    node        VARCHAR(255)  NOT NULL,
    state       VARCHAR(16)   NOT NULL,
    total       INT           NOT NULL,
    done        INT           NOT NULL,
    failed      INT           NOT NULL,
    detail      VARCHAR(8000) NOT NULL,
    created_ms  BIGINT        NOT NULL,
    updated_ms  BIGINT        NOT NULL
);
