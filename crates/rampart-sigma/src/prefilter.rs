//! A compiled rule set with a candidate index, so that an event is evaluated only against
//! the rules it could match.
//!
//! Each rule is reduced, at build time, to a *necessary condition* ([`Need`]): an OR of
//! atoms, at least one of which holds on every event the rule matches. The atoms are
//! - a field is present ([`Atom::Present`]),
//! - a field's text contains a literal ([`Atom::Literal`]; the longest literal of a string
//!   pattern, in the folded form the matcher compares),
//! - some string of the event contains a literal ([`Atom::Keyword`], keyword searches).
//!
//! `and` keeps the cheapest child's condition (any one child is necessary), `or` unions its
//! children, `not`, `null`, `exists: false` and implied field values make a rule
//! unconstrained ([`Need::Any`]): such rules are always evaluated.
//!
//! Per event, the index reads each indexed field once, runs one Aho-Corasick automaton per
//! field over its text (plus one over every string, for keywords), and marks the rules whose
//! atoms hold. Only marked rules and the always-evaluated ones are then matched, in rule
//! order. The index over-approximates: it may select a rule that then does not match, never
//! skip one that would.

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::detection::Targets;
use crate::event::{Event, FieldValue};
use crate::pattern::fold;
use crate::rule::Rule;

/// One fact a rule needs from an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Atom {
    /// The field (its event paths, tried in order) is present.
    Present(Vec<String>),
    /// The field's folded text contains the literal.
    Literal(Vec<String>, String),
    /// Some string (or number's text) of the event, folded, contains the literal.
    Keyword(String),
}

/// A necessary condition: `Any` (none known), or an OR of atoms (empty: never matches).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Need {
    Any,
    OneOf(Vec<Atom>),
}

impl Need {
    pub(crate) fn one(a: Atom) -> Self {
        Need::OneOf(vec![a])
    }

    pub(crate) fn never() -> Self {
        Need::OneOf(Vec::new())
    }

    /// An OR: all children's atoms; `Any` when one child is `Any`.
    pub(crate) fn any_of(it: impl IntoIterator<Item = Need>) -> Self {
        let mut out = Vec::new();
        for n in it {
            match n {
                Need::Any => return Need::Any,
                Need::OneOf(v) => out.extend(v),
            }
        }
        out.dedup();
        Need::OneOf(out)
    }

    /// An AND: any one child is necessary; keep the cheapest.
    pub(crate) fn all_of(it: impl IntoIterator<Item = Need>) -> Self {
        it.into_iter()
            .min_by(|a, b| a.cost().total_cmp(&b.cost()))
            .unwrap_or(Need::Any)
    }

    /// How likely the condition is to hold on an unrelated event (lower is more selective).
    fn cost(&self) -> f64 {
        match self {
            Need::Any => f64::INFINITY,
            Need::OneOf(v) => v
                .iter()
                .map(|a| match a {
                    Atom::Present(_) => 50.0,
                    Atom::Literal(_, l) => (60.0 / l.len() as f64).max(1.0),
                    Atom::Keyword(l) => (60.0 / l.len() as f64).max(1.0) + 5.0,
                })
                .sum(),
        }
    }
}

/// Literals and the rules each one selects, compiled to one automaton.
#[derive(Debug)]
struct Needles {
    automaton: AhoCorasick,
    rules: Vec<Vec<usize>>,
}

impl Needles {
    fn build(map: HashMap<String, Vec<usize>>) -> Option<Self> {
        if map.is_empty() {
            return None;
        }
        let mut entries: Vec<(String, Vec<usize>)> = map.into_iter().collect();
        entries.sort();
        let (pats, rules): (Vec<String>, Vec<Vec<usize>>) = entries
            .into_iter()
            .map(|(p, mut r)| {
                r.sort_unstable();
                r.dedup();
                (p, r)
            })
            .unzip();
        let build = |kind| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .kind(kind)
                .build(&pats)
        };
        let automaton = build(Some(AhoCorasickKind::DFA))
            .or_else(|_| build(None))
            .ok()?;
        Some(Needles { automaton, rules })
    }

    /// Marks the rules whose literal occurs in `text` as the matcher folds it.
    fn mark(&self, text: &str, bits: &mut [u64]) {
        // ASCII text folds to its ASCII lower case: search it in place, case-insensitively
        // (the literals are lower case). Other text is folded first, as the matcher does.
        let folded;
        let hay = if text.is_ascii() {
            text
        } else {
            folded = fold(text);
            folded.as_ref()
        };
        for m in self.automaton.find_overlapping_iter(hay) {
            if let Some(rules) = self.rules.get(m.pattern().as_usize()) {
                for r in rules {
                    set(bits, *r);
                }
            }
        }
    }
}

/// A path's first segment (up to the first `.`), ASCII-lower-cased.
fn root_segment(path: &str) -> String {
    path.split('.').next().unwrap_or("").to_ascii_lowercase()
}

fn set(bits: &mut [u64], i: usize) {
    if let Some(w) = bits.get_mut(i / 64) {
        *w |= 1u64 << (i % 64);
    }
}

/// One indexed field: the rules its presence selects, and its literals.
#[derive(Debug)]
struct FieldIx {
    targets: Targets,
    /// The ASCII-lower-cased first segment (up to the first `.`) of each path; `None` when a
    /// path starts with a selector, which applies to the event itself.
    roots: Option<Vec<String>>,
    present: Vec<usize>,
    needles: Option<Needles>,
}

impl FieldIx {
    fn mark(&self, v: &FieldValue<'_>, bits: &mut [u64]) {
        for r in &self.present {
            set(bits, *r);
        }
        if let Some(n) = &self.needles {
            mark_texts(n, v, bits);
        }
    }
}

fn mark_texts(n: &Needles, v: &FieldValue<'_>, bits: &mut [u64]) {
    match v {
        FieldValue::List(items) => items.iter().for_each(|x| mark_texts(n, x, bits)),
        other => {
            if let Some(t) = other.as_text() {
                n.mark(&t, bits);
            }
        }
    }
}

/// Counts describing a [`RuleSet`]'s index.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuleSetStats {
    /// Rules in the set.
    pub rules: usize,
    /// Rules with no necessary condition the index can check: evaluated on every event.
    pub always: usize,
    /// Rules that can never match (e.g. `3 of` two selections): never evaluated.
    pub never: usize,
    /// Distinct event fields the index reads.
    pub fields: usize,
    /// Distinct (field, literal) pairs.
    pub literals: usize,
    /// Distinct keyword literals.
    pub keywords: usize,
}

/// Compiled rules with a candidate index: evaluates an event only against the rules whose
/// necessary literals or fields it has (see the module docs). Results are the same as
/// calling [`Rule::matches`] on every rule, in the same order.
///
/// ```
/// use rampart_sigma::{CompileOptions, RuleSet, load_str};
///
/// let loaded = load_str(
///     "title: Whoami\nlogsource: {category: process_creation, product: windows}\n\
///      detection:\n  sel: {Image|endswith: '\\whoami.exe'}\n  condition: sel\n",
///     None,
///     &CompileOptions::default(),
/// );
/// let set = RuleSet::new(loaded.rules);
/// let event = serde_json::json!({"Image": "C:\\Windows\\System32\\WHOAMI.EXE"});
/// assert_eq!(set.matching(&event), vec![0]);
/// assert_eq!(set.rules()[0].meta().title, "Whoami");
/// ```
#[derive(Debug)]
pub struct RuleSet {
    rules: Vec<Rule>,
    /// Bitset of the always-evaluated rules: the start of every event's candidate set.
    always: Vec<u64>,
    fields: Vec<FieldIx>,
    /// ASCII-lower-cased top-level name → the fields read under it (one path, no dot).
    simple: HashMap<String, Vec<usize>>,
    /// Fields read by their full lookup (dotted or several paths).
    complex: Vec<usize>,
    keywords: Option<Needles>,
    stats: RuleSetStats,
}

impl RuleSet {
    /// Builds the index over `rules` (their order is kept: index `i` is `rules[i]`).
    pub fn new(rules: Vec<Rule>) -> Self {
        let words = rules.len().div_ceil(64);
        let mut always = vec![0u64; words];
        let mut field_ids: HashMap<Vec<String>, usize> = HashMap::new();
        let mut present: Vec<Vec<usize>> = Vec::new();
        let mut literals: Vec<HashMap<String, Vec<usize>>> = Vec::new();
        let mut keywords: HashMap<String, Vec<usize>> = HashMap::new();
        let mut stats = RuleSetStats {
            rules: rules.len(),
            ..RuleSetStats::default()
        };
        let mut field_of =
            |paths: Vec<String>,
             present: &mut Vec<Vec<usize>>,
             literals: &mut Vec<HashMap<String, Vec<usize>>>| {
                let next = field_ids.len();
                let id = *field_ids.entry(paths).or_insert(next);
                if id == present.len() {
                    present.push(Vec::new());
                    literals.push(HashMap::new());
                }
                id
            };
        for (idx, rule) in rules.iter().enumerate() {
            match rule.need() {
                Need::Any => {
                    set(&mut always, idx);
                    stats.always += 1;
                }
                Need::OneOf(atoms) if atoms.is_empty() => stats.never += 1,
                Need::OneOf(atoms) => {
                    for a in atoms {
                        match a {
                            Atom::Present(p) => {
                                let id = field_of(p, &mut present, &mut literals);
                                present[id].push(idx);
                            }
                            Atom::Literal(p, lit) => {
                                let id = field_of(p, &mut present, &mut literals);
                                literals[id].entry(lit).or_default().push(idx);
                            }
                            Atom::Keyword(lit) => keywords.entry(lit).or_default().push(idx),
                        }
                    }
                }
            }
        }
        let mut by_id: Vec<(Vec<String>, usize)> = field_ids.into_iter().collect();
        by_id.sort_by_key(|(_, id)| *id);
        let mut fields = Vec::with_capacity(by_id.len());
        let mut simple: HashMap<String, Vec<usize>> = HashMap::new();
        let mut complex = Vec::new();
        for ((paths, id), (mut pres, lits)) in
            by_id.into_iter().zip(present.into_iter().zip(literals))
        {
            stats.literals += lits.len();
            pres.sort_unstable();
            pres.dedup();
            match paths.as_slice() {
                [one] if !one.contains('.') && !one.contains('[') => {
                    simple.entry(one.to_ascii_lowercase()).or_default().push(id)
                }
                _ => complex.push(id),
            }
            let roots = paths
                .iter()
                .map(|p| (!p.starts_with('[')).then(|| root_segment(p)))
                .collect();
            fields.push(FieldIx {
                roots,
                targets: Targets::from_paths(paths),
                present: pres,
                needles: Needles::build(lits),
            });
        }
        stats.fields = fields.len();
        stats.keywords = keywords.len();
        let keywords = Needles::build(keywords);
        RuleSet {
            rules,
            always,
            fields,
            simple,
            complex,
            keywords,
            stats,
        }
    }

    /// The rules, in the order given.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// How many rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether the set has no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Counts describing the index.
    pub fn stats(&self) -> RuleSetStats {
        self.stats
    }

    /// The candidate rules for `event`, as a bitset over rule indices.
    fn candidates(&self, event: &dyn Event) -> Vec<u64> {
        let mut bits = self.always.clone();
        let mut name = String::new();
        // The first segments of the event's top-level names: a dotted path can only be
        // present when its first segment is one of them (the lookup starts from a top-level
        // key equal to the path or to a prefix of it ending before a `.`).
        let mut roots: Vec<String> = Vec::new();
        let visited = event.visit_fields(&mut |key, value| {
            name.clear();
            name.push_str(key);
            name.make_ascii_lowercase();
            if !self.complex.is_empty() {
                roots.push(root_segment(&name));
            }
            if let Some(ids) = self.simple.get(name.as_str()) {
                let value = value();
                for id in ids {
                    if let Some(f) = self.fields.get(*id) {
                        f.mark(&value, &mut bits);
                    }
                }
            }
        });
        if !visited {
            for id in self.simple.values().flatten() {
                if let Some(f) = self.fields.get(*id)
                    && let Some(v) = f.targets.value(event)
                {
                    f.mark(&v, &mut bits);
                }
            }
        }
        for id in &self.complex {
            if let Some(f) = self.fields.get(*id)
                && (!visited
                    || f.roots
                        .as_ref()
                        .is_none_or(|rs| rs.iter().any(|r| roots.iter().any(|have| have == r))))
                && let Some(v) = f.targets.value(event)
            {
                f.mark(&v, &mut bits);
            }
        }
        if let Some(kw) = &self.keywords {
            event.any_text(&mut |t| {
                kw.mark(t, &mut bits);
                false
            });
        }
        bits
    }

    /// Calls `f` with the index of every rule that matches `event`, in ascending order.
    /// Same result as `rules()[i].matches(event)` for every `i`.
    pub fn matches(&self, event: &dyn Event, mut f: impl FnMut(usize)) {
        let bits = self.candidates(event);
        for (w, word) in bits.iter().enumerate() {
            let mut word = *word;
            while word != 0 {
                let i = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                if self.rules.get(i).is_some_and(|r| r.matches(event)) {
                    f(i);
                }
            }
        }
    }

    /// The indices of the rules that match `event`, ascending.
    pub fn matching(&self, event: &dyn Event) -> Vec<usize> {
        let mut out = Vec::new();
        self.matches(event, |i| out.push(i));
        out
    }

    /// The rules the index selects for `event` (those [`RuleSet::matches`] evaluates),
    /// ascending; for measuring how selective the index is.
    pub fn candidate_indices(&self, event: &dyn Event) -> Vec<usize> {
        let bits = self.candidates(event);
        let mut out = Vec::new();
        for (w, word) in bits.iter().enumerate() {
            let mut word = *word;
            while word != 0 {
                out.push(w * 64 + word.trailing_zeros() as usize);
                word &= word - 1;
            }
        }
        out
    }
}
