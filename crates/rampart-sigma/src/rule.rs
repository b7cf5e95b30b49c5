//! Rules: YAML documents → metadata plus a compiled detection.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_yaml::{Mapping, Value as Yaml};

use crate::condition::{self, Condition, Quantifier};
use crate::correlation::CorrelationRule;
use crate::detection::{self, Ctx, FieldMapper, Item, Placeholders, Targets};
use crate::error::{ErrorKind, RuleError};
use crate::event::Event;
use crate::mapping::{FieldMap, Mapped};
use crate::prefilter::Need;

/// The log source a rule applies to (used for routing, not matching).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct LogSource {
    /// e.g. `process_creation`.
    pub category: Option<String>,
    /// e.g. `windows`, `azure`.
    pub product: Option<String>,
    /// e.g. `signinlogs`.
    pub service: Option<String>,
}

/// A rule's metadata. `author` must be shown wherever a match is shown (DRL 1.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RuleMeta {
    /// `id` (usually a UUID).
    pub id: Option<String>,
    /// `title`.
    pub title: String,
    /// `status`.
    pub status: Option<String>,
    /// `level`.
    pub level: Option<String>,
    /// `tags` (e.g. `attack.t1078`).
    pub tags: Vec<String>,
    /// `author`.
    pub author: Option<String>,
    /// `logsource`.
    pub logsource: LogSource,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// `references`.
    pub references: Vec<String>,
    /// `date`.
    pub date: Option<String>,
    /// `modified`.
    pub modified: Option<String>,
    /// `name` (a unique human-readable name, usable instead of `id` in correlations).
    pub name: Option<String>,
    /// `description`.
    pub description: Option<String>,
}

/// What loading does with a rule whose `expand` placeholders have no values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum UnresolvedPlaceholders {
    /// The rule loads **inactive**: fully compiled (every modifier and the condition are
    /// checked) but it matches nothing, and [`Rule::unresolved_placeholders`] names the
    /// placeholders to configure. A warning is logged. The default: a deployment sees the
    /// rule and what it needs, instead of losing it; and no part of it runs with a
    /// meaning its author did not write (a placeholder in a `not filter` clause that
    /// matched nothing would make the rule fire on everything the filter should exclude).
    #[default]
    LoadInactive,
    /// The rule is rejected with [`ErrorKind::UnresolvedPlaceholder`].
    Reject,
}

/// How rules are compiled.
#[derive(Default)]
#[non_exhaustive]
pub struct CompileOptions {
    /// Values for `expand` placeholders.
    pub placeholders: Option<Box<dyn Placeholders + Send + Sync>>,
    /// Field mappings; those whose log source matches a rule's apply to it, in order.
    pub field_maps: Vec<FieldMap>,
    /// What happens to a rule using a placeholder with no values (default: it loads
    /// inactive). Filters with an unresolved placeholder are always rejected.
    pub unresolved_placeholders: UnresolvedPlaceholders,
}

impl std::fmt::Debug for CompileOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileOptions")
            .field("placeholders", &self.placeholders.is_some())
            .field("field_maps", &self.field_maps)
            .field("unresolved_placeholders", &self.unresolved_placeholders)
            .finish()
    }
}

impl CompileOptions {
    /// Options with these placeholder values.
    pub fn with_placeholders(p: impl Placeholders + Send + Sync + 'static) -> Self {
        CompileOptions {
            placeholders: Some(Box::new(p)),
            field_maps: Vec::new(),
            unresolved_placeholders: UnresolvedPlaceholders::default(),
        }
    }

    /// Sets what happens to rules with unresolved placeholders.
    pub fn with_unresolved_placeholders(mut self, policy: UnresolvedPlaceholders) -> Self {
        self.unresolved_placeholders = policy;
        self
    }

    /// Adds a field mapping (after those already present).
    pub fn with_field_map(mut self, map: FieldMap) -> Self {
        self.field_maps.push(map);
        self
    }
}

struct NoPlaceholders;
impl Placeholders for NoPlaceholders {
    fn resolve(&self, _: &str) -> Option<Vec<String>> {
        None
    }
}

/// Resolves through `inner`; an unknown placeholder is recorded and stands for itself, so
/// the rule still compiles (it is then made inactive).
struct Recording<'a> {
    inner: &'a dyn Placeholders,
    missing: std::cell::RefCell<Vec<String>>,
}

impl Placeholders for Recording<'_> {
    fn resolve(&self, name: &str) -> Option<Vec<String>> {
        match self.inner.resolve(name).filter(|v| !v.is_empty()) {
            Some(v) => Some(v),
            None => {
                let mut m = self.missing.borrow_mut();
                if !m.iter().any(|x| x == name) {
                    m.push(name.to_string());
                }
                Some(vec![format!("%{name}%")])
            }
        }
    }
}

#[derive(Debug)]
enum Det {
    Item(Item),
    All(Vec<Det>),
    Any(Vec<Det>),
}

impl Det {
    fn need(&self) -> Need {
        match self {
            Det::Item(i) => i.need(),
            Det::All(v) => Need::all_of(v.iter().map(Det::need)),
            Det::Any(v) => Need::any_of(v.iter().map(Det::need)),
        }
    }

    /// A necessary condition for the selection *not* to match.
    fn neg_need(&self) -> Need {
        match self {
            Det::Item(i) => i.neg_need(),
            Det::All(v) => Need::any_of(v.iter().map(Det::neg_need)),
            Det::Any(v) => Need::all_of(v.iter().map(Det::neg_need)),
        }
    }

    fn matches(&self, e: Ctx<'_, '_>) -> bool {
        match self {
            Det::Item(i) => i.matches(e),
            Det::All(v) => v.iter().all(|d| d.matches(e)),
            Det::Any(v) => v.iter().any(|d| d.matches(e)),
        }
    }

    fn targets_mut(&mut self, f: &mut dyn FnMut(&mut Targets)) {
        match self {
            Det::Item(i) => i.targets_mut(f),
            Det::All(v) | Det::Any(v) => v.iter_mut().for_each(|d| d.targets_mut(f)),
        }
    }
}

#[derive(Debug)]
enum Expr {
    Sel(usize),
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    AtLeast(usize, Vec<usize>),
}

/// A compiled detection: selections and the condition over them.
#[derive(Debug)]
struct Detection {
    selections: Vec<Det>,
    condition: Expr,
}

impl Detection {
    fn need(&self) -> Need {
        self.expr_need(&self.condition)
    }

    fn sel_need(&self, i: usize) -> Need {
        self.selections.get(i).map_or(Need::never(), Det::need)
    }

    fn expr_need(&self, x: &Expr) -> Need {
        match x {
            Expr::Sel(i) => self.sel_need(*i),
            Expr::Not(x) => self.expr_neg_need(x),
            Expr::And(v) => Need::all_of(v.iter().map(|x| self.expr_need(x))),
            Expr::Or(v) => Need::any_of(v.iter().map(|x| self.expr_need(x))),
            Expr::AtLeast(k, ids) if *k > ids.len() => Need::never(),
            Expr::AtLeast(k, ids) if *k == ids.len() => {
                Need::all_of(ids.iter().map(|i| self.sel_need(*i)))
            }
            Expr::AtLeast(_, ids) => Need::any_of(ids.iter().map(|i| self.sel_need(*i))),
        }
    }

    /// A necessary condition for `x` *not* to hold.
    fn expr_neg_need(&self, x: &Expr) -> Need {
        let neg = |i: &usize| self.selections.get(*i).map_or(Need::Any, Det::neg_need);
        match x {
            Expr::Sel(i) => neg(i),
            Expr::Not(x) => self.expr_need(x),
            Expr::And(v) => Need::any_of(v.iter().map(|x| self.expr_neg_need(x))),
            Expr::Or(v) => Need::all_of(v.iter().map(|x| self.expr_neg_need(x))),
            // Never true: its negation always is.
            Expr::AtLeast(k, ids) if *k > ids.len() => Need::Any,
            // Fewer than one (or zero) of them: all fail.
            Expr::AtLeast(k, ids) if *k <= 1 => Need::all_of(ids.iter().map(neg)),
            // Fewer than k of them: at least one fails.
            Expr::AtLeast(_, ids) => Need::any_of(ids.iter().map(neg)),
        }
    }

    fn matches(&self, e: Ctx<'_, '_>) -> bool {
        self.eval(&self.condition, e)
    }

    fn eval(&self, x: &Expr, e: Ctx<'_, '_>) -> bool {
        match x {
            Expr::Sel(i) => self.selections.get(*i).is_some_and(|d| d.matches(e)),
            Expr::Not(x) => !self.eval(x, e),
            Expr::And(v) => v.iter().all(|x| self.eval(x, e)),
            Expr::Or(v) => v.iter().any(|x| self.eval(x, e)),
            Expr::AtLeast(k, v) => {
                let mut n = 0;
                for i in v {
                    if self.selections.get(*i).is_some_and(|d| d.matches(e)) {
                        n += 1;
                        if n >= *k {
                            return true;
                        }
                    }
                }
                false
            }
        }
    }
}

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    meta: RuleMeta,
    file: Option<PathBuf>,
    detection: Detection,
    /// Placeholders without values: non-empty means the rule is inactive.
    unresolved: Vec<String>,
    /// Filters applied to this rule: each one's condition must hold too.
    filters: Vec<Arc<Detection>>,
}

impl Rule {
    /// The rule's metadata.
    pub fn meta(&self) -> &RuleMeta {
        &self.meta
    }

    /// The file it came from, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Whether the rule is active: false when it uses `expand` placeholders that have no
    /// values (see [`UnresolvedPlaceholders::LoadInactive`]); an inactive rule matches nothing.
    pub fn is_active(&self) -> bool {
        self.unresolved.is_empty()
    }

    /// The placeholders (names without `%`) this rule needs values for before it can run;
    /// empty for an active rule.
    pub fn unresolved_placeholders(&self) -> &[String] {
        &self.unresolved
    }

    /// A necessary condition for the rule to match: the pre-filter's view of it.
    pub(crate) fn need(&self) -> Need {
        Need::all_of(
            std::iter::once(self.detection.need()).chain(self.filters.iter().map(|f| f.need())),
        )
    }

    /// Whether the rule (with the filters applied to it) matches the event. Never panics.
    pub fn matches(&self, event: &dyn Event) -> bool {
        self.matches_in(Ctx::direct(event))
    }

    /// [`Rule::matches`] reading fields through `ctx` (a rule set's per-event values).
    pub(crate) fn matches_in(&self, ctx: Ctx<'_, '_>) -> bool {
        self.detection.matches(ctx) && self.filters.iter().all(|f| f.matches(ctx))
    }

    /// Calls `f` on every field the rule's own detection reads (not its filters', which
    /// may be shared with rules of other sets).
    pub(crate) fn targets_mut(&mut self, f: &mut dyn FnMut(&mut Targets)) {
        for d in &mut self.detection.selections {
            d.targets_mut(f);
        }
    }

    /// Applies `filter` when it targets this rule (see [`Filter::applies_to`]); returns
    /// whether it did. The rule then matches only when the filter's condition holds too.
    pub fn add_filter(&mut self, filter: &Filter) -> bool {
        if filter.applies_to(self) {
            self.filters.push(Arc::clone(&filter.detection));
            true
        } else {
            false
        }
    }

    /// How many filters apply to this rule.
    pub fn filter_count(&self) -> usize {
        self.filters.len()
    }
}

/// Which rules a filter applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FilterTargets {
    /// `rules: any`: every rule whose log source the filter's contains.
    Any,
    /// Rules by `id` or `name`.
    Rules(Vec<String>),
}

/// A Sigma filter document (pySigma semantics): for each rule it targets whose log source
/// falls within the filter's, the rule's condition becomes `(rule) and (filter)`. So the
/// filter's condition says what to keep: an exclusion is written `condition: not selection`.
#[derive(Debug)]
pub struct Filter {
    /// `id`.
    pub id: Option<String>,
    /// `title`.
    pub title: String,
    /// `logsource`: a rule qualifies when every key set here is equal in the rule's.
    pub logsource: LogSource,
    /// `filter.rules`.
    pub targets: FilterTargets,
    file: Option<PathBuf>,
    detection: Arc<Detection>,
}

impl Filter {
    /// The file it came from, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// Whether the filter applies to `rule`: the rule's log source is within the filter's,
    /// and the rule's id or name is listed (or the filter says `any`).
    pub fn applies_to(&self, rule: &Rule) -> bool {
        let within = |want: &Option<String>, have: &Option<String>| match (want, have) {
            (None, _) => true,
            (Some(w), Some(h)) => w.eq_ignore_ascii_case(h),
            (Some(_), None) => false,
        };
        let ls = &rule.meta.logsource;
        let in_scope = within(&self.logsource.category, &ls.category)
            && within(&self.logsource.product, &ls.product)
            && within(&self.logsource.service, &ls.service);
        in_scope
            && match &self.targets {
                FilterTargets::Any => true,
                FilterTargets::Rules(list) => list.iter().any(|t| {
                    rule.meta.id.as_deref() == Some(t.as_str())
                        || rule.meta.name.as_deref() == Some(t.as_str())
                }),
            }
    }
}

/// Applies every filter to every rule it targets; returns how many (rule, filter) pairs.
pub fn apply_filters(rules: &mut [Rule], filters: &[Filter]) -> usize {
    let mut n = 0;
    for r in rules.iter_mut() {
        for f in filters {
            if r.add_filter(f) {
                n += 1;
            }
        }
    }
    n
}

/// The outcome of loading one file: the rules that compiled and the documents rejected.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Loaded {
    /// Compiled rules.
    pub rules: Vec<Rule>,
    /// Compiled filter documents (not yet applied: see [`apply_filters`]).
    pub filters: Vec<Filter>,
    /// Correlation documents (evaluated by a [`crate::Correlator`] built from them and the
    /// rules).
    pub correlations: Vec<CorrelationRule>,
    /// Rejected documents, each with file, line and reason.
    pub errors: Vec<RuleError>,
}

/// Splits YAML text into documents at `---` lines; returns (first line, text).
fn split_documents(src: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut cur = String::new();
    let mut start = 1;
    for (i, line) in src.lines().enumerate() {
        let t = line.trim_end();
        if t == "---" || t.starts_with("--- ") {
            if !cur.trim().is_empty() {
                docs.push((start, std::mem::take(&mut cur)));
            }
            cur.clear();
            start = i + 2;
            continue;
        }
        if t == "..." {
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
    }
    if !cur.trim().is_empty() {
        docs.push((start, cur));
    }
    docs
}

/// The 1-based line (in the file) of `needle` in `doc`, which starts at line `start`:
/// looked for first from the `detection:` line on (where detection keys live), then anywhere.
fn find_line(doc: &str, start: usize, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let lines: Vec<&str> = doc.lines().collect();
    let det = lines
        .iter()
        .position(|l| l.starts_with("detection:"))
        .unwrap_or(0);
    let find = |from: usize| {
        lines
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, l)| {
                let t = l.trim_start().trim_start_matches("- ");
                t.starts_with(needle)
                    || t.starts_with(&format!("'{needle}'"))
                    || t.starts_with(&format!("\"{needle}\""))
            })
            .map(|(i, _)| start + i)
    };
    find(det).or_else(|| find(0)).or_else(|| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .map(|i| start + i)
    })
}

fn merge(base: &Yaml, over: &Yaml) -> Yaml {
    match (base, over) {
        (Yaml::Mapping(b), Yaml::Mapping(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                let merged = match out.get(k) {
                    Some(bv) => merge(bv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Yaml::Mapping(out)
        }
        (_, o) => o.clone(),
    }
}

/// Parses and compiles every rule in a YAML text (one or more documents).
pub fn load_str(src: &str, file: Option<&Path>, opts: &CompileOptions) -> Loaded {
    let mut out = Loaded::default();
    let mut global: Option<Yaml> = None;
    let mut previous: Option<Yaml> = None;
    for (index, (start, text)) in split_documents(src).into_iter().enumerate() {
        let err = |kind: ErrorKind, line: Option<usize>| RuleError {
            file: file.map(Path::to_path_buf),
            line,
            document: index,
            kind,
        };
        let doc: Yaml = match serde_yaml::from_str(&text) {
            Ok(d) => d,
            Err(e) => {
                let line = e.location().map(|l| start + l.line().saturating_sub(1));
                out.errors.push(err(ErrorKind::Yaml(e.to_string()), line));
                continue;
            }
        };
        if matches!(doc, Yaml::Null) {
            continue;
        }
        let action = doc.get("action").and_then(Yaml::as_str).map(str::to_string);
        let doc = match action.as_deref() {
            Some("global") => {
                let mut d = doc.clone();
                if let Some(m) = d.as_mapping_mut() {
                    m.remove("action");
                }
                global = Some(d);
                continue;
            }
            Some("reset") => {
                global = None;
                continue;
            }
            Some("repeat") => {
                let mut d = doc.clone();
                if let Some(m) = d.as_mapping_mut() {
                    m.remove("action");
                }
                match &previous {
                    Some(p) => merge(p, &d),
                    None => {
                        out.errors.push(err(
                            ErrorKind::Structure(
                                "`action: repeat` with no previous document".into(),
                            ),
                            Some(start),
                        ));
                        continue;
                    }
                }
            }
            Some(other) => {
                out.errors.push(err(
                    ErrorKind::Structure(format!("unknown `action: {other}`")),
                    find_line(&text, start, "action"),
                ));
                continue;
            }
            None => match &global {
                Some(g) => merge(g, &doc),
                None => doc,
            },
        };
        previous = Some(doc.clone());
        match compile_doc(&doc, opts) {
            Ok(Doc::Rule(meta, detection, unresolved)) => {
                if !unresolved.is_empty() {
                    tracing::warn!(
                        file = %file.map(|f| f.display().to_string()).unwrap_or_default(),
                        line = start,
                        rule = %meta.title,
                        placeholders = %unresolved.join(", "),
                        "rule loaded inactive: no values for its placeholders"
                    );
                }
                out.rules.push(Rule {
                    meta: *meta,
                    file: file.map(Path::to_path_buf),
                    detection,
                    unresolved,
                    filters: Vec::new(),
                })
            }
            Ok(Doc::Filter(mut f)) => {
                f.file = file.map(Path::to_path_buf);
                out.filters.push(f);
            }
            Ok(Doc::Correlation(mut c)) => {
                c.file = file.map(Path::to_path_buf);
                c.line = Some(start);
                c.document = index;
                out.correlations.push(*c);
            }
            Err((kind, needle)) => {
                let line = needle
                    .as_deref()
                    .and_then(|n| find_line(&text, start, n))
                    .or(Some(start));
                out.errors.push(err(kind, line));
            }
        }
    }
    out
}

/// Reads and loads one file.
pub fn load_file(path: &Path, opts: &CompileOptions) -> Loaded {
    match std::fs::read_to_string(path) {
        Ok(s) => load_str(&s, Some(path), opts),
        Err(e) => Loaded {
            rules: Vec::new(),
            filters: Vec::new(),
            correlations: Vec::new(),
            errors: vec![RuleError {
                file: Some(path.to_path_buf()),
                line: None,
                document: 0,
                kind: ErrorKind::Io(e.to_string()),
            }],
        },
    }
}

/// Loads every `*.yml` / `*.yaml` file under `dir` (recursively, in path order). Files that
/// cannot be read are reported as errors; symbolic links to directories are not followed.
pub fn load_dir(dir: &Path, opts: &CompileOptions) -> Loaded {
    let mut files = Vec::new();
    let mut out = Loaded::default();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = match std::fs::read_dir(&d) {
            Ok(rd) => rd,
            Err(e) => {
                out.errors.push(RuleError {
                    file: Some(d.clone()),
                    line: None,
                    document: 0,
                    kind: ErrorKind::Io(e.to_string()),
                });
                continue;
            }
        };
        for entry in rd.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("yml") || e.eq_ignore_ascii_case("yaml"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    for f in files {
        let l = load_file(&f, opts);
        out.rules.extend(l.rules);
        out.filters.extend(l.filters);
        out.correlations.extend(l.correlations);
        out.errors.extend(l.errors);
    }
    out
}

/// Compiles a single rule from YAML text; the first error if it is not exactly one rule.
pub fn compile_rule(src: &str) -> Result<Rule, RuleError> {
    let mut l = load_str(src, None, &CompileOptions::default());
    if let Some(e) = l.errors.pop() {
        return Err(e);
    }
    match (l.rules.pop(), l.rules.is_empty()) {
        (Some(r), true) => Ok(r),
        _ => Err(RuleError::new(ErrorKind::Structure(
            "expected exactly one rule".into(),
        ))),
    }
}

type Located = (ErrorKind, Option<String>);

fn s(doc: &Yaml, key: &str) -> Option<String> {
    match doc.get(key)? {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn list(doc: &Yaml, key: &str) -> Vec<String> {
    match doc.get(key) {
        Some(Yaml::Sequence(v)) => v
            .iter()
            .filter_map(|x| match x {
                Yaml::String(s) => Some(s.clone()),
                Yaml::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Yaml::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn structure(msg: impl Into<String>, needle: Option<&str>) -> Located {
    (ErrorKind::Structure(msg.into()), needle.map(str::to_string))
}

enum Doc {
    /// A rule, and the placeholders it lacks values for.
    Rule(Box<RuleMeta>, Detection, Vec<String>),
    Filter(Filter),
    Correlation(Box<CorrelationRule>),
}

fn compile_doc(doc: &Yaml, opts: &CompileOptions) -> Result<Doc, Located> {
    if !doc.is_mapping() {
        return Err(structure("a rule must be a YAML mapping", None));
    }
    let title = s(doc, "title").ok_or_else(|| structure("missing `title`", None))?;
    let correlation = doc.get("correlation").is_some();
    let logsource = match doc.get("logsource") {
        _ if correlation => LogSource::default(),
        Some(Yaml::Mapping(_)) => {
            let ls = doc.get("logsource");
            let f = |k: &str| ls.and_then(|l| s(l, k));
            LogSource {
                category: f("category"),
                product: f("product"),
                service: f("service"),
            }
        }
        _ => return Err(structure("missing `logsource` (a mapping)", Some("title"))),
    };
    let meta = RuleMeta {
        id: s(doc, "id"),
        title,
        status: s(doc, "status"),
        level: s(doc, "level"),
        tags: list(doc, "tags"),
        author: s(doc, "author"),
        logsource,
        falsepositives: list(doc, "falsepositives"),
        references: list(doc, "references"),
        date: s(doc, "date"),
        modified: s(doc, "modified"),
        name: s(doc, "name"),
        description: s(doc, "description"),
    };
    if correlation {
        return crate::correlation::parse(doc, meta).map(|c| Doc::Correlation(Box::new(c)));
    }
    if let (Some(f), None) = (doc.get("filter"), doc.get("detection")) {
        let Yaml::Mapping(fm) = f else {
            return Err(structure("`filter` must be a mapping", Some("filter")));
        };
        let targets = match fm.get("rules") {
            Some(Yaml::String(a)) if a.eq_ignore_ascii_case("any") => FilterTargets::Any,
            Some(Yaml::String(one)) => FilterTargets::Rules(vec![one.clone()]),
            Some(Yaml::Sequence(v)) => FilterTargets::Rules(
                v.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect(),
            ),
            _ => {
                return Err(structure(
                    "`filter.rules` must be a list of rule ids or names, or `any`",
                    Some("filter"),
                ));
            }
        };
        let mut det = fm.clone();
        det.remove("rules");
        let detection = compile_detection(&det, &meta.logsource, opts, false)?.0;
        return Ok(Doc::Filter(Filter {
            id: meta.id,
            title: meta.title,
            logsource: meta.logsource,
            targets,
            file: None,
            detection: Arc::new(detection),
        }));
    }
    let Some(Yaml::Mapping(det)) = doc.get("detection") else {
        return Err(structure("missing `detection` (a mapping)", Some("title")));
    };
    let inactive_ok = opts.unresolved_placeholders == UnresolvedPlaceholders::LoadInactive;
    let (detection, unresolved) = compile_detection(det, &meta.logsource, opts, inactive_ok)?;
    Ok(Doc::Rule(Box::new(meta), detection, unresolved))
}

/// Compiles a detection mapping (search identifiers and `condition`). With `inactive_ok`,
/// placeholders without values do not reject it: it compiles to a detection that matches
/// nothing, and their names are returned.
fn compile_detection(
    det: &Mapping,
    logsource: &LogSource,
    opts: &CompileOptions,
    inactive_ok: bool,
) -> Result<(Detection, Vec<String>), Located> {
    let none = NoPlaceholders;
    let given: &dyn Placeholders = match &opts.placeholders {
        Some(p) => p.as_ref(),
        None => &none,
    };
    let recording = Recording {
        inner: given,
        missing: std::cell::RefCell::new(Vec::new()),
    };
    let ph: &dyn Placeholders = if inactive_ok { &recording } else { given };
    let maps: Vec<&FieldMap> = opts
        .field_maps
        .iter()
        .filter(|m| m.applies_to(logsource))
        .collect();
    let mapper = |f: &str| -> Mapped {
        maps.iter()
            .find_map(|m| m.targets(f))
            .unwrap_or_else(|| Mapped::identity(f))
    };
    let map: FieldMapper<'_> = &mapper;
    let mut names = Vec::new();
    let mut selections = Vec::new();
    let mut cond_src: Option<&Yaml> = None;
    for (k, v) in det {
        let Some(name) = k.as_str() else {
            return Err(structure(
                "a search identifier must be a string",
                Some("detection"),
            ));
        };
        if name == "condition" {
            cond_src = Some(v);
            continue;
        }
        if name == "timeframe" {
            return Err((
                ErrorKind::Unsupported("`timeframe` (v1 aggregation) is obsolete".into()),
                Some("timeframe".into()),
            ));
        }
        let d = compile_selection(name, v, ph, map, 0)?;
        names.push(name.to_string());
        selections.push(d);
    }
    let cond_src =
        cond_src.ok_or_else(|| structure("missing `detection.condition`", Some("detection")))?;
    let conds: Vec<String> = match cond_src {
        Yaml::String(s) => vec![s.clone()],
        Yaml::Sequence(v) => v
            .iter()
            .map(|c| c.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| {
                structure(
                    "`condition` must be a string or a list of strings",
                    Some("condition"),
                )
            })?,
        _ => return Err(structure("`condition` must be a string", Some("condition"))),
    };
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut exprs = Vec::new();
    for c in &conds {
        let ast = condition::parse(c)
            .map_err(|e| (ErrorKind::Condition(e), Some("condition".to_string())))?;
        exprs.push(resolve(&ast, &names, &index)?);
    }
    let condition = if exprs.len() == 1 {
        exprs.remove(0)
    } else {
        Expr::Or(exprs)
    };
    let missing = recording.missing.into_inner();
    if !missing.is_empty() {
        // Inactive: an empty OR matches nothing.
        return Ok((
            Detection {
                selections: Vec::new(),
                condition: Expr::Or(Vec::new()),
            },
            missing,
        ));
    }
    Ok((
        Detection {
            selections,
            condition,
        },
        missing,
    ))
}

fn glob_names(pattern: &str, names: &[String]) -> Vec<usize> {
    let pieces: Vec<&str> = pattern.split('*').collect();
    let hidden_ok = pattern.starts_with('_');
    names
        .iter()
        .enumerate()
        .filter(|(_, n)| hidden_ok || !n.starts_with('_'))
        .filter(|(_, n)| simple_glob(&pieces, n))
        .map(|(i, _)| i)
        .collect()
}

fn simple_glob(pieces: &[&str], s: &str) -> bool {
    let (Some(first), Some(last)) = (pieces.first(), pieces.last()) else {
        return false;
    };
    if pieces.len() == 1 {
        return s == *first;
    }
    if !s.starts_with(first) || s.len() < first.len() + last.len() || !s.ends_with(last) {
        return false;
    }
    let mut rest = &s[first.len()..s.len() - last.len()];
    for p in &pieces[1..pieces.len() - 1] {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    true
}

fn resolve(c: &Condition, names: &[String], index: &HashMap<&str, usize>) -> Result<Expr, Located> {
    let cerr = |m: String| (ErrorKind::Condition(m), Some("condition".to_string()));
    Ok(match c {
        Condition::Ident(n) => Expr::Sel(
            *index
                .get(n.as_str())
                .ok_or_else(|| cerr(format!("unknown search identifier `{n}`")))?,
        ),
        Condition::Not(x) => Expr::Not(Box::new(resolve(x, names, index)?)),
        Condition::And(v) => Expr::And(
            v.iter()
                .map(|x| resolve(x, names, index))
                .collect::<Result<_, _>>()?,
        ),
        Condition::Or(v) => Expr::Or(
            v.iter()
                .map(|x| resolve(x, names, index))
                .collect::<Result<_, _>>()?,
        ),
        Condition::Of(q, pat) => {
            let ids = match pat {
                None => glob_names("*", names),
                Some(p) => glob_names(p, names),
            };
            if ids.is_empty() {
                return Err(cerr(format!(
                    "`{}` matches no search identifier",
                    pat.as_deref().unwrap_or("them")
                )));
            }
            let k = match q {
                Quantifier::All => ids.len(),
                Quantifier::AtLeast(k) => *k,
            };
            Expr::AtLeast(k, ids)
        }
    })
}

const MAX_DEPTH: usize = 32;

fn compile_selection(
    name: &str,
    v: &Yaml,
    ph: &dyn Placeholders,
    map: FieldMapper<'_>,
    depth: usize,
) -> Result<Det, Located> {
    if depth > MAX_DEPTH {
        return Err(structure(
            format!("selection `{name}` is nested too deeply"),
            Some(name),
        ));
    }
    let at = |k: ErrorKind, needle: &str| (k, Some(needle.to_string()));
    match v {
        Yaml::Mapping(m) => compile_map(name, m, ph, map),
        Yaml::Sequence(items) if items.iter().any(|x| x.is_mapping() || x.is_sequence()) => {
            let mut out = Vec::new();
            let mut keywords = Vec::new();
            for x in items {
                match x {
                    Yaml::Mapping(_) | Yaml::Sequence(_) => {
                        out.push(compile_selection(name, x, ph, map, depth + 1)?)
                    }
                    other => keywords.push(other.clone()),
                }
            }
            if !keywords.is_empty() {
                let item = detection::compile_item("", &Yaml::Sequence(keywords), ph, map)
                    .map_err(|k| at(k, name))?;
                out.push(Det::Item(item));
            }
            Ok(Det::Any(out))
        }
        Yaml::Sequence(_) | Yaml::String(_) | Yaml::Number(_) | Yaml::Bool(_) => {
            let item = detection::compile_item("", v, ph, map).map_err(|k| at(k, name))?;
            Ok(Det::Item(item))
        }
        Yaml::Null => Err(structure(
            format!("selection `{name}` is empty"),
            Some(name),
        )),
        Yaml::Tagged(t) => compile_selection(name, &t.value, ph, map, depth + 1),
    }
}

fn compile_map(
    name: &str,
    m: &Mapping,
    ph: &dyn Placeholders,
    map: FieldMapper<'_>,
) -> Result<Det, Located> {
    if m.is_empty() {
        return Err(structure(
            format!("selection `{name}` is empty"),
            Some(name),
        ));
    }
    let mut items = Vec::with_capacity(m.len());
    for (k, v) in m {
        let key = match k {
            Yaml::String(s) => s.clone(),
            Yaml::Number(n) => n.to_string(),
            Yaml::Null => String::new(),
            _ => {
                return Err(structure(
                    format!("a field name in `{name}` must be a string"),
                    Some(name),
                ));
            }
        };
        let item =
            detection::compile_item(&key, v, ph, map).map_err(|kind| (kind, Some(key.clone())))?;
        items.push(Det::Item(item));
    }
    Ok(if items.len() == 1 {
        items.remove(0)
    } else {
        Det::All(items)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_rules_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Rule>();
        assert_send_sync::<RuleError>();
    }

    #[test]
    fn documents_split_on_marker_lines_only() {
        let d = split_documents("a: 1\n---\nb: '---'\n--- # c\nc: 3\n...\n");
        assert_eq!(d.len(), 3);
        assert_eq!(d[1], (3, "b: '---'\n".to_string()));
        assert_eq!(d[2].0, 5);
    }
}
