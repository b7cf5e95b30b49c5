/// A store operation failed. Every variant names the database (a SQLite path, or a
/// PostgreSQL URL without its password).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened or created.
    #[error("cannot open the database {db}: {source}")]
    Open {
        db: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Migrations could not be applied.
    #[error("cannot migrate the database {db}: {source}")]
    Migrate {
        db: String,
        source: sqlx::migrate::MigrateError,
    },
    /// A query failed.
    #[error("database {db}: {source}")]
    Query { db: String, source: sqlx::Error },
    /// A stored row could not be read back (its JSON no longer fits the type).
    #[error("database {db}: {what} is unreadable: {source}")]
    Corrupt {
        db: String,
        what: String,
        source: serde_json::Error,
    },
    /// A value could not be serialized.
    #[error("cannot serialize {value}: {source}")]
    Serialize {
        value: String,
        source: serde_json::Error,
    },
    /// The store location is neither `sqlite:PATH` nor `postgres://…`.
    #[error("unknown store {0:?}: give sqlite:PATH or postgres://…")]
    UnknownStore(String),
}
