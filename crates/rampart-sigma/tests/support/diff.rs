//! Shared by `tests/differential.rs` and `benches/vs_rsigma.rs`: the SigmaHQ corpus loaded
//! into both engines (rampart-sigma and rsigma-eval), and deterministic event corpora.
//!
//! Field access is made equal for both engines: every event is a flat JSON object keyed by
//! the rules' own field names (Windows events are flattened from their EVTX-JSON rendering
//! the way `WinEventJson` resolves names), no field mapping on either side.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;

#[path = "files.rs"]
mod files;
use files::{corpus_files, files_with_ext};

use rampart_sigma::{CompileOptions, Rule, RuleSet, load_str};
use serde_json::{Map, Value, json};
use serde_yaml::Value as Yaml;

/// One rule file: its path (relative to the sigma root) and text.
pub struct RuleFile {
    pub rel: String,
    pub text: String,
}

/// Reads the rule files whose relative path passes `keep`.
pub fn read_rule_files(sigma_root: &Path, keep: impl Fn(&str) -> bool) -> Vec<RuleFile> {
    corpus_files(sigma_root)
        .into_iter()
        .filter_map(|p| {
            let rel = p
                .strip_prefix(sigma_root)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            if !keep(&rel) {
                return None;
            }
            let text = std::fs::read_to_string(&p).ok()?;
            Some(RuleFile { rel, text })
        })
        .collect()
}

/// Whether a relative rule path is one of the identity log sources.
pub fn is_identity(rel: &str) -> bool {
    ["/azure/", "/m365/", "/okta/", "/gworkspace/"]
        .iter()
        .any(|d| rel.contains(d))
}

/// The same rules in both engines, aligned by rule id.
pub struct Both {
    /// Our compiled rules (only rules both engines compiled), indexed.
    pub ours: RuleSet,
    /// Rule file (relative path) → text.
    pub texts: HashMap<String, String>,
    /// rsigma-eval's engine with the same rules.
    pub theirs: rsigma_eval::Engine,
    /// rsigma rule id → index into `ours`.
    pub their_to_ours: HashMap<String, usize>,
    /// Rules only we compiled, only rsigma compiled (rel path: title).
    pub only_ours: Vec<String>,
    pub only_theirs: Vec<String>,
    /// Ids several documents use (left out: results cannot be aligned).
    pub duplicated: Vec<String>,
}

/// Loads `files` into both engines (no field mapping, no placeholder values).
pub fn load_both(files: &[RuleFile]) -> Both {
    let opts = CompileOptions::default();
    let mut ours_by_id: HashMap<String, Rule> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut only_ours = Vec::new();
    let mut their_rules = Vec::new();
    let mut their_ids: Vec<String> = Vec::new();
    for f in files {
        let loaded = load_str(&f.text, Some(Path::new(&f.rel)), &opts);
        // Rules waiting for placeholder values (`expand` without values) load inactive and
        // match nothing: left out (rsigma keeps `%name%` as literal text).
        for r in loaded.rules.into_iter().filter(Rule::is_active) {
            if let Some(id) = r.meta().id.clone()
                && !ours_by_id.contains_key(&id)
            {
                order.push(id.clone());
                ours_by_id.insert(id, r);
            }
        }
        if let Ok(c) = rsigma_parser::parse_sigma_yaml(&f.text) {
            for r in c.rules {
                if let Some(id) = r.id.clone() {
                    their_ids.push(id);
                    their_rules.push(r);
                }
            }
        }
    }
    // An id used by several documents (SigmaHQ has a few, e.g. a rule and its placeholder
    // variant) cannot align results: leave those out of the comparison.
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for id in &their_ids {
        *seen.entry(id.as_str()).or_default() += 1;
    }
    let duplicated: std::collections::HashSet<String> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(id, _)| id.to_string())
        .collect();
    for id in &duplicated {
        ours_by_id.remove(id);
    }
    let mut theirs = rsigma_eval::Engine::new();
    let errors = theirs.add_rules(their_rules.iter());
    let failed: std::collections::HashSet<usize> = errors.iter().map(|(i, _)| *i).collect();
    let mut compiled_theirs: HashMap<String, ()> = HashMap::new();
    let mut only_theirs = Vec::new();
    for (i, id) in their_ids.iter().enumerate() {
        if failed.contains(&i) || duplicated.contains(id) {
            continue;
        }
        if ours_by_id.contains_key(id) {
            compiled_theirs.insert(id.clone(), ());
        } else {
            only_theirs.push(format!("{id} {}", their_rules[i].title));
        }
    }
    // Rebuild rsigma's engine with only the rules both compiled, in our order, so that
    // the two rule sets are the same.
    order.retain(|id| !duplicated.contains(id));
    let mut ours = Vec::new();
    let mut their_to_ours = HashMap::new();
    let mut keep_theirs = Vec::new();
    let by_id: HashMap<&str, &rsigma_parser::SigmaRule> = their_ids
        .iter()
        .zip(their_rules.iter())
        .enumerate()
        .filter(|(i, _)| !failed.contains(i))
        .map(|(_, (id, r))| (id.as_str(), r))
        .collect();
    for id in order {
        let Some(r) = ours_by_id.remove(&id) else {
            continue;
        };
        match by_id.get(id.as_str()) {
            Some(t) if compiled_theirs.contains_key(&id) => {
                their_to_ours.insert(id.clone(), ours.len());
                ours.push(r);
                keep_theirs.push(*t);
            }
            _ => only_ours.push(format!("{id} {}", r.meta().title)),
        }
    }
    let mut theirs = rsigma_eval::Engine::new();
    let errors = theirs.add_rules(keep_theirs);
    assert!(
        errors.is_empty(),
        "rsigma rejected a rule it compiled before"
    );
    Both {
        ours: RuleSet::new(ours),
        texts: files
            .iter()
            .map(|f| (f.rel.clone(), f.text.clone()))
            .collect(),
        theirs,
        their_to_ours,
        only_ours,
        only_theirs,
        duplicated: {
            let mut d: Vec<String> = duplicated.into_iter().collect();
            d.sort();
            d
        },
    }
}

impl Both {
    /// rsigma's matches on `event`, as indices into `ours`, sorted.
    pub fn theirs_on(&self, event: &Value) -> Vec<usize> {
        let e = rsigma_eval::event::JsonEvent::borrow(event);
        let mut v: Vec<usize> = self
            .theirs
            .evaluate(&e)
            .iter()
            .filter_map(|r| {
                r.header
                    .rule_id
                    .as_deref()
                    .and_then(|id| self.their_to_ours.get(id).copied())
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Reads concatenated JSON values from a file.
fn read_json_stream(path: &Path) -> Vec<Value> {
    let Ok(s) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    serde_json::Deserializer::from_str(&s)
        .into_iter::<Value>()
        .map_while(Result::ok)
        .collect()
}

fn text_of(v: &Value) -> Value {
    match v {
        Value::Object(o) => o.get("#text").cloned().unwrap_or(Value::Null),
        other => other.clone(),
    }
}

fn flatten_section(o: &Map<String, Value>, out: &mut Map<String, Value>) {
    for (k, v) in o {
        if k == "#attributes" {
            continue;
        }
        let name: String = k.chars().filter(|c| !c.is_whitespace()).collect();
        if let Some(attrs) = v.get("#attributes").and_then(Value::as_object) {
            for (a, av) in attrs {
                out.insert(format!("{name}_{a}"), av.clone());
            }
        }
        match v {
            Value::Object(inner) if !inner.contains_key("#text") => {}
            _ => {
                out.insert(name, text_of(v));
            }
        }
    }
}

/// A Windows event in EVTX-JSON rendering as one flat object under Sigma's names, with the
/// precedence `WinEventJson` uses (EventData over UserData over System).
pub fn flatten_windows(doc: &Value) -> Value {
    let ev = doc.get("Event").unwrap_or(doc);
    let mut out = Map::new();
    if let Some(sys) = ev.get("System").and_then(Value::as_object) {
        flatten_section(sys, &mut out);
    }
    if let Some(ud) = ev.get("UserData").and_then(Value::as_object) {
        for child in ud.values().filter_map(Value::as_object) {
            flatten_section(child, &mut out);
        }
        flatten_section(ud, &mut out);
    }
    if let Some(ed) = ev.get("EventData").and_then(Value::as_object) {
        flatten_section(ed, &mut out);
    }
    Value::Object(out)
}

/// The extensions of the JSON event files (documents, streams, lines).
const JSON_EXTS: &[&str] = &["json", "log", "ndjson"];

/// Every event of the regression data, flattened.
pub fn regression_events(sigma_root: &Path) -> Vec<Value> {
    let mut jsons = Vec::new();
    files_with_ext(&sigma_root.join("regression_data"), JSON_EXTS, &mut jsons);
    jsons
        .iter()
        .flat_map(|p| read_json_stream(p))
        .map(|d| flatten_windows(&d))
        .collect()
}

/// The identity sample records (Entra, O365, Okta, Google Workspace) as delivered: arrays
/// and Graph `value` lists are split into records.
pub fn identity_sample_events(samples_root: &Path) -> Vec<Value> {
    let mut files = Vec::new();
    for d in ["entra", "o365", "okta", "gworkspace"] {
        files_with_ext(&samples_root.join(d), JSON_EXTS, &mut files);
    }
    let mut out = Vec::new();
    for f in files {
        for v in read_json_stream(&f) {
            match v {
                Value::Array(a) => out.extend(a.into_iter().filter(Value::is_object)),
                Value::Object(mut o) => match o.remove("value") {
                    Some(Value::Array(a)) => out.extend(a.into_iter().filter(Value::is_object)),
                    Some(other) => {
                        o.insert("value".into(), other);
                        out.push(Value::Object(o));
                    }
                    None => out.push(Value::Object(o)),
                },
                _ => {}
            }
        }
    }
    out
}

/// A tiny deterministic generator (SplitMix64).
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// A Sigma string value made concrete: wildcards filled, escapes removed.
fn concrete(s: &str, rng: &mut Rng) -> String {
    let fills = ["", "x", "ab1", "Z"];
    let mut out = String::with_capacity(s.len() + 4);
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\\' if matches!(it.peek(), Some('*' | '?' | '\\')) => {
                out.push(it.next().unwrap_or('\\'));
            }
            '*' => out.push_str(fills[rng.below(fills.len())]),
            '?' => out.push('q'),
            c => out.push(c),
        }
    }
    out
}

fn flip_case(s: &str, rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => s.to_uppercase(),
        1 => s.to_lowercase(),
        _ => s.to_string(),
    }
}

fn scalar_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value that should satisfy `field|mods: v` (or come close), as JSON.
fn synth_value(mods: &[&str], v: &Yaml, rng: &mut Rng) -> Option<Value> {
    let has = |m: &str| mods.contains(&m);
    if has("exists") {
        return match v {
            Yaml::Bool(true) => Some(json!("present")),
            _ => None,
        };
    }
    if matches!(v, Yaml::Null) {
        return if rng.below(2) == 0 {
            Some(Value::Null)
        } else {
            None
        };
    }
    if has("fieldref") || has("expand") {
        return None;
    }
    if let Some(m) = ["gt", "gte", "lt", "lte"].iter().find(|m| has(m)) {
        let n = scalar_text(v)?.parse::<f64>().ok()?;
        let d = [0.0, 1.0, -1.0][rng.below(3)];
        let x = match *m {
            "gt" => n + 1.0 + d,
            "lt" => n - 1.0 + d,
            _ => n + d,
        };
        return Some(if rng.below(2) == 0 {
            json!(x)
        } else {
            json!(x.to_string())
        });
    }
    if has("cidr") {
        let s = scalar_text(v)?;
        let ip = s.split('/').next()?.to_string();
        let ip = if ip.contains(':') {
            format!("{ip}1")
        } else {
            let mut parts: Vec<&str> = ip.split('.').collect();
            if parts.len() == 4 && parts[3] == "0" {
                parts[3] = "7";
            }
            parts.join(".")
        };
        return Some(json!(ip));
    }
    if has("re") {
        // Literal text of the pattern, metacharacters dropped: matches only simple ones.
        let s = scalar_text(v)?;
        let lit: String = s
            .chars()
            .filter(|c| !"^$()[]{}|+*?.\\".contains(*c))
            .collect();
        return Some(json!(lit));
    }
    match v {
        Yaml::Number(n) if mods.is_empty() => {
            return Some(match rng.below(3) {
                0 => serde_json::to_value(n.as_f64().unwrap_or(0.0)).unwrap_or(Value::Null),
                1 => json!(n.to_string()),
                _ => match n.as_i64() {
                    Some(i) => json!(i),
                    None => json!(n.to_string()),
                },
            });
        }
        Yaml::Bool(b) if mods.is_empty() => {
            return Some(if rng.below(2) == 0 {
                json!(b)
            } else {
                json!(b.to_string())
            });
        }
        _ => {}
    }
    let raw = scalar_text(v)?;
    let mut s = concrete(&raw, rng);
    if has("base64") || has("base64offset") {
        // The rule looks for the encoding inside a larger string.
        use std::fmt::Write;
        let enc = simple_base64(s.as_bytes());
        s = String::new();
        let _ = write!(s, "powershell -enc {enc}");
        return Some(json!(s));
    }
    if has("windash") && rng.below(2) == 0 {
        s = s.replacen(" -", " /", 1);
    }
    if !has("cased") {
        s = flip_case(&s, rng);
    }
    if has("contains") {
        s = format!("pre {s} post");
    } else if has("startswith") {
        s = format!("{s} tail");
    } else if has("endswith") {
        s = format!("C:\\head\\{s}");
    }
    Some(json!(s))
}

fn simple_base64(b: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(char::from(T[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Adds what one selection needs to `event` (keywords go to a `Data` string).
fn synth_selection(sel: &Yaml, event: &mut Map<String, Value>, rng: &mut Rng) {
    match sel {
        Yaml::Mapping(m) => {
            for (k, v) in m {
                let Some(key) = k.as_str() else { continue };
                let mut parts = key.split('|');
                let field = parts.next().unwrap_or("").trim();
                let mods: Vec<&str> = parts.collect();
                let pick = match v {
                    Yaml::Sequence(s) if !s.is_empty() => &s[rng.below(s.len())],
                    Yaml::Sequence(_) => &Yaml::Null,
                    other => other,
                };
                let value = if mods.contains(&"all") {
                    // Every value must be there: join them.
                    let all: Vec<String> = match v {
                        Yaml::Sequence(s) => s.iter().filter_map(scalar_text).collect(),
                        other => scalar_text(other).into_iter().collect(),
                    };
                    Some(json!(format!(
                        "pre {} post",
                        all.iter()
                            .map(|a| concrete(a, rng))
                            .collect::<Vec<_>>()
                            .join(" mid ")
                    )))
                } else {
                    synth_value(&mods, pick, rng)
                };
                if field.is_empty() {
                    if let Some(Value::String(s)) = value {
                        event.insert("Data".into(), json!(s));
                    }
                    continue;
                }
                match value {
                    Some(v) => {
                        event.insert(field.to_string(), v);
                    }
                    None => {
                        event.remove(field);
                    }
                }
            }
        }
        Yaml::Sequence(items) if !items.is_empty() => {
            let x = &items[rng.below(items.len())];
            match x {
                Yaml::Mapping(_) | Yaml::Sequence(_) => synth_selection(x, event, rng),
                other => {
                    if let Some(s) = scalar_text(other) {
                        event.insert(
                            "Data".into(),
                            json!(format!("text {} more", concrete(&s, rng))),
                        );
                    }
                }
            }
        }
        other => {
            if let Some(s) = scalar_text(other) {
                event.insert("Data".into(), json!(concrete(&s, rng)));
            }
        }
    }
}

/// Events derived from a rule's detection: `variants` events per rule document, each the
/// union of its selections with values made concrete (wildcards filled, case varied,
/// list members and filters chosen at random, deterministically from `seed`). They
/// exercise every modifier with values close to the rules' own.
pub fn derived_events(files: &[RuleFile], variants: usize, seed: u64) -> Vec<Value> {
    let mut rng = Rng(seed);
    let mut out = Vec::new();
    for f in files {
        for doc in serde_yaml::Deserializer::from_str(&f.text) {
            let Ok(doc) = <Yaml as serde::Deserialize>::deserialize(doc) else {
                continue;
            };
            let Some(det) = doc.get("detection").and_then(Yaml::as_mapping) else {
                continue;
            };
            for v in 0..variants {
                let mut ev = Map::new();
                for (name, sel) in det {
                    let Some(name) = name.as_str() else { continue };
                    if name == "condition" || name == "timeframe" {
                        continue;
                    }
                    // Variant 0 leaves filters out (aims at a match); later variants
                    // include each filter with probability 1/2.
                    if name.starts_with("filter") && (v == 0 || rng.below(2) == 0) {
                        continue;
                    }
                    synth_selection(sel, &mut ev, &mut rng);
                }
                if !ev.is_empty() {
                    out.push(Value::Object(ev));
                }
            }
        }
    }
    out
}

/// Our matches on `event`, by evaluating every rule (no index), sorted.
pub fn ours_unindexed(rules: &[Rule], event: &Value) -> Vec<usize> {
    rules
        .iter()
        .enumerate()
        .filter(|(_, r)| r.matches(event))
        .map(|(i, _)| i)
        .collect()
}

/// Why the engines differ on (rule, event), when it is one of the known reasons (see the
/// crate README, "Differential test against rsigma-eval"). `ours` says which engine matched.
pub fn explain(rule_text: &str, event: &Value, ours: bool) -> Option<&'static str> {
    if !ours {
        return None;
    }
    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(rule_text) {
        let Ok(doc) = <Yaml as serde::Deserialize>::deserialize(doc) else {
            continue;
        };
        if let Some(det) = doc.get("detection") {
            collect_keys(det, &mut keys);
        }
    }
    let unescaped_wildcard = |s: &str| {
        let mut esc = false;
        for c in s.chars() {
            match c {
                '\\' => esc = !esc,
                '*' | '?' if !esc => return true,
                _ => esc = false,
            }
        }
        false
    };
    for (key, values) in &keys {
        let mods: Vec<&str> = key.split('|').skip(1).collect();
        if (mods.contains(&"startswith") || mods.contains(&"endswith"))
            && values.iter().any(|v| unescaped_wildcard(v))
        {
            return Some("anchored-inner-wildcard");
        }
        if key == "|all" {
            return Some("all-keywords");
        }
    }
    if let Some(o) = event.as_object() {
        for (key, _) in &keys {
            let field = key.split('|').next().unwrap_or("");
            let root = field.split('.').next().unwrap_or("");
            if o.keys().any(|k| k != root && k.eq_ignore_ascii_case(root)) {
                return Some("field-name-case");
            }
        }
    }
    None
}

fn collect_keys(v: &Yaml, out: &mut Vec<(String, Vec<String>)>) {
    match v {
        Yaml::Mapping(m) => {
            for (k, v) in m {
                if let Some(k) = k.as_str() {
                    let vals = match v {
                        Yaml::Sequence(s) => s.iter().filter_map(scalar_text).collect(),
                        other => scalar_text(other).into_iter().collect(),
                    };
                    out.push((k.to_string(), vals));
                }
                collect_keys(v, out);
            }
        }
        Yaml::Sequence(s) => s.iter().for_each(|x| collect_keys(x, out)),
        _ => {}
    }
}
