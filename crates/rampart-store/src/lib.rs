//! Persistence for Rampart behind repository functions.
//!
//! Callers see repository traits ([`IndicatorRepo`]) and plain `rampart-intel` values; SQL
//! stays inside this crate. The embedded default backend is SQLite ([`SqliteStore`], a
//! single file, created and migrated on open, SQLite bundled so nothing is needed on the
//! host). PostgreSQL comes with the server: it implements the same traits with its own
//! migrations directory (`migrations/postgres`, same version numbers), so the DDL and
//! queries here are kept portable (`$N` placeholders, `ON CONFLICT`, timestamps as
//! `BIGINT` microseconds since the Unix epoch, JSON as `TEXT`).
//!
//! An indicator is stored as the columns queried on (kind, canonical value, verdict, TLP,
//! first/last seen, valid-until) plus its full JSON, so nothing is lost in a round trip.
//! The same value from the same provenance (feed, report or alert — not the line it was
//! on) is one row: a re-import merges sightings, first/last seen and tags into it.
//!
//! This crate knows nothing of HTTP or detection. The API is async (sqlx on tokio); a
//! command-line caller runs it on a current-thread runtime.

mod error;
mod indicators;
mod sqlite;

pub use error::StoreError;
pub use indicators::{IndicatorFilter, IndicatorRepo, UpsertReport, merge_into, provenance_key};
pub use sqlite::SqliteStore;
