//! Test support shared by Rampart's crates: where the third-party data in `../shared`
//! lives, and the rule for when a test may skip because it is absent.
//!
//! Only ever a dev-dependency. It must not depend on any other Rampart crate.
//!
//! The rule: a test that needs `../shared` skips with a printed reason on a machine
//! that lacks it, but never in CI (`CI=true`), where its absence fails the test.

use std::path::{Path, PathBuf};

/// The workspace root (the directory holding the top `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    // crates/rampart-testkit → ../..
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// `$RAMPART_SHARED`, or `shared/` beside the repository.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("RAMPART_SHARED") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("../shared"),
    }
}

fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// The path of `rel` under the shared data directory, or `None` (after printing why)
/// when it is absent on a developer machine. In CI an absent path panics.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = shared_dir().join(rel);
    if path.exists() {
        return Some(path);
    }
    if in_ci() {
        panic!(
            "{} is missing: CI must run every test that needs ../shared (set RAMPART_SHARED to its location)",
            path.display()
        );
    }
    eprintln!(
        "SKIP: {} is absent (set RAMPART_SHARED to the shared data directory to run this test)",
        path.display()
    );
    None
}
