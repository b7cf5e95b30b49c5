//! The store: one code path (sqlx `Any`) over two backends, SQLite and PostgreSQL.

use std::path::Path;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::StoreError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Rampart's database: indicators, and the streaming server's tenants, batches, sign-ins,
/// dead letters, alerts, checkpoints, audit log and API tokens. Cloning is cheap (a pool).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// The database for messages: a path, or a URL without its password.
    db: String,
}

/// The embedded default: [`Store::open`] opens a SQLite file.
pub type SqliteStore = Store;

impl Store {
    /// Opens the SQLite database at `path`, creating it (and its directory) if needed, and
    /// applies any pending migrations.
    pub async fn open(path: &Path) -> Result<Store, StoreError> {
        let db = path.display().to_string();
        let open_err = |source: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
            db: db.clone(),
            source,
        };
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| open_err(Box::new(e)))?;
        }
        let path_text = path
            .to_str()
            .ok_or_else(|| open_err("the path is not valid UTF-8".into()))?;
        let url = format!("sqlite://{}?mode=rwc", encode_path(path_text));
        sqlx::any::install_default_drivers();
        // One plain connection first: a file that is not a database fails here at once
        // (the pool would retry until its acquire timeout).
        {
            use sqlx::Connection;
            let mut conn = sqlx::AnyConnection::connect(&url)
                .await
                .map_err(|e| open_err(Box::new(e)))?;
            sqlx::query("PRAGMA schema_version")
                .execute(&mut conn)
                .await
                .map_err(|e| open_err(Box::new(e)))?;
            conn.close().await.map_err(|e| open_err(Box::new(e)))?;
        }
        let pool = AnyPoolOptions::new()
            .max_connections(4)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    // WAL with FULL sync: a committed batch survives a crash and a power cut.
                    // A 32 MiB page cache per connection (SQLite's default is 2 MiB, which a
                    // batch of sign-ins with four indexes outgrows: pages were spilled and read
                    // back within one transaction); statement journals (an INSERT … ON
                    // CONFLICT keeps one) in memory, not in temporary files.
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = FULL",
                        "PRAGMA foreign_keys = ON",
                        "PRAGMA busy_timeout = 10000",
                        "PRAGMA cache_size = -32768",
                        "PRAGMA temp_store = MEMORY",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(|e| open_err(Box::new(e)))?;
        Store::migrated(pool, &SQLITE_MIGRATIONS, Backend::Sqlite, db).await
    }

    /// Connects to PostgreSQL at `url` and applies any pending migrations. With `schema`,
    /// everything lives in that schema (created if missing): tests use a fresh one each.
    pub async fn open_postgres(url: &str, schema: Option<&str>) -> Result<Store, StoreError> {
        let db = redact(url);
        let open_err = |source: Box<dyn std::error::Error + Send + Sync>| StoreError::Open {
            db: db.clone(),
            source,
        };
        sqlx::any::install_default_drivers();
        let mut options = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30));
        if let Some(schema) = schema {
            if !schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(open_err(
                    format!("schema {schema:?}: only a-z, 0-9 and _ are allowed").into(),
                ));
            }
            let pool = AnyPoolOptions::new()
                .max_connections(1)
                .connect(url)
                .await
                .map_err(|e| open_err(Box::new(e)))?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}"
            )))
            .execute(&pool)
            .await
            .map_err(|e| open_err(Box::new(e)))?;
            pool.close().await;
            let set = format!("SET search_path TO {schema}");
            options = options.after_connect(move |conn, _| {
                let set = set.clone();
                Box::pin(async move {
                    sqlx::query(sqlx::AssertSqlSafe(set))
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            });
        }
        let pool = options
            .connect(url)
            .await
            .map_err(|e| open_err(Box::new(e)))?;
        Store::migrated(pool, &POSTGRES_MIGRATIONS, Backend::Postgres, db).await
    }

    /// The last step of opening either backend: apply any pending migrations, then index
    /// the addresses of sign-ins stored before the address column existed.
    async fn migrated(
        pool: AnyPool,
        migrations: &sqlx::migrate::Migrator,
        backend: Backend,
        db: String,
    ) -> Result<Store, StoreError> {
        if let Err(source) = migrations.run(&pool).await {
            return Err(StoreError::Migrate { db, source });
        }
        let store = Store { pool, backend, db };
        let filled = store.backfill_ip_keys().await?;
        if filled > 0 {
            tracing::info!(db = %store.db, filled, "indexed the address of stored sign-ins");
        }
        tracing::debug!(db = %store.db, "store open");
        Ok(store)
    }

    /// Opens a store named as on the command line: `sqlite:PATH` (or `sqlite://PATH`) or
    /// `postgres://…` / `postgresql://…`.
    pub async fn connect(spec: &str) -> Result<Store, StoreError> {
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            Store::open_postgres(spec, None).await
        } else if let Some(path) = spec
            .strip_prefix("sqlite://")
            .or_else(|| spec.strip_prefix("sqlite:"))
        {
            Store::open(Path::new(path)).await
        } else {
            Err(StoreError::UnknownStore(spec.to_owned()))
        }
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database, for messages (a path, or a URL without its password).
    pub fn describe(&self) -> &str {
        &self.db
    }

    /// The database as a path, for messages: the SQLite file (for PostgreSQL, the URL
    /// without its password). Prefer [`Store::describe`].
    pub fn path(&self) -> &Path {
        Path::new(&self.db)
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Answers when the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(self.query_err())?;
        Ok(())
    }

    /// Drops a PostgreSQL schema and everything in it (tests clean up after themselves).
    #[doc(hidden)]
    pub async fn drop_schema_for_tests(&self, schema: &str) -> Result<(), StoreError> {
        self.drop_scratch_schema(schema, "rampart_test_").await
    }

    /// Drops a PostgreSQL schema a benchmark made (`rampart_bench_…`) and everything in it.
    #[doc(hidden)]
    pub async fn drop_bench_schema(&self, schema: &str) -> Result<(), StoreError> {
        self.drop_scratch_schema(schema, "rampart_bench_").await
    }

    /// Drops `schema` on PostgreSQL when its name starts with `prefix` (a scratch schema
    /// of a test or benchmark); anything else is left alone.
    async fn drop_scratch_schema(&self, schema: &str, prefix: &str) -> Result<(), StoreError> {
        if !schema.starts_with(prefix) || self.backend != Backend::Postgres {
            return Ok(());
        }
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
            .execute(&self.pool)
            .await
            .map_err(self.query_err())?;
        Ok(())
    }

    /// Updates the query planner's statistics (`ANALYZE`), e.g. after a bulk load.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        sqlx::query("ANALYZE")
            .execute(&self.pool)
            .await
            .map_err(self.query_err())?;
        Ok(())
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`, waiting up to the busy timeout): a deferred transaction that
    /// reads first fails with `SQLITE_BUSY` at its first write when another connection
    /// committed in between, which the busy timeout does not retry.
    pub(crate) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    pub(crate) fn query_err(&self) -> impl Fn(sqlx::Error) -> StoreError + '_ {
        |source| StoreError::Query {
            db: self.db.clone(),
            source,
        }
    }

    pub(crate) fn corrupt(&self, what: String, source: serde_json::Error) -> StoreError {
        StoreError::Corrupt {
            db: self.db.clone(),
            what,
            source,
        }
    }

    pub(crate) fn get_i64(&self, row: &AnyRow, col: &str) -> Result<i64, StoreError> {
        row.try_get(col).map_err(self.query_err())
    }

    pub(crate) fn get_opt_i64(&self, row: &AnyRow, col: &str) -> Result<Option<i64>, StoreError> {
        row.try_get(col).map_err(self.query_err())
    }

    pub(crate) fn get_str(&self, row: &AnyRow, col: &str) -> Result<String, StoreError> {
        row.try_get(col).map_err(self.query_err())
    }

    pub(crate) fn get_opt_str(
        &self,
        row: &AnyRow,
        col: &str,
    ) -> Result<Option<String>, StoreError> {
        row.try_get(col).map_err(self.query_err())
    }
}

/// Percent-encodes what a SQLite URL path cannot hold as is.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' | '?' | '#' | ' ' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Now, in microseconds since the Unix epoch.
pub(crate) fn now_us() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

/// A stored time (microseconds since the Unix epoch); the epoch when out of range.
pub(crate) fn ts(us: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_microsecond(us).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// A stored count (every integer column is `BIGINT`); 0 when negative.
pub(crate) fn unsigned(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A count to store; `i64::MAX` when it does not fit.
pub(crate) fn signed(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/rampart"),
            "postgres://app:***@db:5432/rampart"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
    }

    #[test]
    fn odd_paths_are_encoded() {
        assert_eq!(encode_path("/a b/x?.db"), "/a%20b/x%3F.db");
    }
}
