-- Buckets (S3 configurations) and volumes, shared by every Mailstore.
-- Changes are serialised through catalog_lock (one row) and validated by the api's VolumeCatalog.

CREATE TABLE buckets (
    id          UUID         PRIMARY KEY,
    provider    VARCHAR(32)  NOT NULL,
    endpoint    VARCHAR(255) NOT NULL,
    bucket      VARCHAR(63)  NOT NULL,
    region      VARCHAR(32)  NOT NULL,
    access_key  VARCHAR(128) NOT NULL,
    secret_key  VARCHAR(256) NOT NULL,
    position    BIGINT       NOT NULL,
    UNIQUE (endpoint, bucket)
);

CREATE TABLE volumes (
    id             UUID          PRIMARY KEY,
    name           VARCHAR(64)   NOT NULL,
    kind           VARCHAR(16)   NOT NULL,
    type           VARCHAR(8)    NOT NULL,
    bucket_id      UUID          REFERENCES buckets (id),
    path           VARCHAR(1024) NOT NULL,
    centralized    BOOLEAN       NOT NULL,
    current_volume BOOLEAN       NOT NULL,
    position       BIGINT        NOT NULL
);

CREATE TABLE catalog_lock (
    id      INT    PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO catalog_lock (id, version) VALUES (1, 0);
