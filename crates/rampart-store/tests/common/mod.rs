//! Runs a test against every backend: SQLite (a temporary file) always, and PostgreSQL when
//! `RAMPART_TEST_POSTGRES` names a server (each run in a fresh schema, dropped after).
//! With `CI=true` and no `RAMPART_TEST_POSTGRES`, a PostgreSQL test fails instead of
//! skipping.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use rampart_store::Store;

static NEXT: AtomicU32 = AtomicU32::new(0);

/// The PostgreSQL server to test against, if any; panics in CI when none is set.
pub fn postgres_url() -> Option<String> {
    match std::env::var("RAMPART_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but RAMPART_TEST_POSTGRES is not set: the store's PostgreSQL tests must run in CI \
                     (e.g. RAMPART_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/postgres)"
                );
            }
            eprintln!("RAMPART_TEST_POSTGRES is not set: PostgreSQL backend skipped");
            None
        }
    }
}

/// A fresh schema name for this process and call.
pub fn fresh_schema() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "rampart_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// Runs `test` on a fresh SQLite store, then (when configured) on a fresh PostgreSQL schema.
pub async fn each_backend(test: impl AsyncFn(Store)) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("sub").join("rampart.sqlite"))
        .await
        .unwrap();
    test(store.clone()).await;
    store.close().await;
    if let Some(url) = postgres_url() {
        let schema = fresh_schema();
        let store = Store::open_postgres(&url, Some(&schema)).await.unwrap();
        test(store.clone()).await;
        store.drop_schema_for_tests(&schema).await.unwrap();
        store.close().await;
    }
}
