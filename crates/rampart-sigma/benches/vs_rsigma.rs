//! `cargo bench -p rampart-sigma --bench vs_rsigma`: rampart-sigma against rsigma-eval on the
//! same rules and the same events, one run, one thread. Two workloads: the identity rules
//! (azure, m365, okta, gworkspace) over identity events, then the whole SigmaHQ corpus over
//! Windows-shaped events (the last line).
//!
//! Events: the regression data (flattened) and identity samples, events derived from the
//! rules' own values (see `tests/support/diff.rs`), and deterministic variations of them
//! (perturbed strings and numbers: mostly non-matching, as real streams are). Both engines
//! read the same flat JSON, with no field mapping.
//!
//! `same_matches` is true when the (rule, event) match sets are equal apart from the
//! differences explained in the crate README (each pinned in `tests/differential.rs`);
//! the workload line gives the raw and explained counts.

#[path = "../tests/support/diff.rs"]
mod diff;

use std::time::Instant;

use serde_json::Value;

/// A copy of `v` with its strings and numbers perturbed (deterministically).
fn vary(v: &Value, rng: &mut diff::Rng) -> Value {
    match v {
        Value::String(s) if rng.below(2) == 0 && !s.is_empty() => {
            let mut chars: Vec<char> = s.chars().collect();
            let i = rng.below(chars.len());
            chars[i] = char::from(b'a' + (rng.below(26) as u8));
            if rng.below(3) == 0 {
                chars.extend(format!(" {}", rng.below(10_000)).chars());
            }
            Value::String(chars.into_iter().collect())
        }
        Value::Number(n) if rng.below(3) == 0 => {
            Value::from(n.as_i64().unwrap_or(0).wrapping_add(rng.below(5) as i64))
        }
        Value::Object(o) => {
            Value::Object(o.iter().map(|(k, x)| (k.clone(), vary(x, rng))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| vary(x, rng)).collect()),
        other => other.clone(),
    }
}

fn with_variants(base: Vec<Value>, copies: usize, seed: u64) -> Vec<Value> {
    let mut rng = diff::Rng(seed);
    let mut out = Vec::with_capacity(base.len() * (copies + 1));
    for e in &base {
        for _ in 0..copies {
            out.push(vary(e, &mut rng));
        }
    }
    out.extend(base);
    out
}

/// Timed passes over the events (`VS_RSIGMA_ROUNDS`, default 7). Times are this thread's
/// CPU time (wall-clock on a shared machine counts other processes' turns), wall-clock when
/// the platform has no thread clock. Within a pass the two engines take turns on chunks of
/// `CHUNK` events (which one goes first alternates, so neither always finds the chunk's
/// events in cache), so that what other processes do to caches falls on both alike; each
/// engine's fastest pass is reported.
fn rounds() -> usize {
    std::env::var("VS_RSIGMA_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(7)
}

const CHUNK: usize = 256;

/// Seconds `f` takes: this thread's CPU time, or wall-clock without a thread clock.
fn timed(f: impl FnOnce()) -> f64 {
    match cpu_time::ThreadTime::try_now() {
        Ok(t) => {
            f();
            t.try_elapsed().map_or(0.0, |d| d.as_secs_f64())
        }
        Err(_) => {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        }
    }
}

fn workload(label: &str, both: &diff::Both, events: &[Value]) -> String {
    let (mut ours_s, mut theirs_s) = (f64::INFINITY, f64::INFINITY);
    let mut ours: Vec<Vec<usize>> = Vec::new();
    let mut theirs_raw = Vec::new();
    let run_ours = |chunk: &[Value], out: &mut Vec<Vec<usize>>| {
        timed(|| out.extend(chunk.iter().map(|e| both.ours.matching(e))))
    };
    let run_theirs = |chunk: &[Value], out: &mut Vec<_>| {
        timed(|| {
            out.extend(chunk.iter().map(|e| {
                both.theirs
                    .evaluate(&rsigma_eval::event::JsonEvent::borrow(e))
            }))
        })
    };
    for _ in 0..rounds() {
        let (mut o_s, mut t_s) = (0.0, 0.0);
        let mut o = Vec::with_capacity(events.len());
        let mut t = Vec::with_capacity(events.len());
        for (i, chunk) in events.chunks(CHUNK).enumerate() {
            if i % 2 == 0 {
                o_s += run_ours(chunk, &mut o);
                t_s += run_theirs(chunk, &mut t);
            } else {
                t_s += run_theirs(chunk, &mut t);
                o_s += run_ours(chunk, &mut o);
            }
        }
        ours_s = ours_s.min(o_s);
        theirs_s = theirs_s.min(t_s);
        ours = o;
        theirs_raw = t;
    }
    let theirs: Vec<Vec<usize>> = theirs_raw
        .iter()
        .map(|rs| {
            let mut v: Vec<usize> = rs
                .iter()
                .filter_map(|r| {
                    r.header
                        .rule_id
                        .as_deref()
                        .and_then(|id| both.their_to_ours.get(id).copied())
                })
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    let (mut raw, mut explained, mut pairs) = (0usize, 0usize, 0usize);
    for ((o, t), e) in ours.iter().zip(&theirs).zip(events) {
        pairs += o.len();
        for (r, we) in o
            .iter()
            .filter(|r| t.binary_search(r).is_err())
            .map(|r| (*r, true))
            .chain(
                t.iter()
                    .filter(|r| o.binary_search(r).is_err())
                    .map(|r| (*r, false)),
            )
        {
            raw += 1;
            let file = both.ours.rules()[r]
                .file()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            let text = both.texts.get(&file).map_or("", String::as_str);
            if diff::explain(text, e, we).is_some() {
                explained += 1;
            }
        }
    }
    let n = events.len() as f64;
    let (x, y) = (n / ours_s, n / theirs_s);
    let st = both.ours.stats();
    let mut per_rule = vec![0usize; both.ours.len()];
    let mut candidates = 0usize;
    for e in events {
        for i in both.ours.candidate_indices(e) {
            per_rule[i] += 1;
            candidates += 1;
        }
    }
    let mut top: Vec<(usize, usize)> = per_rule.into_iter().enumerate().collect();
    top.sort_by_key(|t| std::cmp::Reverse(t.1));
    for (i, n) in top.iter().take(15) {
        println!(
            "  candidate {:5.1}% of events: {}",
            *n as f64 * 100.0 / events.len() as f64,
            both.ours.rules()[*i]
                .file()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
    }
    println!(
        "workload {label}: rules={} events={} rampart_matches={pairs} differences={raw} \
         (explained {explained}) rampart_s={ours_s:.3} rsigma_s={theirs_s:.3} \
         index: always={} never={} pairs={} fields={} literals={} exact={} keywords={} paths={} \
         mean_candidates={:.1}",
        both.ours.len(),
        events.len(),
        st.always,
        st.never,
        st.pairs,
        st.fields,
        st.literals,
        st.exact,
        st.keywords,
        st.paths,
        candidates as f64 / n,
    );
    format!(
        "rules={} events={} rampart_eps={x:.0} rsigma_eps={y:.0} ratio={:.2} same_matches={}",
        both.ours.len(),
        events.len(),
        x / y,
        raw == explained
    )
}

fn main() {
    let Some(root) = rampart_testkit::shared("sigma") else {
        println!("vs_rsigma: skipped (../shared/sigma is absent)");
        return;
    };
    let samples = rampart_testkit::shared("samples");

    // `VS_RSIGMA_WORKLOAD=identity|full` runs one workload only (for profiling).
    let only = std::env::var("VS_RSIGMA_WORKLOAD").ok();
    let run = |name: &str| only.as_deref().is_none_or(|o| o == name);

    // Identity rules over identity events.
    if run("identity") {
        identity(&root, samples.as_deref());
    }
    // The whole corpus over Windows-shaped events.
    if run("full") {
        full(&root);
    }
}

fn identity(root: &std::path::Path, samples: Option<&std::path::Path>) {
    let id_files = diff::read_rule_files(root, diff::is_identity);
    let id_both = diff::load_both(&id_files);
    let mut id_base = samples
        .map(diff::identity_sample_events)
        .unwrap_or_default();
    id_base.extend(diff::derived_events(&id_files, 4, 11));
    let id_events = with_variants(id_base, 15, 13);
    let line = workload("identity", &id_both, &id_events);
    println!("vs_rsigma[identity]: {line}");
}

fn full(root: &std::path::Path) {
    let files = diff::read_rule_files(root, |_| true);
    let both = diff::load_both(&files);
    let win_files: Vec<diff::RuleFile> =
        diff::read_rule_files(root, |rel| rel.contains("/windows/"));
    let mut base = diff::regression_events(root);
    base.extend(diff::derived_events(&win_files, 2, 17));
    let events = with_variants(base, 2, 19);
    let line = workload("full", &both, &events);
    println!("vs_rsigma: {line}");
}
