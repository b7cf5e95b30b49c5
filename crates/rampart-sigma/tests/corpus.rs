//! Whole-corpus tests over `../shared/sigma`: every SigmaHQ rule compiles or is rejected for
//! a listed reason; every regression case matches; the spec's examples load as written.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use rampart_sigma::{
    CompileOptions, ErrorKind, Placeholders, Rule, WinEventJson, load_dir, load_file,
};

#[path = "support/files.rs"]
mod files;
use files::{corpus_files, rule_dirs, yml_files};

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
    let files = corpus_files(&root);
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
    // `load_dir` finds the same rules as this walk.
    let (mut dir_ok, mut dir_bad) = (0usize, 0usize);
    for d in rule_dirs(&root) {
        let l = load_dir(&d, &opts);
        dir_ok += l.rules.len();
        dir_bad += l.errors.len();
    }
    assert_eq!((dir_ok, dir_bad), (ok, bad));
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

    // Matching is total: every compiled rule on oddly shaped events, without panicking.
    let odd = [
        serde_json::json!(null),
        serde_json::json!([1, "x"]),
        serde_json::json!({}),
        serde_json::json!({"Image": null, "CommandLine": ["a", {"b": 1}], "EventID": "x"}),
        serde_json::json!({"Image": 1.5e300, "CommandLine": -1, "EventID": {"a": []}, "": ""}),
    ];
    let mut evaluated = 0usize;
    for f in &files {
        for r in load_file(f, &opts).rules {
            for e in &odd {
                let _ = r.matches(e);
                evaluated += 1;
            }
        }
    }
    assert!(evaluated > 0);

    // Without placeholder values (the default policy), every rule loads; exactly the
    // `expand` rules are inactive, each naming its placeholders. Strict (`Reject`), exactly
    // those are rejected, as the spec's "must reject" reads for a tool without values.
    let (mut loaded0, mut inactive, mut active) = (0usize, 0usize, 0usize);
    let strict = CompileOptions::default()
        .with_unresolved_placeholders(rampart_sigma::UnresolvedPlaceholders::Reject);
    let mut placeholder_rejects = 0usize;
    for f in &files {
        let l = load_file(f, &CompileOptions::default());
        assert!(l.errors.is_empty(), "{:?}", l.errors);
        loaded0 += l.rules.len();
        let text = std::fs::read_to_string(f).unwrap_or_default();
        for r in &l.rules {
            if r.is_active() {
                active += 1;
            } else {
                inactive += 1;
                assert!(text.contains("|expand"), "{}", f.display());
                for p in r.unresolved_placeholders() {
                    assert!(text.contains(&format!("%{p}%")), "{}: {p}", f.display());
                }
            }
        }
        let s = load_file(f, &strict);
        for e in &s.errors {
            assert!(
                matches!(e.kind, ErrorKind::UnresolvedPlaceholder(_)),
                "strict, only `expand` rules may be rejected: {e}"
            );
            placeholder_rejects += 1;
        }
    }
    assert_eq!(inactive, placeholder_rejects);
    assert_eq!(loaded0, ok);
    let rate0 = loaded0 as f64 / files.len() as f64 * 100.0;
    let active_rate = active as f64 / loaded0.max(1) as f64 * 100.0;
    eprintln!(
        "sigma corpus without placeholder values: loaded={loaded0} ({rate0:.2}%) active={active} ({active_rate:.2}%) inactive_awaiting_placeholders={inactive}; strict rejects={placeholder_rejects}"
    );
    assert!(
        rate0 >= 99.5,
        "load rate without placeholders {rate0:.2}% < 99.5%"
    );
}

fn info_rule_id(info: &str) -> Option<String> {
    let mut in_meta = false;
    for line in info.lines() {
        let t = line.trim();
        if t.starts_with('#') {
            continue;
        }
        if t.starts_with("rule_metadata:") {
            in_meta = true;
        } else if in_meta
            && let Some(id) = t.strip_prefix("- id:").or_else(|| t.strip_prefix("id:"))
        {
            return Some(id.trim().trim_matches(['\'', '"']).to_string());
        }
    }
    None
}

fn info_match_count(info: &str) -> Option<usize> {
    info.lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("match_count:"))
        .and_then(|n| n.trim().parse().ok())
}

fn read_events(path: &Path) -> Vec<serde_json::Value> {
    let Ok(s) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    serde_json::Deserializer::from_str(&s)
        .into_iter::<serde_json::Value>()
        .map_while(Result::ok)
        .collect()
}

/// Regression cases whose `match_count` is lower than the number of events in the JSON
/// that genuinely satisfy the rule (checked by hand): (case directory, our match count).
/// - anydesk_artefact: three events' TargetFilename contain `\AnyDesk\user.conf`.
/// - cred_dump_tools_dropped_files: `procdump*.exe` and its `:Zone.Identifier` stream.
/// - change_security_zones, disable_administrative_share: every event in the file is a
///   matching registry write (the test writes the value more than once).
const KNOWN_UNDERCOUNTED: &[(&str, usize)] = &[
    ("file_event_win_anydesk_artefact", 3),
    ("file_event_win_cred_dump_tools_dropped_files", 3),
    ("registry_set_change_security_zones", 3),
    ("registry_set_disable_administrative_share", 2),
];

#[test]
fn sigmahq_regression_data_matches() {
    let Some(root) = rampart_testkit::shared("sigma") else {
        return;
    };
    let opts = CompileOptions::with_placeholders(AnyPlaceholder);
    let files = corpus_files(&root);
    let mut by_id: HashMap<String, Rule> = HashMap::new();
    for f in &files {
        for r in load_file(f, &opts).rules {
            if let Some(id) = r.meta().id.clone() {
                by_id.insert(id, r);
            }
        }
    }
    let mut infos = Vec::new();
    yml_files(&root.join("regression_data"), &mut infos);
    infos.retain(|p| p.file_name().is_some_and(|n| n == "info.yml"));
    assert!(!infos.is_empty());
    let (mut passed, mut skipped) = (0usize, 0usize);
    let mut failures = Vec::new();
    for info_path in &infos {
        let info = std::fs::read_to_string(info_path).unwrap_or_default();
        let dir = info_path.parent().unwrap_or(Path::new("."));
        let mut jsons = Vec::new();
        if let Ok(rd) = std::fs::read_dir(dir) {
            jsons = rd
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
        }
        if jsons.is_empty() {
            eprintln!(
                "regression: skip {} (no JSON rendering of the event)",
                dir.display()
            );
            skipped += 1;
            continue;
        }
        let Some(id) = info_rule_id(&info) else {
            failures.push(format!("{}: no rule id", info_path.display()));
            continue;
        };
        let Some(rule) = by_id.get(&id) else {
            failures.push(format!("{}: rule {id} not loaded", info_path.display()));
            continue;
        };
        let events: Vec<_> = jsons.iter().flat_map(|p| read_events(p)).collect();
        let hits = events
            .iter()
            .filter(|e| rule.matches(&WinEventJson::new(e)))
            .count();
        // The rule must match. `match_count`, when given, must agree, except for the cases
        // pinned in KNOWN_UNDERCOUNTED whose extra matches were checked by hand.
        let want = info_match_count(&info);
        let case = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let pinned = KNOWN_UNDERCOUNTED
            .iter()
            .find(|(c, _)| *c == case)
            .map(|(_, n)| *n);
        let ok = hits >= 1
            && match (pinned, want) {
                (Some(n), _) => hits == n,
                (None, Some(w)) => hits == w,
                (None, None) => true,
            };
        if ok {
            passed += 1;
        } else {
            failures.push(format!(
                "{}: rule {id} ({}) matched {hits} of {} events, expected {}",
                dir.display(),
                rule.meta().title,
                events.len(),
                want.map_or("at least 1".to_string(), |w| w.to_string())
            ));
        }
    }
    eprintln!(
        "sigma regression: cases={} passed={passed} failed={} skipped={skipped}",
        infos.len(),
        failures.len()
    );
    for f in &failures {
        eprintln!("  FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} regression cases failed",
        failures.len()
    );
}
