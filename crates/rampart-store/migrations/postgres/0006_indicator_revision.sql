-- Indicator revisions: every transaction that inserts or changes indicators stamps the rows
-- it wrote with one number, one more than the highest stored (writers are serialized:
-- SQLite's write lock, a table lock on PostgreSQL), so a reader that has seen revision N
-- finds every later insert or change as the rows with revision > N. A running server
-- polls MAX(revision) (this index) to notice indicators another process added.
ALTER TABLE indicators ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
UPDATE indicators SET revision = 1;
CREATE INDEX indicators_revision ON indicators (revision);
