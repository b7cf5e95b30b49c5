//! The embedded backend: one SQLite file.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rampart_intel::Indicator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{QueryBuilder, Row, Sqlite, Transaction};

use crate::StoreError;
use crate::indicators::{IndicatorFilter, IndicatorRepo, UpsertReport, merge_into, provenance_key};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// A SQLite database file holding Rampart's records.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens the database at `path`, creating it (and its directory) if needed, and applies
    /// any pending migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let open_err = |source: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| open_err(Box::new(e)))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(|e| open_err(Box::new(e)))?
            .filename(path)
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma("cache_size", "-32768");
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| open_err(Box::new(e)))?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                path: path.to_path_buf(),
                source,
            })?;
        tracing::debug!(path = %path.display(), "indicator store open");
        Ok(SqliteStore {
            pool,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    fn query_err(&self) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        |source| StoreError::Query {
            path: self.path.clone(),
            source,
        }
    }

    fn decode(&self, id: i64, body: &str) -> Result<Indicator, StoreError> {
        serde_json::from_str(body).map_err(|source| StoreError::Corrupt {
            path: self.path.clone(),
            id,
            source,
        })
    }

    async fn upsert_one(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        incoming: &Indicator,
    ) -> Result<bool, StoreError> {
        let qerr = self.query_err();
        let kind = incoming.observable.kind().as_str();
        let value = incoming.observable.to_string();
        let key = provenance_key(&incoming.provenance);
        let existing = sqlx::query(
            "SELECT id, body FROM indicators WHERE kind = $1 AND value = $2 AND provenance_key = $3",
        )
        .bind(kind)
        .bind(&value)
        .bind(&key)
        .fetch_optional(&mut **tx)
        .await
        .map_err(&qerr)?;
        let (indicator, id, merged) = match existing {
            Some(row) => {
                let id: i64 = row.try_get("id").map_err(&qerr)?;
                let body: String = row.try_get("body").map_err(&qerr)?;
                let mut stored = self.decode(id, &body)?;
                merge_into(&mut stored, incoming);
                (stored, Some(id), true)
            }
            None => (incoming.clone(), None, false),
        };
        let body = serde_json::to_string(&indicator).map_err(|source| StoreError::Serialize {
            value: value.clone(),
            source,
        })?;
        let first = indicator.first_seen.as_microsecond();
        let last = indicator.last_seen.as_microsecond();
        let until = indicator.valid_until.map(|t| t.as_microsecond());
        let id = match id {
            Some(id) => {
                sqlx::query(
                    "UPDATE indicators SET verdict = $1, tlp = $2, confidence = $3, first_seen = $4, \
                     last_seen = $5, sightings = $6, valid_until = $7, body = $8 WHERE id = $9",
                )
                .bind(indicator.verdict.as_str())
                .bind(indicator.tlp.as_str())
                .bind(i64::from(indicator.confidence.get()))
                .bind(first)
                .bind(last)
                .bind(i64::from(indicator.sightings))
                .bind(until)
                .bind(&body)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(&qerr)?;
                id
            }
            None => {
                let row = sqlx::query(
                    "INSERT INTO indicators (kind, value, provenance_key, verdict, tlp, confidence, \
                     first_seen, last_seen, sightings, valid_until, body) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
                )
                .bind(kind)
                .bind(&value)
                .bind(&key)
                .bind(indicator.verdict.as_str())
                .bind(indicator.tlp.as_str())
                .bind(i64::from(indicator.confidence.get()))
                .bind(first)
                .bind(last)
                .bind(i64::from(indicator.sightings))
                .bind(until)
                .bind(&body)
                .fetch_one(&mut **tx)
                .await
                .map_err(&qerr)?;
                row.try_get("id").map_err(&qerr)?
            }
        };
        for tag in &indicator.tags {
            sqlx::query(
                "INSERT INTO indicator_tags (indicator_id, tag, name) VALUES ($1, $2, $3) \
                 ON CONFLICT (indicator_id, tag) DO NOTHING",
            )
            .bind(id)
            .bind(tag.to_string().to_ascii_lowercase())
            .bind(tag.name.to_ascii_lowercase())
            .execute(&mut **tx)
            .await
            .map_err(&qerr)?;
        }
        Ok(merged)
    }
}

impl IndicatorRepo for SqliteStore {
    async fn upsert_many(&self, indicators: &[Indicator]) -> Result<UpsertReport, StoreError> {
        let qerr = self.query_err();
        let mut tx = self.pool.begin().await.map_err(&qerr)?;
        let mut report = UpsertReport::default();
        for indicator in indicators {
            if self.upsert_one(&mut tx, indicator).await? {
                report.merged += 1;
            } else {
                report.inserted += 1;
            }
        }
        tx.commit().await.map_err(&qerr)?;
        Ok(report)
    }

    async fn list(&self, filter: &IndicatorFilter) -> Result<Vec<Indicator>, StoreError> {
        let qerr = self.query_err();
        let mut q: QueryBuilder<Sqlite> =
            QueryBuilder::new("SELECT id, body FROM indicators WHERE 1 = 1");
        if let Some(kind) = filter.kind {
            q.push(" AND kind = ").push_bind(kind.as_str());
        }
        if let Some(verdict) = filter.verdict {
            q.push(" AND verdict = ").push_bind(verdict.as_str());
        }
        if let Some(tag) = &filter.tag {
            let tag = tag.trim().to_ascii_lowercase();
            q.push(" AND id IN (SELECT indicator_id FROM indicator_tags WHERE tag = ")
                .push_bind(tag.clone())
                .push(" OR name = ")
                .push_bind(tag)
                .push(")");
        }
        q.push(" ORDER BY id");
        if let Some(limit) = filter.limit {
            q.push(" LIMIT ").push_bind(i64::from(limit));
        }
        let rows = q.build().fetch_all(&self.pool).await.map_err(&qerr)?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id").map_err(&qerr)?;
                let body: String = row.try_get("body").map_err(&qerr)?;
                self.decode(id, &body)
            })
            .collect()
    }

    async fn all(&self) -> Result<Vec<Indicator>, StoreError> {
        self.list(&IndicatorFilter::default()).await
    }

    async fn count(&self) -> Result<u64, StoreError> {
        let qerr = self.query_err();
        let row = sqlx::query("SELECT COUNT(*) AS n FROM indicators")
            .fetch_one(&self.pool)
            .await
            .map_err(&qerr)?;
        let n: i64 = row.try_get("n").map_err(&qerr)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
