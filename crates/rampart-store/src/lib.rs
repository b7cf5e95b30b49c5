//! Persistence for Rampart behind repository functions, on SQLite or PostgreSQL.
//!
//! Callers see one type, [`Store`], whose methods take and return plain model values
//! (`rampart-intel` indicators, `rampart-model` sign-ins and findings); SQL stays inside
//! this crate. Two backends share one code path (sqlx's `Any` driver): the embedded
//! default is SQLite ([`Store::open`]: one file, created and migrated on open, SQLite
//! bundled so nothing is needed on the host); [`Store::open_postgres`] connects to
//! PostgreSQL. Each has its migrations directory (`migrations/sqlite`,
//! `migrations/postgres`, the same version numbers), applied on open. Queries are
//! portable: `$N` placeholders, `ON CONFLICT`, `RETURNING`, timestamps as `BIGINT`
//! microseconds since the Unix epoch, JSON as `TEXT`, every integer `BIGINT`.
//!
//! What it holds:
//! - indicators ([`IndicatorRepo`]): the columns queried on plus the full JSON; the same
//!   value from the same provenance is one row, a re-import merges into it; each write
//!   stamps its rows with a revision ([`Store::indicator_revision`],
//!   [`Store::indicators_changed`]) so a server notices what another process added or
//!   changed;
//! - tenants, and accepted ingest batches with their sign-ins and dead letters, committed
//!   in one transaction ([`Store::commit_batch`]): durable when it returns;
//! - alerts under an idempotent key, stored with the engine's checkpoint in one
//!   transaction ([`Store::write_detection`]): re-running detection never duplicates; an
//!   alert whose finding no longer stands is marked `withdrawn` (listed only when asked
//!   for); the detector's snapshot, opaque bytes, apart ([`Store::write_snapshot`]);
//! - retro-hunt jobs ([`Store::create_retro_hunt`]): the networks searched, status,
//!   progress and the alerts raised;
//! - engine checkpoints, an append-only audit log (the database refuses UPDATE and
//!   DELETE on it), API tokens as SHA-256 hashes with a role and an optional tenant.
//!
//! This crate knows nothing of HTTP or detection. The API is async (sqlx on tokio); a
//! command-line caller runs it on a current-thread runtime.

mod access;
mod alerts;
mod error;
mod indicators;
mod records;
mod retro;
mod sql;
mod store;

pub use access::{ApiToken, AuditEntry, NewAudit, Revoked, Role};
pub use alerts::{
    ALERT_STATES, AlertFilter, AlertRow, DetectionReport, DetectionWrite, Snapshot, Triage,
    TriageRefused, VERDICTS, transition_allowed,
};
pub use error::StoreError;
pub use indicators::{
    IndicatorFilter, IndicatorRepo, StoredIndicator, UpsertReport, merge_into, provenance_key,
};
pub use records::{
    BatchReceipt, DeadLetter, DeadLetterFilter, NewBatch, NewDeadLetter, StoredSignIn, TenantRow,
};
pub use retro::{NewRetroHunt, RetroHuntRow, RetroHuntUpdate, RetroStatus};
pub use store::{Backend, SqliteStore, Store};
