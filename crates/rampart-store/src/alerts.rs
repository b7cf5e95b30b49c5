//! Alerts: findings stored under an idempotent key, so detection can run again over the
//! same events (after a crash, or with more context) without raising anything twice.

use jiff::Timestamp;
use rampart_model::Finding;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

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
    /// `new` when raised; later issues add triage states.
    pub status: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// 0 when raised; +1 each time detection amended its finding.
    pub revision: u64,
    pub finding: Finding,
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
    /// Alerts whose finding changed (more evidence, another severity).
    pub amended: u64,
    /// Findings identical to their stored alert.
    pub unchanged: u64,
}

impl Store {
    /// Upserts findings as alerts by their key and moves the checkpoint `name` to
    /// `position`, in one transaction: either detection's results and its position are both
    /// stored, or neither is. Raising and amending are written to the audit log.
    pub async fn store_detection(
        &self,
        findings: &[(String, Finding)],
        checkpoint: (&str, i64),
    ) -> Result<DetectionReport, StoreError> {
        let qerr = self.query_err();
        let mut tx = self.pool.begin().await.map_err(&qerr)?;
        let mut report = DetectionReport::default();
        for (key, finding) in findings {
            self.upsert_alert(&mut tx, key, finding, &mut report)
                .await?;
        }
        self.set_checkpoint_in(&mut tx, checkpoint.0, checkpoint.1)
            .await?;
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
        let existing = sqlx::query("SELECT id, finding FROM alerts WHERE alert_key = $1")
            .bind(key)
            .fetch_optional(&mut **tx)
            .await
            .map_err(&qerr)?;
        let (id, action) = match existing {
            Some(row) => {
                let id = self.get_i64(&row, "id")?;
                if self.get_str(&row, "finding")? == body {
                    report.unchanged += 1;
                    return Ok(());
                }
                sqlx::query(
                    "UPDATE alerts SET severity = $1, score = $2, time = $3, title = $4, finding = $5, \
                     updated_at = $6, revision = revision + 1 WHERE id = $7",
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

    /// Alerts that pass `filter`, newest event time first.
    pub async fn alerts(&self, filter: &AlertFilter) -> Result<Vec<AlertRow>, StoreError> {
        let mut q = Sql::new("SELECT * FROM alerts WHERE 1 = 1");
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
        if let Some(v) = &filter.status {
            q.and("status = ", Bind::Text(v.clone()));
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

    /// How many alerts there are, per kind.
    pub async fn alert_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows =
            sqlx::query("SELECT kind, COUNT(*) AS n FROM alerts GROUP BY kind ORDER BY kind")
                .fetch_all(&self.pool)
                .await
                .map_err(self.query_err())?;
        rows.iter()
            .map(|r| Ok((self.get_str(r, "kind")?, unsigned(self.get_i64(r, "n")?))))
            .collect()
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
            created_at: ts(self.get_i64(r, "created_at")?),
            updated_at: ts(self.get_i64(r, "updated_at")?),
            revision: unsigned(self.get_i64(r, "revision")?),
            finding,
        })
    }
}
