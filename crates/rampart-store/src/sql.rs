//! Dynamic SQL with `$N` placeholders, which both backends accept (sqlx's `QueryBuilder`
//! for `Any` writes `?`, which PostgreSQL rejects).

use sqlx::any::AnyRow;

use crate::{Store, StoreError};

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
}

impl Sql {
    pub(crate) fn new(start: &str) -> Sql {
        Sql {
            text: start.to_owned(),
            binds: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    /// Appends the next placeholder and remembers its value.
    pub(crate) fn bind(&mut self, value: Bind) -> &mut Sql {
        self.binds.push(value);
        self.text.push('$');
        self.text.push_str(&self.binds.len().to_string());
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
