//! House rules that are cheap to check mechanically.

use std::path::Path;

/// Every crate's root opens with a `//!` doc saying what it is for and what it must not
/// depend on (ARCHITECTURE.md's invariants live there too).
#[test]
fn every_crate_root_opens_with_a_crate_doc() {
    let crates = rampart_testkit::workspace_root().join("crates");
    let mut missing = Vec::new();
    let mut seen = 0;
    for entry in std::fs::read_dir(&crates).expect("crates/ is readable") {
        let dir = entry.expect("a crate directory").path();
        let root = ["src/lib.rs", "src/main.rs"]
            .iter()
            .map(|r| dir.join(r))
            .find(|p| p.exists());
        let Some(root) = root else { continue };
        seen += 1;
        let text = std::fs::read_to_string(&root).expect("the crate root is readable");
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        let doc_lines = text.lines().take_while(|l| l.starts_with("//!")).count();
        if !first.starts_with("//!") || doc_lines < 2 {
            missing.push(rel(&root, &crates));
        }
    }
    assert!(
        seen >= 5,
        "found only {seen} crates under {}",
        crates.display()
    );
    assert!(
        missing.is_empty(),
        "crate roots without a `//!` doc of 2+ lines: {missing:?}"
    );
}

fn rel(p: &Path, base: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}
