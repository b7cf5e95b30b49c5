//! Walking the shared data: sorted, recursive file lists. Shared by `tests/corpus.rs`,
//! `tests/pipelines.rs` and `support/diff.rs` (hence `tests/differential.rs` and the bench).
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// Every file under `dir` whose extension is one of `exts`, in path order (a missing or
/// unreadable directory adds nothing).
pub fn files_with_ext(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files_with_ext(&p, exts, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| exts.contains(&e))
        {
            out.push(p);
        }
    }
}

/// Every `*.yml` / `*.yaml` under `dir`, in path order.
pub fn yml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    files_with_ext(dir, &["yml", "yaml"], out);
}

/// The `rules*` folders of the SigmaHQ checkout at `sigma_root`, sorted.
pub fn rule_dirs(sigma_root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(sigma_root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_dir()
                        && p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("rules"))
                })
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// The rule files of every `rules*` folder of `sigma_root`.
pub fn corpus_files(sigma_root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for d in rule_dirs(sigma_root) {
        yml_files(&d, &mut files);
    }
    files
}
