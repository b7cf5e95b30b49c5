//! API tokens (only their SHA-256 is stored) and the append-only audit log.

use jiff::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::sql::{Bind, Sql};
use crate::store::{now_us, ts};
use crate::{Store, StoreError};

/// What a token may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Everything, for every tenant.
    MspAdmin,
    /// Ingest into its one tenant; nothing else.
    Ingest,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::MspAdmin => "msp-admin",
            Role::Ingest => "ingest",
        }
    }

    pub fn from_name(s: &str) -> Option<Role> {
        match s {
            "msp-admin" => Some(Role::MspAdmin),
            "ingest" => Some(Role::Ingest),
            _ => None,
        }
    }
}

/// A stored API token (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The tenant an `ingest` token is bound to.
    pub tenant: Option<String>,
    pub created_at: Timestamp,
    /// After this instant the token is refused (`None`: it does not expire).
    pub expires_at: Option<Timestamp>,
    /// When it was revoked (a revoked token is refused).
    pub revoked_at: Option<Timestamp>,
}

impl ApiToken {
    /// `live`, `expired` or `revoked`, at `now`.
    pub fn status(&self, now: Timestamp) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "live"
        }
    }
}

/// What [`Store::revoke_token`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now.
    Now(ApiToken),
    /// It had been revoked before; nothing changed.
    Already(ApiToken),
    /// No token has that id.
    NotFound,
}

/// An audit entry to append.
#[derive(Clone, Copy, Debug)]
pub struct NewAudit<'a> {
    /// Who: `engine`, `token:NAME`, `cli`.
    pub actor: &'a str,
    /// What, as `noun.verb` (`alert.raised`, `token.created`, `dead_letter.retried`).
    pub action: &'a str,
    pub tenant: Option<&'a str>,
    /// What it is about (`alert:12`, `token:3`).
    pub subject: Option<&'a str>,
    /// JSON.
    pub detail: &'a str,
}

/// A stored audit entry.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub tenant: Option<String>,
    pub subject: Option<String>,
    pub detail: serde_json::Value,
}

const TOKEN_COLUMNS: &str =
    "id, name, role, tenant, token_hash, created_at, expires_at, revoked_at";

impl Store {
    /// Stores a new token that does not expire; see [`Store::create_token_until`].
    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        tenant: Option<&str>,
        token_hash: &str,
    ) -> Result<ApiToken, StoreError> {
        self.create_token_until(name, role, tenant, token_hash, None)
            .await
    }

    /// Stores a new token by its SHA-256 (`token_hash`, lower-case hex), refused after
    /// `expires_at` when given, and audits it.
    pub async fn create_token_until(
        &self,
        name: &str,
        role: Role,
        tenant: Option<&str>,
        token_hash: &str,
        expires_at: Option<Timestamp>,
    ) -> Result<ApiToken, StoreError> {
        let qerr = self.query_err();
        let mut tx = self.begin_write().await.map_err(&qerr)?;
        let now = now_us();
        let row = sqlx::query(
            "INSERT INTO api_tokens (name, role, tenant, token_hash, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(tenant)
        .bind(token_hash)
        .bind(now)
        .bind(expires_at.map(|t| t.as_microsecond()))
        .fetch_one(&mut *tx)
        .await
        .map_err(&qerr)?;
        let id = self.get_i64(&row, "id")?;
        let detail = serde_json::json!({
            "name": name,
            "role": role.as_str(),
            "expires_at": expires_at.map(|t| t.to_string()),
        })
        .to_string();
        self.append_audit_in(
            &mut tx,
            &NewAudit {
                actor: "cli",
                action: "token.created",
                tenant,
                subject: Some(&format!("token:{id}")),
                detail: &detail,
            },
        )
        .await?;
        tx.commit().await.map_err(&qerr)?;
        Ok(ApiToken {
            id,
            name: name.to_owned(),
            role,
            tenant: tenant.map(str::to_owned),
            created_at: ts(now),
            // As stored: to the microsecond.
            expires_at: expires_at.map(|t| ts(t.as_microsecond())),
            revoked_at: None,
        })
    }

    /// Every token (revoked and expired ones too), newest first.
    pub async fn tokens(&self) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id DESC"
        )))
        .fetch_all(&self.pool)
        .await
        .map_err(self.query_err())?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            if let Some(t) = self.token_row(row)? {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Revokes the token `id` at once (a request with it is refused from now on), and
    /// audits it under `actor`. Revoking a revoked token changes nothing.
    pub async fn revoke_token(&self, id: i64, actor: &str) -> Result<Revoked, StoreError> {
        let qerr = self.query_err();
        let mut tx = self.begin_write().await.map_err(&qerr)?;
        let now = now_us();
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(&qerr)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(&qerr)?;
        let Some(token) = row
            .as_ref()
            .map(|r| self.token_row(r))
            .transpose()?
            .flatten()
        else {
            return Ok(Revoked::NotFound);
        };
        if done.rows_affected() == 0 {
            return Ok(Revoked::Already(token));
        }
        let detail =
            serde_json::json!({"name": token.name, "role": token.role.as_str()}).to_string();
        self.append_audit_in(
            &mut tx,
            &NewAudit {
                actor,
                action: "token.revoked",
                tenant: token.tenant.as_deref(),
                subject: Some(&format!("token:{id}")),
                detail: &detail,
            },
        )
        .await?;
        tx.commit().await.map_err(&qerr)?;
        Ok(Revoked::Now(token))
    }

    /// A token row; `None` (logged) for a role this build does not know.
    fn token_row(&self, row: &AnyRow) -> Result<Option<ApiToken>, StoreError> {
        let role = self.get_str(row, "role")?;
        let Some(role) = Role::from_name(&role) else {
            tracing::warn!(role, "token with an unknown role ignored");
            return Ok(None);
        };
        Ok(Some(ApiToken {
            id: self.get_i64(row, "id")?,
            name: self.get_str(row, "name")?,
            role,
            tenant: self.get_opt_str(row, "tenant")?,
            created_at: ts(self.get_i64(row, "created_at")?),
            expires_at: self.get_opt_i64(row, "expires_at")?.map(ts),
            revoked_at: self.get_opt_i64(row, "revoked_at")?.map(ts),
        }))
    }

    /// The live token whose SHA-256 is `token_hash` (lower-case hex): not revoked, not
    /// expired at this moment. The stored hash is compared with `subtle`'s constant-time
    /// equality after the indexed lookup.
    pub async fn token_by_hash(&self, token_hash: &str) -> Result<Option<ApiToken>, StoreError> {
        use subtle::ConstantTimeEq;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens \
             WHERE token_hash = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2)"
        )))
        .bind(token_hash)
        .bind(now_us())
        .fetch_optional(&self.pool)
        .await
        .map_err(self.query_err())?;
        let Some(row) = row else { return Ok(None) };
        let stored = self.get_str(&row, "token_hash")?;
        if !bool::from(stored.as_bytes().ct_eq(token_hash.as_bytes())) {
            return Ok(None);
        }
        self.token_row(&row)
    }

    /// Appends an entry to the audit log.
    pub async fn append_audit(&self, entry: &NewAudit<'_>) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await.map_err(self.query_err())?;
        self.append_audit_in(&mut tx, entry).await?;
        let row = sqlx::query("SELECT MAX(id) AS id FROM audit_log")
            .fetch_one(&mut *tx)
            .await
            .map_err(self.query_err())?;
        tx.commit().await.map_err(self.query_err())?;
        self.get_i64(&row, "id")
    }

    pub(crate) async fn append_audit_in(
        &self,
        tx: &mut Transaction<'_, Any>,
        e: &NewAudit<'_>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor, action, tenant, subject, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(now_us())
        .bind(e.actor)
        .bind(e.action)
        .bind(e.tenant)
        .bind(e.subject)
        .bind(e.detail)
        .execute(&mut **tx)
        .await
        .map_err(self.query_err())?;
        Ok(())
    }

    /// Audit entries, oldest first; only those about `subject` when given.
    pub async fn audit(
        &self,
        subject: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut q = Sql::new(self.backend(), "SELECT * FROM audit_log WHERE 1 = 1");
        if let Some(s) = subject {
            q.and("subject = ", Bind::text(s));
        }
        q.push(" ORDER BY id LIMIT ");
        q.bind(Bind::I64(i64::from(limit)));
        let rows = q.fetch_all(self).await?;
        rows.iter().map(|r| self.audit_row(r)).collect()
    }

    fn audit_row(&self, r: &AnyRow) -> Result<AuditEntry, StoreError> {
        let id = self.get_i64(r, "id")?;
        let detail = self.get_str(r, "detail")?;
        Ok(AuditEntry {
            id,
            at: ts(self.get_i64(r, "at")?),
            actor: self.get_str(r, "actor")?,
            action: self.get_str(r, "action")?,
            tenant: self.get_opt_str(r, "tenant")?,
            subject: self.get_opt_str(r, "subject")?,
            detail: serde_json::from_str(&detail)
                .map_err(|e| self.corrupt(format!("audit entry {id}"), e))?,
        })
    }

    /// Tries to change an audit entry; the store refuses (append-only). For tests.
    #[doc(hidden)]
    pub async fn try_rewrite_audit(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE audit_log SET action = 'rewritten' WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(self.query_err())?;
        Ok(())
    }
}
