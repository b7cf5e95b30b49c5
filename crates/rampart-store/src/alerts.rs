//! Alerts: findings stored under an idempotent key, so detection can run again over the
//! same events (after a crash, or with more context) without raising anything twice.

use std::collections::HashSet;

use jiff::Timestamp;
use rampart_model::Finding;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::access::NewAudit;
use crate::sql::{Bind, Sql};
use crate::store::{now_us, ts, unsigned};
use crate::{Store, StoreError};

/// A stored alert: a finding plus what the server knows about it.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRow {
    pub id: i64,
    /// The idempotent key (see `rampart_engine::alert_key`).
    pub key: String,
    /// `new` when raised, then `acknowledged`, `escalated`, `resolved` by triage
    /// ([`Store::triage_alert`]); `withdrawn` when detection finds its finding no longer
    /// stands.
    pub status: String,
    /// The verdict a resolved alert was closed with.
    pub verdict: Option<String>,
    /// The analyst it is assigned to.
    pub assignee: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// 0 when raised; +1 each time detection amended its finding.
    pub revision: u64,
    pub finding: Finding,
}

/// The states triage moves an alert through, in order (`withdrawn` is detection's).
pub const ALERT_STATES: [&str; 4] = ["new", "acknowledged", "escalated", "resolved"];

/// The verdicts an alert is resolved with.
pub const VERDICTS: [&str; 4] = ["true_positive", "false_positive", "benign", "duplicate"];

/// Whether triage may move an alert from `from` to `to`: forward through
/// [`ALERT_STATES`] (skipping is allowed: a new alert may be resolved at once), and a
/// resolved or escalated alert back to `acknowledged` (reopened, de-escalated).
pub fn transition_allowed(from: &str, to: &str) -> bool {
    let at = |s: &str| ALERT_STATES.iter().position(|x| *x == s);
    match (at(from), at(to)) {
        (Some(f), Some(t)) if t > f => true,
        _ => to == "acknowledged" && (from == "resolved" || from == "escalated"),
    }
}

/// A triage change ([`Store::triage_alert`]).
#[derive(Clone, Copy, Debug)]
pub enum Triage<'a> {
    /// To another state; `resolved` needs a verdict, reopening a resolved alert a reason.
    Transition {
        to: &'a str,
        verdict: Option<&'a str>,
        reason: Option<&'a str>,
    },
    /// To an analyst, or to nobody.
    Assign { assignee: Option<&'a str> },
    /// A note; notes are never changed or removed.
    Note { text: &'a str },
}

/// Why a triage change was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TriageRefused {
    NotFound,
    /// The change does not fit the alert's state (or the state changed meanwhile).
    Conflict(String),
    /// The change itself is malformed (an unknown state or verdict, a missing verdict).
    Invalid(String),
}

/// Which alerts [`Store::alerts`] returns: newest (event time) first.
#[derive(Clone, Debug, Default)]
pub struct AlertFilter {
    /// Only these tenants (`None`: all).
    pub tenants: Option<Vec<String>>,
    pub status: Option<String>,
    pub severity: Option<String>,
    pub kind: Option<String>,
    /// Only alerts whose event time is at or after this.
    pub since: Option<Timestamp>,
    /// At most this many (capped at 1000; default 100).
    pub limit: Option<u32>,
}

/// What [`Store::store_detection`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DetectionReport {
    /// New alerts.
    pub inserted: u64,
    /// Alerts whose finding changed (more evidence, another severity), or that stand
    /// again after having been withdrawn.
    pub amended: u64,
    /// Findings identical to their stored alert.
    pub unchanged: u64,
    /// Alerts withdrawn (their finding no longer stands).
    pub withdrawn: u64,
}

/// One detection round's results, to store in one transaction ([`Store::write_detection`]).
#[derive(Clone, Copy, Debug)]
pub struct DetectionWrite<'a> {
    /// Findings to raise or amend, by idempotent key.
    pub upserts: &'a [(String, Finding)],
    /// Keys whose findings no longer stand: their alerts are marked `withdrawn`.
    pub withdrawals: &'a [String],
    /// The checkpoint to move: (name, position).
    pub checkpoint: (&'a str, i64),
}

/// A detector's stored state ([`Store::snapshot`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The checkpoint position the state stands at.
    pub position: i64,
    /// The state as the detector serialized it (opaque to the store).
    pub data: Vec<u8>,
}

/// Alerts per statement of [`Store::raise_new_alerts`] (11 parameters each).
const ALERTS_PER_STATEMENT: usize = 500;

impl Store {
    /// Upserts findings as alerts by their key and moves the checkpoint `name` to
    /// `position`, in one transaction: either detection's results and its position are both
    /// stored, or neither is. Raising and amending are written to the audit log.
    pub async fn store_detection(
        &self,
        findings: &[(String, Finding)],
        checkpoint: (&str, i64),
    ) -> Result<DetectionReport, StoreError> {
        self.write_detection(&DetectionWrite {
            upserts: findings,
            withdrawals: &[],
            checkpoint,
        })
        .await
    }

    /// Stores a detection round in one transaction: upserts alerts by key, withdraws the
    /// alerts of findings that no longer stand and moves the checkpoint. Either all of it
    /// is stored or none.
    pub async fn write_detection(
        &self,
        w: &DetectionWrite<'_>,
    ) -> Result<DetectionReport, StoreError> {
        let qerr = self.query_err();
        let mut tx = self.begin_write().await.map_err(&qerr)?;
        let mut report = DetectionReport::default();
        for (key, finding) in w.upserts {
            self.upsert_alert(&mut tx, key, finding, &mut report)
                .await?;
        }
        for key in w.withdrawals {
            self.withdraw_alert(&mut tx, key, &mut report).await?;
        }
        self.set_checkpoint_in(&mut tx, w.checkpoint.0, w.checkpoint.1)
            .await?;
        tx.commit().await.map_err(&qerr)?;
        Ok(report)
    }

    /// Stores the detector's state at `position` under `name` (the detector's checkpoint
    /// name), in a transaction of its own, replacing an older one; a snapshot at an earlier
    /// position than the stored one is not written. Returns whether it was.
    ///
    /// A snapshot is written after the round it was taken at has stored its checkpoint, so
    /// it never stands ahead of the alerts: a restart restores it and replays the batches
    /// stored after `position`, whose findings carry the keys they had.
    pub async fn write_snapshot(
        &self,
        name: &str,
        position: i64,
        data: &[u8],
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO detector_snapshots (name, position, body, data, updated_at) \
             VALUES ($1, $2, '', $3, $4) \
             ON CONFLICT (name) DO UPDATE SET position = excluded.position, body = '', \
             data = excluded.data, updated_at = excluded.updated_at \
             WHERE detector_snapshots.position <= excluded.position",
        )
        .bind(name)
        .bind(position)
        .bind(data.to_vec())
        .bind(now_us())
        .execute(&self.pool)
        .await
        .map_err(self.query_err())?;
        Ok(done.rows_affected() > 0)
    }

    /// The detector state stored under `name` (`None` before the first).
    pub async fn snapshot(&self, name: &str) -> Result<Option<Snapshot>, StoreError> {
        let row =
            sqlx::query("SELECT position, body, data FROM detector_snapshots WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await
                .map_err(self.query_err())?;
        row.as_ref()
            .map(|r| {
                let data: Option<Vec<u8>> = r.try_get("data").map_err(self.query_err())?;
                Ok(Snapshot {
                    position: self.get_i64(r, "position")?,
                    data: match data {
                        Some(d) => d,
                        None => self.get_str(r, "body")?.into_bytes(),
                    },
                })
            })
            .transpose()
    }

    async fn withdraw_alert(
        &self,
        tx: &mut Transaction<'_, Any>,
        key: &str,
        report: &mut DetectionReport,
    ) -> Result<(), StoreError> {
        let qerr = self.query_err();
        let row = sqlx::query(
            "UPDATE alerts SET status = 'withdrawn', updated_at = $1, revision = revision + 1 \
             WHERE alert_key = $2 AND status <> 'withdrawn' RETURNING id, tenant, kind",
        )
        .bind(now_us())
        .bind(key)
        .fetch_optional(&mut **tx)
        .await
        .map_err(&qerr)?;
        let Some(row) = row else {
            return Ok(());
        };
        report.withdrawn += 1;
        let id = self.get_i64(&row, "id")?;
        let tenant = self.get_str(&row, "tenant")?;
        let detail = serde_json::json!({
            "kind": self.get_str(&row, "kind")?,
            "key": key,
        })
        .to_string();
        self.append_audit_in(
            tx,
            &NewAudit {
                actor: "engine",
                action: "alert.withdrawn",
                tenant: Some(&tenant),
                subject: Some(&format!("alert:{id}")),
                detail: &detail,
            },
        )
        .await
    }

    /// Raises the findings whose keys have no alert yet, in one transaction; a finding whose
    /// key already has one (raised live, or by an earlier retro-hunt) is left alone and
    /// counted as unchanged. For detections that must not rewrite what live detection
    /// raised (retro-hunts).
    pub async fn raise_new_alerts(
        &self,
        findings: &[(String, Finding)],
    ) -> Result<DetectionReport, StoreError> {
        let qerr = self.query_err();
        let mut tx = self.begin_write().await.map_err(&qerr)?;
        let mut report = DetectionReport::default();
        let mut seen: HashSet<&str> = HashSet::new();
        // In chunks: one query finds the keys already alerted on, one multi-row INSERT
        // raises the rest, one more audits them (a retro-hunt may raise thousands).
        for chunk in findings.chunks(ALERTS_PER_STATEMENT) {
            let mut q = Sql::new(
                self.backend(),
                "SELECT alert_key FROM alerts WHERE alert_key IN (",
            );
            for (i, (key, _)) in chunk.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind(Bind::Text(key.clone()));
            }
            q.push(")");
            let existing: HashSet<String> = q
                .fetch_all_in(self, &mut tx)
                .await?
                .iter()
                .map(|r| self.get_str(r, "alert_key"))
                .collect::<Result<_, _>>()?;
            let new: Vec<&(String, Finding)> = chunk
                .iter()
                .filter(|(key, _)| !existing.contains(key) && seen.insert(key.as_str()))
                .collect();
            report.unchanged += (chunk.len() - new.len()) as u64;
            if new.is_empty() {
                continue;
            }
            let now = now_us();
            let mut q = Sql::new(
                self.backend(),
                "INSERT INTO alerts (alert_key, kind, severity, score, tenant, user_name, time, title, \
                 status, finding, created_at, updated_at, revision) VALUES ",
            );
            for (i, (key, f)) in new.iter().enumerate() {
                let body = serde_json::to_string(f).map_err(|source| StoreError::Serialize {
                    value: format!("finding {key}"),
                    source,
                })?;
                q.push(if i > 0 { ", (" } else { "(" });
                q.bind(Bind::Text(key.clone())).push(", ");
                q.bind(Bind::text(f.kind.as_str())).push(", ");
                q.bind(Bind::text(f.severity.as_str())).push(", ");
                q.bind(Bind::I64(i64::from(f.score))).push(", ");
                q.bind(Bind::text(f.tenant.as_str())).push(", ");
                q.bind(Bind::Text(f.user.clone())).push(", ");
                q.bind(Bind::I64(f.time.as_microsecond())).push(", ");
                q.bind(Bind::Text(f.title.clone())).push(", 'new', ");
                q.bind(Bind::Text(body)).push(", ");
                q.bind(Bind::I64(now)).push(", ");
                q.bind(Bind::I64(now)).push(", 0)");
            }
            q.push(" RETURNING id, alert_key");
            let ids: std::collections::HashMap<String, i64> = q
                .fetch_all_in(self, &mut tx)
                .await?
                .iter()
                .map(|r| Ok((self.get_str(r, "alert_key")?, self.get_i64(r, "id")?)))
                .collect::<Result<_, StoreError>>()?;
            report.inserted += new.len() as u64;
            let mut q = Sql::new(
                self.backend(),
                "INSERT INTO audit_log (at, actor, action, tenant, subject, detail) VALUES ",
            );
            for (i, (key, f)) in new.iter().enumerate() {
                let id = ids.get(key).copied().unwrap_or_default();
                let detail = serde_json::json!({
                    "kind": f.kind.as_str(),
                    "severity": f.severity.as_str(),
                    "key": key,
                })
                .to_string();
                q.push(if i > 0 { ", (" } else { "(" });
                q.bind(Bind::I64(now)).push(", ");
                q.bind(Bind::text("engine")).push(", ");
                q.bind(Bind::text("alert.raised")).push(", ");
                q.bind(Bind::text(f.tenant.as_str())).push(", ");
                q.bind(Bind::Text(format!("alert:{id}"))).push(", ");
                q.bind(Bind::Text(detail)).push(")");
            }
            q.fetch_all_in(self, &mut tx).await?;
        }
        tx.commit().await.map_err(&qerr)?;
        Ok(report)
    }

    async fn upsert_alert(
        &self,
        tx: &mut Transaction<'_, Any>,
        key: &str,
        finding: &Finding,
        report: &mut DetectionReport,
    ) -> Result<(), StoreError> {
        let qerr = self.query_err();
        let body = serde_json::to_string(finding).map_err(|source| StoreError::Serialize {
            value: format!("finding {key}"),
            source,
        })?;
        let now = now_us();
        let existing = sqlx::query("SELECT id, finding, status FROM alerts WHERE alert_key = $1")
            .bind(key)
            .fetch_optional(&mut **tx)
            .await
            .map_err(&qerr)?;
        let (id, action) = match existing {
            Some(row) => {
                let id = self.get_i64(&row, "id")?;
                let withdrawn = self.get_str(&row, "status")? == "withdrawn";
                if self.get_str(&row, "finding")? == body && !withdrawn {
                    report.unchanged += 1;
                    return Ok(());
                }
                sqlx::query(
                    "UPDATE alerts SET severity = $1, score = $2, time = $3, title = $4, finding = $5, \
                     updated_at = $6, revision = revision + 1, \
                     status = CASE WHEN status = 'withdrawn' THEN 'new' ELSE status END WHERE id = $7",
                )
                .bind(finding.severity.as_str())
                .bind(i64::from(finding.score))
                .bind(finding.time.as_microsecond())
                .bind(&finding.title)
                .bind(&body)
                .bind(now)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(&qerr)?;
                report.amended += 1;
                (id, "alert.amended")
            }
            None => {
                let row = sqlx::query(
                    "INSERT INTO alerts (alert_key, kind, severity, score, tenant, user_name, time, title, \
                     status, finding, created_at, updated_at, revision) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'new', $9, $10, $10, 0) RETURNING id",
                )
                .bind(key)
                .bind(finding.kind.as_str())
                .bind(finding.severity.as_str())
                .bind(i64::from(finding.score))
                .bind(finding.tenant.as_str())
                .bind(&finding.user)
                .bind(finding.time.as_microsecond())
                .bind(&finding.title)
                .bind(&body)
                .bind(now)
                .fetch_one(&mut **tx)
                .await
                .map_err(&qerr)?;
                report.inserted += 1;
                (self.get_i64(&row, "id")?, "alert.raised")
            }
        };
        let detail = serde_json::json!({
            "kind": finding.kind.as_str(),
            "severity": finding.severity.as_str(),
            "key": key,
        })
        .to_string();
        self.append_audit_in(
            tx,
            &NewAudit {
                actor: "engine",
                action,
                tenant: Some(finding.tenant.as_str()),
                subject: Some(&format!("alert:{id}")),
                detail: &detail,
            },
        )
        .await
    }

    /// Alerts that pass `filter`, newest event time first. Withdrawn alerts only when
    /// `filter.status` asks for them.
    pub async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRow>, StoreError> {
        let mut q = Sql::new(self.backend(), "SELECT * FROM alerts WHERE 1 = 1");
        if let Some(tenants) = &filter.tenants {
            if tenants.is_empty() {
                return Ok(Vec::new());
            }
            q.push(" AND tenant IN (");
            for (i, t) in tenants.iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.bind(Bind::Text(t.clone()));
            }
            q.push(")");
        }
        match &filter.status {
            Some(v) => {
                q.and("status = ", Bind::Text(v.clone()));
            }
            None => {
                q.and("status <> ", Bind::Text("withdrawn".to_owned()));
            }
        }
        if let Some(v) = &filter.severity {
            q.and("severity = ", Bind::Text(v.clone()));
        }
        if let Some(v) = &filter.kind {
            q.and("kind = ", Bind::Text(v.clone()));
        }
        if let Some(v) = filter.since {
            q.and("time >= ", Bind::I64(v.as_microsecond()));
        }
        q.push(" ORDER BY time DESC, id DESC LIMIT ");
        q.bind(Bind::I64(i64::from(filter.limit.unwrap_or(100).min(1000))));
        let rows = q.fetch_all(self).await?;
        rows.iter().map(|r| self.alert_row(r)).collect()
    }

    /// One alert.
    pub async fn alert(&self, id: i64) -> Result<Option<AlertRow>, StoreError> {
        let row = sqlx::query("SELECT * FROM alerts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.query_err())?;
        row.as_ref().map(|r| self.alert_row(r)).transpose()
    }

    /// How many alerts stand (not withdrawn), per kind.
    pub async fn alert_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows =
            sqlx::query("SELECT kind, COUNT(*) AS n FROM alerts WHERE status <> 'withdrawn' GROUP BY kind ORDER BY kind")
                .fetch_all(&self.pool)
                .await
                .map_err(self.query_err())?;
        rows.iter()
            .map(|r| Ok((self.get_str(r, "kind")?, unsigned(self.get_i64(r, "n")?))))
            .collect()
    }

    /// Applies a triage change to alert `id` on behalf of `actor` and records it in the
    /// audit log under `alert:ID` (the alert's history: from, to, verdict, reason, note),
    /// in one transaction. A state change applies only if the state is still the one it
    /// was read as, so two analysts racing cannot both move an alert from one state.
    pub async fn triage_alert(
        &self,
        id: i64,
        change: &Triage<'_>,
        actor: &str,
    ) -> Result<Result<AlertRow, TriageRefused>, StoreError> {
        let qerr = self.query_err();
        let mut tx = self.begin_write().await.map_err(&qerr)?;
        let row = sqlx::query("SELECT * FROM alerts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(&qerr)?;
        let Some(alert) = row.as_ref().map(|r| self.alert_row(r)).transpose()? else {
            return Ok(Err(TriageRefused::NotFound));
        };
        let now = now_us();
        let (action, detail) = match *change {
            Triage::Transition {
                to,
                verdict,
                reason,
            } => {
                let from = alert.status.as_str();
                if !ALERT_STATES.contains(&to) {
                    return Ok(Err(TriageRefused::Invalid(format!(
                        "unknown state {to:?}; one of: {}",
                        ALERT_STATES[1..].join(", ")
                    ))));
                }
                if let Some(v) = verdict
                    && !VERDICTS.contains(&v)
                {
                    return Ok(Err(TriageRefused::Invalid(format!(
                        "unknown verdict {v:?}; one of: {}",
                        VERDICTS.join(", ")
                    ))));
                }
                match (to, verdict) {
                    ("resolved", None) => {
                        return Ok(Err(TriageRefused::Invalid(format!(
                            "resolving needs a verdict: one of {}",
                            VERDICTS.join(", ")
                        ))));
                    }
                    (to, Some(_)) if to != "resolved" => {
                        return Ok(Err(TriageRefused::Invalid(
                            "only resolving takes a verdict".to_owned(),
                        )));
                    }
                    _ => {}
                }
                if from == "resolved" && reason.is_none_or(|r| r.trim().is_empty()) {
                    return Ok(Err(TriageRefused::Invalid(
                        "reopening a resolved alert needs a reason".to_owned(),
                    )));
                }
                if !transition_allowed(from, to) {
                    return Ok(Err(TriageRefused::Conflict(format!(
                        "alert {id} is {from}; it cannot become {to}"
                    ))));
                }
                let done = sqlx::query(
                    "UPDATE alerts SET status = $1, verdict = $2, updated_at = $3 \
                     WHERE id = $4 AND status = $5",
                )
                .bind(to)
                .bind(verdict)
                .bind(now)
                .bind(id)
                .bind(from)
                .execute(&mut *tx)
                .await
                .map_err(&qerr)?;
                if done.rows_affected() == 0 {
                    return Ok(Err(TriageRefused::Conflict(format!(
                        "alert {id} changed meanwhile; read it again"
                    ))));
                }
                (
                    format!("alert.{to}"),
                    serde_json::json!({"from": from, "to": to, "verdict": verdict, "reason": reason}),
                )
            }
            Triage::Assign { assignee } => {
                let assignee = assignee.map(str::trim).filter(|a| !a.is_empty());
                sqlx::query("UPDATE alerts SET assignee = $1, updated_at = $2 WHERE id = $3")
                    .bind(assignee)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(&qerr)?;
                (
                    "alert.assigned".to_owned(),
                    serde_json::json!({"from": alert.assignee, "to": assignee}),
                )
            }
            Triage::Note { text } => {
                if text.trim().is_empty() {
                    return Ok(Err(TriageRefused::Invalid("the note is empty".to_owned())));
                }
                sqlx::query("UPDATE alerts SET updated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(&qerr)?;
                ("alert.note".to_owned(), serde_json::json!({"text": text}))
            }
        };
        self.append_audit_in(
            &mut tx,
            &NewAudit {
                actor,
                action: &action,
                tenant: Some(alert.finding.tenant.as_str()),
                subject: Some(&format!("alert:{id}")),
                detail: &detail.to_string(),
            },
        )
        .await?;
        let row = sqlx::query("SELECT * FROM alerts WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .map_err(&qerr)?;
        let updated = self.alert_row(&row)?;
        tx.commit().await.map_err(&qerr)?;
        Ok(Ok(updated))
    }

    fn alert_row(&self, r: &AnyRow) -> Result<AlertRow, StoreError> {
        let id = self.get_i64(r, "id")?;
        let body = self.get_str(r, "finding")?;
        let finding =
            serde_json::from_str(&body).map_err(|e| self.corrupt(format!("alert {id}"), e))?;
        Ok(AlertRow {
            id,
            key: self.get_str(r, "alert_key")?,
            status: self.get_str(r, "status")?,
            verdict: self.get_opt_str(r, "verdict")?,
            assignee: self.get_opt_str(r, "assignee")?,
            created_at: ts(self.get_i64(r, "created_at")?),
            updated_at: ts(self.get_i64(r, "updated_at")?),
            revision: unsigned(self.get_i64(r, "revision")?),
            finding,
        })
    }
}
