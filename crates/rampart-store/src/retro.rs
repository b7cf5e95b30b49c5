//! Retro-hunt jobs: what was asked (the networks, the window), where the job stands, and
//! what it raised. The engine runs them; the server shows them.

use ipnet::IpNet;
use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::store::{now_us, signed, ts, unsigned};
use crate::{Store, StoreError};

/// A retro-hunt to queue ([`Store::create_retro_hunt`]).
#[derive(Clone, Debug)]
pub struct NewRetroHunt<'a> {
    /// Who asked (e.g. `token:admin`).
    pub actor: &'a str,
    /// Sign-ins with event time at or after this are searched.
    pub since: Timestamp,
    /// The address networks to search for (an address is a one-address network).
    pub networks: &'a [IpNet],
    /// How many indicators the request added or updated (for people).
    pub indicators: u64,
}

/// Where a retro-hunt stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetroStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl RetroStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RetroStatus::Queued => "queued",
            RetroStatus::Running => "running",
            RetroStatus::Done => "done",
            RetroStatus::Failed => "failed",
        }
    }

    fn from_name(s: &str) -> Option<RetroStatus> {
        Some(match s {
            "queued" => RetroStatus::Queued,
            "running" => RetroStatus::Running,
            "done" => RetroStatus::Done,
            "failed" => RetroStatus::Failed,
            _ => return None,
        })
    }
}

/// A stored retro-hunt job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RetroHuntRow {
    pub id: i64,
    pub actor: String,
    pub since: Timestamp,
    /// The networks searched.
    pub networks: Vec<IpNet>,
    pub indicators: u64,
    pub status: RetroStatus,
    /// Range scans to do (after overlapping networks are merged) and done so far.
    pub total: u64,
    pub searched: u64,
    /// Stored sign-ins found inside the networks so far.
    pub candidates: u64,
    /// `indicator_match` findings (the indicator live at the sign-in's time, TLP allowing).
    pub findings: u64,
    /// New alerts raised, and findings whose alert was already there (live detection or
    /// an earlier retro-hunt raised it).
    pub alerts_raised: u64,
    pub alerts_existing: u64,
    /// Why it failed (for people; details are in the server log).
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

/// A job's progress or outcome ([`Store::update_retro_hunt`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetroHuntUpdate {
    pub total: u64,
    pub searched: u64,
    pub candidates: u64,
    pub findings: u64,
    pub alerts_raised: u64,
    pub alerts_existing: u64,
    pub error: Option<String>,
}

impl Store {
    /// Queues a retro-hunt; returns its id.
    pub async fn create_retro_hunt(&self, job: &NewRetroHunt<'_>) -> Result<i64, StoreError> {
        let networks: Vec<String> = job.networks.iter().map(ToString::to_string).collect();
        let networks =
            serde_json::to_string(&networks).map_err(|source| StoreError::Serialize {
                value: "retro-hunt networks".to_owned(),
                source,
            })?;
        let row = sqlx::query(
            "INSERT INTO retro_hunts (actor, since, networks, indicators, status, total, searched, \
             candidates, findings, alerts_raised, alerts_existing, created_at) \
             VALUES ($1, $2, $3, $4, 'queued', $5, 0, 0, 0, 0, 0, $6) RETURNING id",
        )
        .bind(job.actor)
        .bind(job.since.as_microsecond())
        .bind(networks)
        .bind(signed(job.indicators))
        .bind(signed(job.networks.len() as u64))
        .bind(now_us())
        .fetch_one(&self.pool)
        .await
        .map_err(self.query_err())?;
        self.get_i64(&row, "id")
    }

    /// One retro-hunt job.
    pub async fn retro_hunt(&self, id: i64) -> Result<Option<RetroHuntRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM retro_hunts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.query_err())?;
        row.as_ref().map(|r| self.retro_row(r)).transpose()
    }

    /// The jobs not finished (queued or running), oldest first: what a starting server
    /// runs (again).
    pub async fn unfinished_retro_hunts(&self) -> Result<Vec<RetroHuntRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM retro_hunts WHERE status IN ('queued', 'running') ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err())?;
        rows.iter().map(|r| self.retro_row(r)).collect()
    }

    /// The jobs waiting to run (queued by this process or another: `rampart indicators
    /// import`, another server on the same database), oldest first.
    pub async fn queued_retro_hunts(&self) -> Result<Vec<RetroHuntRow>, StoreError> {
        let rows = sqlx::query("SELECT * FROM retro_hunts WHERE status = 'queued' ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err())?;
        rows.iter().map(|r| self.retro_row(r)).collect()
    }

    /// Marks a queued job running if it still is queued; returns whether this caller got
    /// it (two servers on one database never both run a queued job).
    pub async fn claim_retro_hunt(&self, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE retro_hunts SET status = 'running', started_at = COALESCE(started_at, $1) \
             WHERE id = $2 AND status = 'queued'",
        )
        .bind(now_us())
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(self.query_err())?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a job's status and counts (`started_at` is set when it first runs,
    /// `finished_at` when it is done or failed).
    pub async fn update_retro_hunt(
        &self,
        id: i64,
        status: RetroStatus,
        u: &RetroHuntUpdate,
    ) -> Result<(), StoreError> {
        let now = now_us();
        let finished = matches!(status, RetroStatus::Done | RetroStatus::Failed).then_some(now);
        sqlx::query(
            "UPDATE retro_hunts SET status = $1, total = $2, searched = $3, candidates = $4, \
             findings = $5, alerts_raised = $6, alerts_existing = $7, error = $8, \
             started_at = COALESCE(started_at, $9), finished_at = $10 WHERE id = $11",
        )
        .bind(status.as_str())
        .bind(signed(u.total))
        .bind(signed(u.searched))
        .bind(signed(u.candidates))
        .bind(signed(u.findings))
        .bind(signed(u.alerts_raised))
        .bind(signed(u.alerts_existing))
        .bind(u.error.as_deref())
        .bind(now)
        .bind(finished)
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(self.query_err())?;
        Ok(())
    }

    fn retro_row(&self, r: &AnyRow) -> Result<RetroHuntRow, StoreError> {
        let id = self.get_i64(r, "id")?;
        let networks: Vec<String> = serde_json::from_str(&self.get_str(r, "networks")?)
            .map_err(|e| self.corrupt(format!("retro-hunt {id} networks"), e))?;
        let networks = networks
            .iter()
            .filter_map(|n| match n.parse::<IpNet>() {
                Ok(n) => Some(n),
                Err(e) => {
                    tracing::warn!("retro-hunt {id}: stored network {n:?} unreadable: {e}");
                    None
                }
            })
            .collect();
        let status = self.get_str(r, "status")?;
        Ok(RetroHuntRow {
            id,
            actor: self.get_str(r, "actor")?,
            since: ts(self.get_i64(r, "since")?),
            networks,
            indicators: unsigned(self.get_i64(r, "indicators")?),
            status: RetroStatus::from_name(&status).unwrap_or(RetroStatus::Failed),
            total: unsigned(self.get_i64(r, "total")?),
            searched: unsigned(self.get_i64(r, "searched")?),
            candidates: unsigned(self.get_i64(r, "candidates")?),
            findings: unsigned(self.get_i64(r, "findings")?),
            alerts_raised: unsigned(self.get_i64(r, "alerts_raised")?),
            alerts_existing: unsigned(self.get_i64(r, "alerts_existing")?),
            error: self.get_opt_str(r, "error")?,
            created_at: ts(self.get_i64(r, "created_at")?),
            started_at: self.get_opt_i64(r, "started_at")?.map(ts),
            finished_at: self.get_opt_i64(r, "finished_at")?.map(ts),
        })
    }
}
