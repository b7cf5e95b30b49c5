-- Alert triage (same version in migrations/sqlite and migrations/postgres): the verdict
-- a resolved alert was closed with (true_positive, false_positive, benign, duplicate) and
-- the analyst it is assigned to. Every change, and every note, is in the audit log under
-- the alert's subject (`alert:ID`), which is its history.
ALTER TABLE alerts ADD COLUMN verdict TEXT;
ALTER TABLE alerts ADD COLUMN assignee TEXT;
