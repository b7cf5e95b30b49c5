use std::path::PathBuf;

/// A store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened or created.
    #[error("cannot open the database {path}: {source}")]
    Open {
        path: PathBuf,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Migrations could not be applied.
    #[error("cannot migrate the database {path}: {source}")]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed.
    #[error("database {path}: {source}")]
    Query { path: PathBuf, source: sqlx::Error },
    /// A stored row could not be read back as an indicator.
    #[error("database {path}: indicator row {id} is unreadable: {source}")]
    Corrupt {
        path: PathBuf,
        id: i64,
        source: serde_json::Error,
    },
    /// An indicator could not be serialized.
    #[error("cannot serialize indicator {value}: {source}")]
    Serialize {
        value: String,
        source: serde_json::Error,
    },
}
