-- The streaming detector's state, stored with its checkpoint (same version in
-- migrations/sqlite and migrations/postgres). One row per detector: the batch seq the
-- state stands at and the state itself (JSON, as TEXT). Written in the same transaction
-- as the alerts and the checkpoint of the round it was taken after.
CREATE TABLE detector_snapshots (
    name       TEXT   PRIMARY KEY,
    position   BIGINT NOT NULL,
    body       TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);
