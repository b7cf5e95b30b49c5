-- API tokens expire (same version in migrations/sqlite and migrations/postgres): the
-- instant (microseconds since the Unix epoch) after which a token is refused; NULL for a
-- token that does not expire (every token made before this column existed).
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
