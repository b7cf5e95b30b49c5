-- The streaming server's records (same version in migrations/sqlite and migrations/postgres;
-- only the identity columns and the append-only triggers differ). Timestamps are
-- microseconds since the Unix epoch (BIGINT); JSON is TEXT; flags are BIGINT 0/1.

-- Tenants known to the server (synchronised from the configuration at start).
CREATE TABLE tenants (
    slug       TEXT   PRIMARY KEY,
    name       TEXT,
    created_at BIGINT NOT NULL
);

-- One accepted ingest request. seq orders batches: the engine's checkpoint is a seq.
CREATE TABLE batches (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant      TEXT   NOT NULL,
    origin      TEXT   NOT NULL,
    received_at BIGINT NOT NULL,
    accepted    BIGINT NOT NULL,
    duplicates  BIGINT NOT NULL,
    skipped     BIGINT NOT NULL,
    rejected    BIGINT NOT NULL
);

-- Accepted sign-ins, normalized (body: the model's SignIn as JSON). A record is one row per
-- (tenant, format, provider record id): a re-sent record is a duplicate, not a new row.
CREATE TABLE signins (
    id            INTEGER PRIMARY KEY,
    batch_seq     BIGINT NOT NULL REFERENCES batches (seq),
    tenant        TEXT   NOT NULL,
    source_format TEXT   NOT NULL,
    record_id     TEXT   NOT NULL,
    user_name     TEXT   NOT NULL,
    time          BIGINT NOT NULL,
    body          TEXT   NOT NULL,
    UNIQUE (tenant, source_format, record_id)
);
CREATE INDEX signins_time ON signins (time);
CREATE INDEX signins_batch ON signins (batch_seq);

-- Records that could not be accepted, with the reason; open until a retry accepts them.
CREATE TABLE dead_letters (
    id           INTEGER PRIMARY KEY,
    tenant       TEXT   NOT NULL,
    batch_seq    BIGINT,
    origin       TEXT   NOT NULL,
    record_index BIGINT NOT NULL,
    line         BIGINT,
    reason       TEXT   NOT NULL,
    raw          TEXT,
    retryable    BIGINT NOT NULL,
    status       TEXT   NOT NULL,
    attempts     BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX dead_letters_tenant ON dead_letters (tenant, id);

-- Alerts: one row per idempotent alert key (kind, tenant, user, subject event); finding is
-- the full finding as JSON, the other columns are what the API filters and sorts on.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    alert_key   TEXT   NOT NULL UNIQUE,
    kind        TEXT   NOT NULL,
    severity    TEXT   NOT NULL,
    score       BIGINT NOT NULL,
    tenant      TEXT   NOT NULL,
    user_name   TEXT   NOT NULL,
    time        BIGINT NOT NULL,
    title       TEXT   NOT NULL,
    status      TEXT   NOT NULL,
    finding     TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    revision    BIGINT NOT NULL
);
CREATE INDEX alerts_tenant_time ON alerts (tenant, time);
CREATE INDEX alerts_time ON alerts (time);

-- Engine positions (e.g. the last batch seq whose detection is stored).
CREATE TABLE checkpoints (
    name       TEXT   PRIMARY KEY,
    position   BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Append-only: triggers refuse UPDATE and DELETE.
CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY,
    at      BIGINT NOT NULL,
    actor   TEXT   NOT NULL,
    action  TEXT   NOT NULL,
    tenant  TEXT,
    subject TEXT,
    detail  TEXT   NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject);

-- API tokens: only the SHA-256 of the token (hex) is stored.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    name       TEXT   NOT NULL,
    role       TEXT   NOT NULL,
    tenant     TEXT,
    token_hash TEXT   NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
