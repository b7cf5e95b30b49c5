-- Detector snapshots as bytes (same version in migrations/sqlite and migrations/postgres):
-- the detector's state is now gzip-compressed JSON, stored in `data`, and written in a
-- transaction of its own after the round it was taken at (so that detection and ingest do
-- not wait while tens of megabytes are written). `body` keeps the plain JSON of snapshots
-- stored before; a new snapshot sets it to ''.
ALTER TABLE detector_snapshots ADD COLUMN data BLOB;
