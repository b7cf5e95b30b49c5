-- Retro-hunt jobs (same version in migrations/sqlite and migrations/postgres): a search of
-- the stored sign-ins for address indicators that were just added. networks: the networks
-- searched, a JSON list of strings. status: queued, running, done or failed; searched is
-- the progress (networks scanned of total). A job left queued or running by a stopped
-- server is run again at the next start (a rerun raises nothing twice).
CREATE TABLE retro_hunts (
    id              INTEGER PRIMARY KEY,
    actor           TEXT   NOT NULL,
    since           BIGINT NOT NULL,
    networks        TEXT   NOT NULL,
    indicators      BIGINT NOT NULL,
    status          TEXT   NOT NULL,
    total           BIGINT NOT NULL,
    searched        BIGINT NOT NULL,
    candidates      BIGINT NOT NULL,
    findings        BIGINT NOT NULL,
    alerts_raised   BIGINT NOT NULL,
    alerts_existing BIGINT NOT NULL,
    error           TEXT,
    created_at      BIGINT NOT NULL,
    started_at      BIGINT,
    finished_at     BIGINT
);
CREATE INDEX retro_hunts_status ON retro_hunts (status, id);
