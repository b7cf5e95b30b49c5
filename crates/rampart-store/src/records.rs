//! What the streaming server keeps: tenants, accepted batches with their sign-ins, dead
//! letters and engine checkpoints.

use std::collections::HashSet;
use std::net::IpAddr;

use ipnet::IpNet;
use jiff::Timestamp;
use rampart_model::{SignIn, TenantId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::sql::{Bind, Sql, push_placeholder};
use crate::store::{now_us, signed, ts, unsigned};
use crate::{Backend, Store, StoreError};

/// A record that could not be accepted, to keep in the dead-letter store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewDeadLetter {
    /// 1-based position of the record in its batch; 0 for a problem with the whole body.
    pub index: u64,
    pub line: Option<u64>,
    pub reason: String,
    /// The record's text, where known.
    pub raw: Option<String>,
    /// True when retrying can succeed without a new client request (e.g. once the
    /// configuration claims the record's provider tenant id).
    pub retryable: bool,
}

/// One ingest request's outcome, to commit in one transaction.
#[derive(Clone, Debug)]
pub struct NewBatch<'a> {
    pub tenant: &'a TenantId,
    /// Where it came from (e.g. `api`, `retry of dead letter 7`).
    pub origin: &'a str,
    /// Accepted sign-ins (their tenant set).
    pub signins: &'a [SignIn],
    /// Records of a known format that are not sign-ins.
    pub skipped: u64,
    pub dead_letters: &'a [NewDeadLetter],
    /// A dead letter this batch resolves (a successful retry): marked resolved in the
    /// same transaction.
    pub resolves: Option<i64>,
}

/// What [`Store::commit_batch`] stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BatchReceipt {
    /// The batch's sequence number (increasing in commit order).
    pub seq: i64,
    /// Sign-ins stored for the first time.
    pub inserted: u64,
    /// Sign-ins already stored (same tenant, format and record id): not stored twice.
    pub duplicates: u64,
    /// The ids of the dead letters written, in the order given.
    pub dead_letter_ids: Vec<i64>,
}

/// A stored sign-in and the batch it came in.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSignIn {
    pub batch_seq: i64,
    pub signin: SignIn,
}

/// A stored dead letter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    pub id: i64,
    pub tenant: String,
    pub batch_seq: Option<i64>,
    pub origin: String,
    pub index: u64,
    pub line: Option<u64>,
    pub reason: String,
    pub raw: Option<String>,
    pub retryable: bool,
    /// `open`, or `resolved` once a retry accepted it.
    pub status: String,
    pub attempts: u64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Which dead letters [`Store::list_dead_letters`] returns (newest first).
#[derive(Clone, Debug, Default)]
pub struct DeadLetterFilter {
    pub tenant: Option<String>,
    pub status: Option<String>,
    pub limit: Option<u32>,
}

/// A tenant the server knows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TenantRow {
    pub slug: String,
    pub name: Option<String>,
}

/// Sign-ins per INSERT statement of [`Store::commit_batch`] (8 parameters each, well
/// under both backends' limits).
const SIGNINS_PER_INSERT: usize = 250;

impl Store {
    /// Adds a tenant, or updates its name.
    pub async fn upsert_tenant(
        &self,
        slug: &TenantId,
        name: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tenants (slug, name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (slug) DO UPDATE SET name = excluded.name",
        )
        .bind(slug.as_str())
        .bind(name)
        .bind(now_us())
        .execute(&self.pool)
        .await
        .map_err(self.query_err())?;
        Ok(())
    }

    /// Every tenant, by slug.
    pub async fn tenants(&self) -> Result<Vec<TenantRow>, StoreError> {
        let rows = sqlx::query("SELECT slug, name FROM tenants ORDER BY slug")
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err())?;
        rows.iter()
            .map(|r| {
                Ok(TenantRow {
                    slug: self.get_str(r, "slug")?,
                    name: self.get_opt_str(r, "name")?,
                })
            })
            .collect()
    }

    /// Stores a batch — its sign-ins (a duplicate is not stored twice) and dead letters —
    /// in one transaction: when this returns, the batch is durable. Batches are numbered
    /// in commit order (PostgreSQL: the batches table is locked for the insert, so a
    /// reader that has seen seq N will never later find a smaller one committed).
    pub async fn commit_batch(&self, batch: &NewBatch<'_>) -> Result<BatchReceipt, StoreError> {
        let qerr = self.query_err();
        let mut tx = self.begin_write().await.map_err(&qerr)?;
        if self.backend() == Backend::Postgres {
            sqlx::query("LOCK TABLE batches IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .map_err(&qerr)?;
        }
        let now = now_us();
        let row = sqlx::query(
            "INSERT INTO batches (tenant, origin, received_at, accepted, duplicates, skipped, rejected) \
             VALUES ($1, $2, $3, 0, 0, $4, $5) RETURNING seq",
        )
        .bind(batch.tenant.as_str())
        .bind(batch.origin)
        .bind(now)
        .bind(signed(batch.skipped))
        .bind(signed(batch.dead_letters.len() as u64))
        .fetch_one(&mut *tx)
        .await
        .map_err(&qerr)?;
        let seq = self.get_i64(&row, "seq")?;
        let mut inserted = 0u64;
        for chunk in batch.signins.chunks(SIGNINS_PER_INSERT) {
            inserted += self
                .insert_signins(&mut tx, seq, batch.tenant, chunk)
                .await?;
        }
        let duplicates = batch.signins.len() as u64 - inserted;
        let mut dead_letter_ids = Vec::with_capacity(batch.dead_letters.len());
        for d in batch.dead_letters {
            dead_letter_ids.push(
                self.insert_dead_letter(&mut tx, batch.tenant, Some(seq), batch.origin, d, now)
                    .await?,
            );
        }
        sqlx::query("UPDATE batches SET accepted = $1, duplicates = $2 WHERE seq = $3")
            .bind(signed(inserted + duplicates))
            .bind(signed(duplicates))
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(&qerr)?;
        if let Some(id) = batch.resolves {
            sqlx::query(
                "UPDATE dead_letters SET status = 'resolved', attempts = attempts + 1, \
                 updated_at = $1 WHERE id = $2",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(&qerr)?;
        }
        tx.commit().await.map_err(&qerr)?;
        Ok(BatchReceipt {
            seq,
            inserted,
            duplicates,
            dead_letter_ids,
        })
    }

    /// Inserts sign-ins with one multi-row statement; returns how many were new (a
    /// duplicate of a stored one, or of an earlier one in the same statement, is skipped).
    async fn insert_signins(
        &self,
        tx: &mut Transaction<'_, Any>,
        seq: i64,
        batch_tenant: &TenantId,
        signins: &[SignIn],
    ) -> Result<u64, StoreError> {
        if signins.is_empty() {
            return Ok(0);
        }
        let mut text = String::from(
            "INSERT INTO signins (batch_seq, tenant, source_format, record_id, user_name, time, body, ip_key) VALUES ",
        );
        for i in 0..signins.len() {
            text.push_str(if i > 0 { ", (" } else { "(" });
            for c in 1..=8 {
                if c > 1 {
                    text.push_str(", ");
                }
                push_placeholder(&mut text, self.backend(), i * 8 + c);
            }
            text.push(')');
        }
        text.push_str(" ON CONFLICT (tenant, source_format, record_id) DO NOTHING");
        let mut q = sqlx::query(sqlx::AssertSqlSafe(text));
        for s in signins {
            let tenant = s.tenant.as_ref().unwrap_or(batch_tenant);
            let body = serde_json::to_string(s).map_err(|source| StoreError::Serialize {
                value: format!("sign-in {}", s.record_id),
                source,
            })?;
            q = q
                .bind(seq)
                .bind(tenant.as_str().to_owned())
                .bind(s.source_format.as_str())
                .bind(s.record_id.clone())
                .bind(s.user.clone())
                .bind(s.time.as_microsecond())
                .bind(body)
                .bind(s.ip.map_or_else(String::new, ip_key));
        }
        let done = q.execute(&mut **tx).await.map_err(self.query_err())?;
        Ok(done.rows_affected())
    }

    async fn insert_dead_letter(
        &self,
        tx: &mut Transaction<'_, Any>,
        tenant: &TenantId,
        batch_seq: Option<i64>,
        origin: &str,
        d: &NewDeadLetter,
        now: i64,
    ) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "INSERT INTO dead_letters (tenant, batch_seq, origin, record_index, line, reason, raw, \
             retryable, status, attempts, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', 0, $9, $9) RETURNING id",
        )
        .bind(tenant.as_str())
        .bind(batch_seq)
        .bind(origin)
        .bind(signed(d.index))
        .bind(d.line.map(signed))
        .bind(&d.reason)
        .bind(d.raw.as_deref())
        .bind(i64::from(d.retryable))
        .bind(now)
        .fetch_one(&mut **tx)
        .await
        .map_err(self.query_err())?;
        self.get_i64(&row, "id")
    }

    /// A retry of a dead letter that failed again: the new reason, one more attempt.
    pub async fn dead_letter_retry_failed(
        &self,
        id: i64,
        reason: &str,
        retryable: bool,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE dead_letters SET reason = $1, retryable = $2, attempts = attempts + 1, \
             updated_at = $3 WHERE id = $4",
        )
        .bind(reason)
        .bind(i64::from(retryable))
        .bind(now_us())
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(self.query_err())?;
        Ok(())
    }

    /// The highest committed batch sequence number (0 when there is none).
    pub async fn last_batch_seq(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS n FROM batches")
            .fetch_one(&self.pool)
            .await
            .map_err(self.query_err())?;
        self.get_i64(&row, "n")
    }

    /// The sign-ins first stored by batches `after < seq <= upto`, in batch order.
    pub async fn signins_in_batches(
        &self,
        after: i64,
        upto: i64,
    ) -> Result<Vec<StoredSignIn>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, batch_seq, body FROM signins WHERE batch_seq > $1 AND batch_seq <= $2 \
             ORDER BY batch_seq, id",
        )
        .bind(after)
        .bind(upto)
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err())?;
        rows.iter()
            .map(|r| {
                Ok(StoredSignIn {
                    batch_seq: self.get_i64(r, "batch_seq")?,
                    signin: self.decode_signin(r)?,
                })
            })
            .collect()
    }

    /// Every stored sign-in (all tenants) with event time at or after `since`, by time.
    pub async fn signins_since(&self, since: Timestamp) -> Result<Vec<SignIn>, StoreError> {
        let rows = sqlx::query("SELECT id, body FROM signins WHERE time >= $1 ORDER BY time, id")
            .bind(since.as_microsecond())
            .fetch_all(&self.pool)
            .await
            .map_err(self.query_err())?;
        rows.iter().map(|r| self.decode_signin(r)).collect()
    }

    /// Every stored sign-in (all tenants) with event time at or after `since` whose source
    /// address lies in one of `networks`, by time; each sign-in once, however many networks
    /// hold it. One indexed range scan per network (an address is a one-address network).
    pub async fn signins_in_networks(
        &self,
        networks: &[IpNet],
        since: Timestamp,
    ) -> Result<Vec<SignIn>, StoreError> {
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        let mut conn = self.pool.acquire().await.map_err(self.query_err())?;
        for net in networks {
            let (lo, hi) = net_keys(net);
            let rows = sqlx::query(
                "SELECT id, body FROM signins WHERE ip_key >= $1 AND ip_key <= $2 AND time >= $3",
            )
            .bind(lo)
            .bind(hi)
            .bind(since.as_microsecond())
            .fetch_all(&mut *conn)
            .await
            .map_err(self.query_err())?;
            for r in &rows {
                if seen.insert(self.get_i64(r, "id")?) {
                    found.push(self.decode_signin(r)?);
                }
            }
        }
        found.sort_by_key(|s: &SignIn| s.time);
        Ok(found)
    }

    /// Fills in `ip_key` for sign-ins stored before the column existed (read from the body).
    /// Returns how many rows it filled.
    pub(crate) async fn backfill_ip_keys(&self) -> Result<u64, StoreError> {
        let mut filled = 0;
        loop {
            let rows = sqlx::query("SELECT id, body FROM signins WHERE ip_key IS NULL LIMIT 1000")
                .fetch_all(&self.pool)
                .await
                .map_err(self.query_err())?;
            if rows.is_empty() {
                return Ok(filled);
            }
            let mut tx = self.begin_write().await.map_err(self.query_err())?;
            for r in &rows {
                let key = self.decode_signin(r)?.ip.map_or_else(String::new, ip_key);
                sqlx::query("UPDATE signins SET ip_key = $1 WHERE id = $2")
                    .bind(key)
                    .bind(self.get_i64(r, "id")?)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.query_err())?;
                filled += 1;
            }
            tx.commit().await.map_err(self.query_err())?;
        }
    }

    /// How many sign-ins are stored, per tenant.
    pub async fn signin_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT tenant, COUNT(*) AS n FROM signins GROUP BY tenant ORDER BY tenant",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err())?;
        rows.iter()
            .map(|r| Ok((self.get_str(r, "tenant")?, unsigned(self.get_i64(r, "n")?))))
            .collect()
    }

    fn decode_signin(&self, row: &AnyRow) -> Result<SignIn, StoreError> {
        let id = self.get_i64(row, "id")?;
        let body = self.get_str(row, "body")?;
        serde_json::from_str(&body).map_err(|e| self.corrupt(format!("sign-in row {id}"), e))
    }

    /// Dead letters that pass `filter`, newest first (at most 1000).
    pub async fn list_dead_letters(
        &self,
        filter: &DeadLetterFilter,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        let mut q = Sql::new(self.backend(), "SELECT * FROM dead_letters WHERE 1 = 1");
        if let Some(t) = &filter.tenant {
            q.and("tenant = ", Bind::Text(t.clone()));
        }
        if let Some(s) = &filter.status {
            q.and("status = ", Bind::Text(s.clone()));
        }
        q.push(" ORDER BY id DESC LIMIT ");
        q.bind(Bind::I64(i64::from(filter.limit.unwrap_or(1000).min(1000))));
        let rows = q.fetch_all(self).await?;
        rows.iter().map(|r| self.dead_letter_row(r)).collect()
    }

    /// One dead letter.
    pub async fn dead_letter(&self, id: i64) -> Result<Option<DeadLetter>, StoreError> {
        let row = sqlx::query("SELECT * FROM dead_letters WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.query_err())?;
        row.as_ref().map(|r| self.dead_letter_row(r)).transpose()
    }

    fn dead_letter_row(&self, r: &AnyRow) -> Result<DeadLetter, StoreError> {
        Ok(DeadLetter {
            id: self.get_i64(r, "id")?,
            tenant: self.get_str(r, "tenant")?,
            batch_seq: self.get_opt_i64(r, "batch_seq")?,
            origin: self.get_str(r, "origin")?,
            index: unsigned(self.get_i64(r, "record_index")?),
            line: self.get_opt_i64(r, "line")?.map(unsigned),
            reason: self.get_str(r, "reason")?,
            raw: self.get_opt_str(r, "raw")?,
            retryable: self.get_i64(r, "retryable")? != 0,
            status: self.get_str(r, "status")?,
            attempts: unsigned(self.get_i64(r, "attempts")?),
            created_at: ts(self.get_i64(r, "created_at")?),
            updated_at: ts(self.get_i64(r, "updated_at")?),
        })
    }

    /// A checkpoint's position (`None` before the first).
    pub async fn checkpoint(&self, name: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT position FROM checkpoints WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(self.query_err())?;
        row.as_ref()
            .map(|r| self.get_i64(r, "position"))
            .transpose()
    }

    pub(crate) async fn set_checkpoint_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        name: &str,
        position: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO checkpoints (name, position, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
        )
        .bind(name)
        .bind(position)
        .bind(now_us())
        .execute(&mut **tx)
        .await
        .map_err(self.query_err())?;
        Ok(())
    }

    /// Sets a checkpoint on its own (detection stores its checkpoint with its alerts:
    /// [`Store::store_detection`]).
    pub async fn set_checkpoint(&self, name: &str, position: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await.map_err(self.query_err())?;
        self.set_checkpoint_in(&mut tx, name, position).await?;
        tx.commit().await.map_err(self.query_err())
    }
}

/// The sortable key of an address: 32 hex digits of its IPv6 form (IPv4 mapped).
fn ip_key(ip: IpAddr) -> String {
    let v6 = match ip.to_canonical() {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    };
    format!("{:032x}", u128::from(v6))
}

/// The first and last key of a network.
fn net_keys(net: &IpNet) -> (String, String) {
    (ip_key(net.network()), ip_key(net.broadcast()))
}
