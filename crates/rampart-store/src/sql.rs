//! Dynamic SQL whose placeholders suit the backend: `$N` for PostgreSQL, a bare `?` for
//! SQLite (sqlx's `QueryBuilder` for `Any` writes `?`, which PostgreSQL rejects; SQLite
//! accepts `$N` too, but finds a named parameter by a linear scan of every name each time
//! one is bound, so a statement with thousands of them binds in quadratic time).

use sqlx::any::AnyRow;

use crate::{Backend, Store, StoreError};

/// A value to bind.
#[derive(Clone, Debug)]
pub(crate) enum Bind {
    I64(i64),
    Text(String),
}

impl Bind {
    pub(crate) fn text(s: &str) -> Bind {
        Bind::Text(s.to_owned())
    }
}

/// A statement under construction.
pub(crate) struct Sql {
    text: String,
    binds: Vec<Bind>,
    backend: Backend,
}

/// Appends the `n`th (from 1) placeholder of a statement in which each is used once, in
/// order: `$n` for PostgreSQL, `?` for SQLite (see the module doc).
pub(crate) fn push_placeholder(text: &mut String, backend: Backend, n: usize) {
    match backend {
        Backend::Sqlite => text.push('?'),
        Backend::Postgres => {
            text.push('$');
            text.push_str(&n.to_string());
        }
    }
}

impl Sql {
    pub(crate) fn new(backend: Backend, start: &str) -> Sql {
        Sql {
            text: start.to_owned(),
            binds: Vec::new(),
            backend,
        }
    }

    pub(crate) fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    /// Appends the next placeholder and remembers its value.
    pub(crate) fn bind(&mut self, value: Bind) -> &mut Sql {
        self.binds.push(value);
        push_placeholder(&mut self.text, self.backend, self.binds.len());
        self
    }

    /// ` AND <condition><placeholder>`.
    pub(crate) fn and(&mut self, condition: &str, value: Bind) -> &mut Sql {
        self.push(" AND ").push(condition).bind(value)
    }

    /// [`Sql::fetch_all`] inside a transaction.
    pub(crate) async fn fetch_all_in(
        self,
        store: &Store,
        tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    ) -> Result<Vec<AnyRow>, StoreError> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.text));
        for b in self.binds {
            q = match b {
                Bind::I64(v) => q.bind(v),
                Bind::Text(v) => q.bind(v),
            };
        }
        q.fetch_all(&mut **tx).await.map_err(store.query_err())
    }

    pub(crate) async fn fetch_all(self, store: &Store) -> Result<Vec<AnyRow>, StoreError> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(self.text));
        for b in self.binds {
            q = match b {
                Bind::I64(v) => q.bind(v),
                Bind::Text(v) => q.bind(v),
            };
        }
        q.fetch_all(&store.pool).await.map_err(store.query_err())
    }
}
