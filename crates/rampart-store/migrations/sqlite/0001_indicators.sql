-- Indicators: the columns queried on, plus the full indicator as JSON (body) so nothing is lost.
-- Timestamps are microseconds since the Unix epoch (i64). Portable DDL (SQLite and PostgreSQL).
CREATE TABLE indicators (
    id             INTEGER PRIMARY KEY,
    kind           TEXT    NOT NULL,
    value          TEXT    NOT NULL,
    provenance_key TEXT    NOT NULL,
    verdict        TEXT    NOT NULL,
    tlp            TEXT    NOT NULL,
    confidence     INTEGER NOT NULL,
    first_seen     BIGINT  NOT NULL,
    last_seen      BIGINT  NOT NULL,
    sightings      BIGINT  NOT NULL,
    valid_until    BIGINT,
    body           TEXT    NOT NULL,
    UNIQUE (kind, value, provenance_key)
);

CREATE INDEX indicators_value ON indicators (value);
CREATE INDEX indicators_verdict ON indicators (verdict);

CREATE TABLE indicator_tags (
    indicator_id INTEGER NOT NULL REFERENCES indicators (id) ON DELETE CASCADE,
    tag          TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    PRIMARY KEY (indicator_id, tag)
);

CREATE INDEX indicator_tags_tag ON indicator_tags (tag);
CREATE INDEX indicator_tags_name ON indicator_tags (name);
