//! A compiled rule set with a candidate index, so that an event is evaluated only against
//! the rules it could match.
//!
//! Each rule is reduced, at build time, to a *necessary condition* ([`Need`]): an OR of
//! atoms, at least one of which holds on every event the rule matches. The atoms are
//! - a field is present ([`Atom::Present`]),
//! - a field's text contains a literal ([`Atom::Literal`]; the longest literal of a string
//!   pattern, in the folded form the matcher compares),
//! - a field's folded text, or its number, is a whole value ([`Atom::Equals`],
//!   [`Atom::Number`]), or its text is not ASCII ([`Atom::NonAscii`]),
//! - some string of the event contains a literal ([`Atom::Keyword`], keyword searches).
//!
//! `and` keeps its most selective child condition and, when one is cheap to check (whole
//! values only), a second one: both must then hold ([`Need::Both`]). `or` unions its
//! children (keeping one condition of each), `not`, `null`, `exists: false` and implied
//! field values make a rule unconstrained ([`Need::Any`]): such rules are always evaluated.
//!
//! Per event, the index reads each indexed field once (the top-level keys through one
//! visit, looked up in a [`FoldMap`]), looks its whole values up, runs its Aho-Corasick
//! automaton over its text when the text holds one of the few bytes every literal needs
//! ([`Gate`]), does the same over every string for keywords, and marks the rules whose atoms
//! hold, in two halves of a bitset (a rule's first condition, its second). Only the rules
//! marked in both halves (a rule without a second condition is marked in the second half
//! from the start) and the always-evaluated ones are then matched, in rule order. The
//! index over-approximates: it may select a rule that then does not match, never skip one
//! that would.

use std::borrow::Cow;
use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use smallvec::SmallVec;

use crate::detection::{Ctx, number_key, number_of};
use crate::event::{Event, FieldValue};
use crate::names::FoldMap;
use crate::pattern::fold;
use crate::rule::Rule;

/// One fact a rule needs from an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Atom {
    /// The field (its event paths, tried in order) is present.
    Present(Vec<String>),
    /// The field's folded text contains the literal.
    Literal(Vec<String>, String),
    /// The field's folded text (a list member's) equals the text.
    Equals(Vec<String>, String),
    /// The field's number (a list member's; a string that parses as one) has these bits
    /// ([`crate::detection::number_key`]).
    Number(Vec<String>, u64),
    /// The field's text (a list member's) is not ASCII.
    NonAscii(Vec<String>),
    /// Some string (or number's text) of the event, folded, contains the literal.
    Keyword(String),
}

/// A necessary condition: `Any` (none known), an OR of atoms (empty: never matches), or two
/// such ORs that must both hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Need {
    Any,
    OneOf(Vec<Atom>),
    Both(Vec<Atom>, Vec<Atom>),
}

/// Whether an AND's second condition is worth checking: whole values only (a lookup per
/// value; literals would mean more automata to run, presence selects too much).
fn cheap_second(atoms: &[Atom]) -> bool {
    !atoms.is_empty()
        && atoms
            .iter()
            .all(|a| matches!(a, Atom::Equals(..) | Atom::Number(..)))
}

impl Need {
    pub(crate) fn one(a: Atom) -> Self {
        Need::OneOf(vec![a])
    }

    pub(crate) fn never() -> Self {
        Need::OneOf(Vec::new())
    }

    /// An OR: all children's atoms; `Any` when one child is `Any`. Of a child's two
    /// conditions, the more selective one is kept (an OR of ANDs is not an AND).
    pub(crate) fn any_of(it: impl IntoIterator<Item = Need>) -> Self {
        let mut out = Vec::new();
        for n in it {
            match n {
                Need::Any => return Need::Any,
                Need::OneOf(v) => out.extend(v),
                Need::Both(a, b) => out.extend(if cost_of(&a) <= cost_of(&b) { a } else { b }),
            }
        }
        out.dedup();
        Need::OneOf(out)
    }

    /// An AND: every child's conditions are necessary; keep the most selective, and the
    /// most selective of the others that is cheap to check ([`cheap_second`]).
    pub(crate) fn all_of(it: impl IntoIterator<Item = Need>) -> Self {
        let mut sets: Vec<Vec<Atom>> = Vec::new();
        for n in it {
            match n {
                Need::Any => {}
                Need::OneOf(v) => sets.push(v),
                Need::Both(a, b) => sets.extend([a, b]),
            }
        }
        // Stable: among equally selective conditions, the first written is kept.
        sets.sort_by(|a, b| cost_of(a).total_cmp(&cost_of(b)));
        let mut sets = sets.into_iter();
        let Some(first) = sets.next() else {
            return Need::Any;
        };
        match sets.find(|b| cheap_second(b)) {
            Some(second) if !first.is_empty() => Need::Both(first, second),
            _ => Need::OneOf(first),
        }
    }
}

/// How likely an OR of atoms is to hold on an unrelated event (lower is more selective;
/// none: 0, it never holds).
fn cost_of(atoms: &[Atom]) -> f64 {
    atoms
        .iter()
        .map(|a| match a {
            Atom::Present(_) => 50.0,
            Atom::Equals(..) | Atom::Number(..) => 2.0,
            Atom::NonAscii(_) => 5.0,
            // A literal implies its field's presence: never costlier.
            Atom::Literal(_, l) => (60.0 / l.len() as f64).clamp(1.0, 45.0),
            Atom::Keyword(l) => (60.0 / l.len() as f64).max(1.0) + 5.0,
        })
        .sum()
}

/// Literals and the rules each one selects, compiled to one automaton.
#[derive(Debug)]
struct Needles {
    automaton: AhoCorasick,
    rules: Vec<Vec<usize>>,
    /// The shortest literal's length in bytes: ASCII text shorter than this holds none.
    min_len: usize,
    gate: Gate,
    /// Whether `gate` may be checked on the raw text rather than the folded one: its bytes
    /// are ASCII and none is `i` or `k` (the only ASCII letters a non-ASCII character
    /// lower-cases to: `İ`, the Kelvin sign), so folding adds none of them.
    raw_gate: bool,
}

/// Up to three bytes, one of which every text holding a literal contains (as the automaton
/// compares: both ASCII cases of a letter): a text with none of them is not searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    Open,
    One(u8),
    Two(u8, u8),
    Three(u8, u8, u8),
}

/// `0x01` in every byte.
const LSB: u64 = 0x0101_0101_0101_0101;

/// Non-zero when some byte of `w` is zero.
fn has_zero(w: u64) -> u64 {
    w.wrapping_sub(LSB) & !w & 0x8080_8080_8080_8080
}

impl Gate {
    /// Whether `hay` may hold a literal.
    #[inline]
    fn admits(self, hay: &[u8]) -> bool {
        // Most texts are short: look at them eight bytes at a time here, rather than call
        // the vectorised search.
        if hay.len() <= 32 {
            let (a, b, c) = match self {
                Gate::Open => return true,
                Gate::One(a) => (a, a, a),
                Gate::Two(a, b) => (a, b, b),
                Gate::Three(a, b, c) => (a, b, c),
            };
            let [a, b, c] = [a, b, c].map(|x| u64::from(x) * LSB);
            let has = |w: u64| has_zero(w ^ a) | has_zero(w ^ b) | has_zero(w ^ c) != 0;
            let mut chunks = hay.chunks_exact(8);
            let found = chunks
                .by_ref()
                .any(|ch| has(u64::from_le_bytes(ch.try_into().unwrap_or([0; 8]))));
            return found
                || chunks
                    .remainder()
                    .iter()
                    .any(|x| [a, b, c].contains(&(u64::from(*x) * LSB)));
        }
        match self {
            Gate::Open => true,
            Gate::One(a) => memchr::memchr(a, hay).is_some(),
            Gate::Two(a, b) => memchr::memchr2(a, b, hay).is_some(),
            Gate::Three(a, b, c) => memchr::memchr3(a, b, c, hay).is_some(),
        }
    }

    fn bytes(self) -> Vec<u8> {
        match self {
            Gate::Open => Vec::new(),
            Gate::One(a) => vec![a],
            Gate::Two(a, b) => vec![a, b],
            Gate::Three(a, b, c) => vec![a, b, c],
        }
    }

    /// A gate for `literals` (lower case): the rarest byte all of them contain, else the
    /// rarest byte of each, when that is at most three bytes to look for; else open.
    fn for_literals(literals: &[String]) -> Self {
        // Rough frequency in log text (lower: rarer); a letter is looked for in both cases.
        let cost = |b: u8| -> u32 {
            let common = match b {
                b'e' | b't' | b'a' | b'o' | b'i' | b'n' | b's' | b'r' | b'l' | b'c' => 40,
                b'a'..=b'z' => 30,
                b'0'..=b'9' | b' ' => 35,
                b'.' | b'-' | b':' | b'_' => 25,
                b'/' | b',' | b'\\' | b'=' | b'@' => 20,
                0x80.. => 5,
                _ => 10,
            };
            if b.is_ascii_lowercase() {
                common * 2
            } else {
                common
            }
        };
        let rarest = |bytes: &mut dyn Iterator<Item = u8>| bytes.min_by_key(|b| (cost(*b), *b));
        let Some(first) = literals.first() else {
            return Gate::Open;
        };
        let shared = rarest(
            &mut first
                .bytes()
                .filter(|b| literals.iter().all(|l| l.as_bytes().contains(b))),
        );
        let mut bytes: Vec<u8> = match shared {
            Some(b) => vec![b],
            None => {
                let mut v = Vec::new();
                for l in literals {
                    match rarest(&mut l.bytes()) {
                        Some(b) => v.push(b),
                        None => return Gate::Open,
                    }
                }
                v.sort_unstable();
                v.dedup();
                v
            }
        };
        let upper: Vec<u8> = bytes
            .iter()
            .filter(|b| b.is_ascii_lowercase())
            .map(u8::to_ascii_uppercase)
            .collect();
        bytes.extend(upper);
        match bytes.as_slice() {
            [a] => Gate::One(*a),
            [a, b] => Gate::Two(*a, *b),
            [a, b, c] => Gate::Three(*a, *b, *c),
            _ => Gate::Open,
        }
    }
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
        let min_len = pats.iter().map(String::len).min().unwrap_or(0);
        let gate = Gate::for_literals(&pats);
        let raw_gate = gate != Gate::Open
            && gate
                .bytes()
                .iter()
                .all(|b| b.is_ascii() && !matches!(b.to_ascii_lowercase(), b'i' | b'k'));
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
        Some(Needles {
            automaton,
            rules,
            min_len,
            gate,
            raw_gate,
        })
    }

    /// Marks the rules whose literal occurs in `text` as the matcher folds it.
    #[inline]
    fn mark(&self, text: &str, bits: &mut [u64]) {
        if (text.len() < self.min_len && text.is_ascii())
            || (self.raw_gate && !self.gate.admits(text.as_bytes()))
        {
            return;
        }
        self.search(text, bits);
    }

    #[inline(never)]
    fn search(&self, text: &str, bits: &mut [u64]) {
        // ASCII text folds to its ASCII lower case: search it in place, case-insensitively
        // (the literals are lower case). Other text is folded first, as the matcher does.
        let folded;
        let hay = if text.is_ascii() {
            text
        } else {
            folded = fold(text);
            folded.as_ref()
        };
        if !self.raw_gate && !self.gate.admits(hay.as_bytes()) {
            return;
        }
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

/// The candidate bitset's words (see [`RuleSet::new`]): a rule is a candidate when its bit
/// is set in both halves.
fn candidate_words(bits: &[u64]) -> impl Iterator<Item = (usize, u64)> + '_ {
    let (a, b) = bits.split_at(bits.len() / 2);
    a.iter().zip(b).map(|(x, y)| x & y).enumerate()
}

fn set(bits: &mut [u64], i: usize) {
    if let Some(w) = bits.get_mut(i / 64) {
        *w |= 1u64 << (i % 64);
    }
}

fn get(bits: &[u64], i: usize) -> bool {
    bits.get(i / 64)
        .is_some_and(|w| w & (1u64 << (i % 64)) != 0)
}

/// One indexed field: the rules its presence selects, and its literals.
#[derive(Debug)]
struct FieldIx {
    /// Its paths (tried in order, the first present is the value) and their slots.
    paths: Vec<String>,
    slots: Vec<u32>,
    present: Vec<usize>,
    needles: Option<Needles>,
    /// Folded whole values → the rules they select (looked up ASCII-case-insensitively:
    /// the values hold no ASCII upper case, so an ASCII text finds its ASCII lower case).
    equals: Option<FoldMap<Vec<usize>>>,
    /// Number keys → the rules they select.
    numbers: foldhash::HashMap<u64, Vec<usize>>,
    /// The rules selected by a non-ASCII text.
    non_ascii: Vec<usize>,
}

impl FieldIx {
    fn mark(&self, v: &FieldValue<'_>, bits: &mut [u64]) {
        for r in &self.present {
            set(bits, *r);
        }
        self.mark_values(v, bits);
    }

    fn mark_values(&self, v: &FieldValue<'_>, bits: &mut [u64]) {
        if let FieldValue::List(items) = v {
            for x in items {
                self.mark_values(x, bits);
            }
            return;
        }
        if !self.numbers.is_empty()
            && let Some(rules) = number_of(v)
                .and_then(number_key)
                .and_then(|k| self.numbers.get(&k))
        {
            rules.iter().for_each(|r| set(bits, *r));
        }
        if self.needles.is_none() && self.equals.is_none() && self.non_ascii.is_empty() {
            return;
        }
        v.with_text(|t| self.mark_text(t, bits));
    }

    fn mark_text(&self, t: &str, bits: &mut [u64]) {
        if !self.non_ascii.is_empty() && !t.is_ascii() {
            self.non_ascii.iter().for_each(|r| set(bits, *r));
        }
        if let Some(n) = &self.needles {
            n.mark(t, bits);
        }
        if let Some(equals) = &self.equals {
            // The text as the matcher folds it: an ASCII text's ASCII lower case, which the
            // map's lookup compares by.
            let found = if t.is_ascii() {
                equals.get(t.as_bytes())
            } else {
                equals.get(fold(t).as_bytes())
            };
            if let Some(rules) = found {
                rules.iter().for_each(|r| set(bits, *r));
            }
        }
    }
}

/// `Known::pos` of a path known to be absent from the event.
const ABSENT: u32 = u32::MAX;
/// `Known::pos` of a path not read yet: looked up in the event when needed.
const UNKNOWN: u32 = u32::MAX - 1;

/// The values of the event paths the rules read, as far as the index read them: per path
/// slot, absent, not read (then looked up in the event), or a value. Filled while the
/// candidates are computed, so that rule evaluation does not look a field up again.
#[derive(Debug)]
pub(crate) struct Known<'e> {
    pos: Vec<u32>,
    /// On the stack for the few values an event usually gives (no allocation per event).
    vals: SmallVec<[FieldValue<'e>; 8]>,
    /// Whether the event listed its top-level names and none contains a `.`: then paths
    /// are looked up with [`Event::field_in_plain_names`].
    plain_names: bool,
}

impl<'e> Known<'e> {
    /// `event.field(path)`.
    fn lookup(plain_names: bool, path: &str, event: &'e dyn Event) -> Option<FieldValue<'e>> {
        if plain_names {
            event.field_in_plain_names(path)
        } else {
            event.field(path)
        }
    }

    /// The value of `path` (whose slot is `slot`) in `event`: the same as
    /// `event.field(path)`.
    pub(crate) fn get<'k>(
        &'k self,
        slot: u32,
        path: &str,
        event: &'e dyn Event,
    ) -> Option<Cow<'k, FieldValue<'e>>> {
        match self.pos.get(slot as usize).copied() {
            Some(ABSENT) => None,
            Some(i) if i != UNKNOWN => match self.vals.get(i as usize) {
                Some(v) => Some(Cow::Borrowed(v)),
                None => Self::lookup(self.plain_names, path, event).map(Cow::Owned),
            },
            _ => Self::lookup(self.plain_names, path, event).map(Cow::Owned),
        }
    }

    /// Like [`Known::get`], keeping a looked-up value for later readers.
    fn resolve(&mut self, slot: u32, path: &str, event: &'e dyn Event) -> Option<usize> {
        let plain_names = self.plain_names;
        let p = self.pos.get_mut(slot as usize)?;
        match *p {
            ABSENT => None,
            UNKNOWN => match Self::lookup(plain_names, path, event) {
                Some(v) => {
                    *p = self.vals.len() as u32;
                    self.vals.push(v);
                    Some(self.vals.len() - 1)
                }
                None => {
                    *p = ABSENT;
                    None
                }
            },
            i => Some(i as usize),
        }
    }
}

/// One distinct event path the rules read.
#[derive(Debug)]
struct Slot {
    path: String,
    /// Whether it is a plain top-level name (no `.`, no selector): its value is then the
    /// visited field of that name.
    simple: bool,
    /// For a dotted path, the root id of its first segment: absent when no top-level name
    /// has that first segment.
    root: Option<u32>,
}

/// What a top-level event name (ASCII-lower-cased) leads to.
#[derive(Debug, Default)]
struct NameEntry {
    /// Plain slots with this name (in any ASCII case).
    slots: Vec<u32>,
    /// Indexed fields read from this one plain path.
    fields: Vec<usize>,
    /// The root id when a dotted path starts with this name.
    root: Option<u32>,
}

/// Interns paths into slots and first segments into root ids while the set is built.
#[derive(Default)]
struct SlotTable {
    slots: Vec<Slot>,
    by_path: HashMap<String, u32>,
    names: foldhash::HashMap<String, NameEntry>,
    roots: u32,
}

impl SlotTable {
    fn root_of(&mut self, path: &str) -> Option<u32> {
        if path.starts_with('[') {
            return None;
        }
        let e = self.names.entry(root_segment(path)).or_default();
        Some(*e.root.get_or_insert_with(|| {
            self.roots += 1;
            self.roots - 1
        }))
    }

    fn slot(&mut self, path: &str) -> u32 {
        if let Some(s) = self.by_path.get(path) {
            return *s;
        }
        let id = self.slots.len() as u32;
        let simple = !path.contains('.') && !path.contains('[');
        let root = if simple {
            self.names
                .entry(path.to_ascii_lowercase())
                .or_default()
                .slots
                .push(id);
            None
        } else {
            self.root_of(path)
        };
        self.slots.push(Slot {
            path: path.to_string(),
            simple,
            root,
        });
        self.by_path.insert(path.to_string(), id);
        id
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
    /// Rules selected by two necessary conditions, both of which must hold (from an
    /// `and`); the others by one.
    pub pairs: usize,
    /// Distinct event fields the index reads.
    pub fields: usize,
    /// Distinct (field, literal) pairs.
    pub literals: usize,
    /// Distinct keyword literals.
    pub keywords: usize,
    /// Distinct (field, whole value) pairs, texts and numbers.
    pub exact: usize,
    /// Distinct event paths the rules read (each read at most once per event).
    pub paths: usize,
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
    /// The start of every event's two-half candidate bitset (see [`candidate_words`]): the
    /// always-evaluated rules in both halves, the rules without a second condition in the
    /// second.
    always: Vec<u64>,
    fields: Vec<FieldIx>,
    /// Every distinct path the rules read (see [`Known`]).
    slots: Vec<Slot>,
    /// Top-level name (ASCII-case-insensitively) → its plain slots, indexed fields and
    /// root id.
    names: FoldMap<NameEntry>,
    /// How many root ids.
    roots: usize,
    /// Per root id, the slots of the dotted paths under it: absent until a top-level name
    /// with that first segment is visited.
    root_slots: Vec<Vec<u32>>,
    /// Per root id, the indexed fields read by lookup (dotted or several paths) with a path
    /// under it: read when such a name is visited.
    root_fields: Vec<Vec<usize>>,
    /// Indexed fields with a path that starts with a selector: read on every event.
    free_fields: Vec<usize>,
    /// `Known::pos` at the start of an event that lists its fields: plain and dotted paths
    /// absent until visited, the others unknown.
    template: Vec<u32>,
    keywords: Option<Needles>,
    stats: RuleSetStats,
}

impl RuleSet {
    /// Builds the index over `rules` (their order is kept: index `i` is `rules[i]`).
    pub fn new(mut rules: Vec<Rule>) -> Self {
        let mut table = SlotTable::default();
        for rule in &mut rules {
            rule.targets_mut(&mut |t| t.assign_slots(&mut |p| table.slot(p)));
        }
        // The candidate bitset has two halves: a rule is a candidate when its bit is set in
        // both. An atom of a rule's (first) condition sets its bit in the first half, one
        // of its second condition ([`Need::Both`]) in the second; rules without a second
        // condition have their second bit set from the start.
        let words = rules.len().div_ceil(64);
        let second = words * 64;
        let mut always = vec![0u64; 2 * words];
        let mut field_ids: HashMap<Vec<String>, usize> = HashMap::new();
        let mut present: Vec<Vec<usize>> = Vec::new();
        let mut literals: Vec<HashMap<String, Vec<usize>>> = Vec::new();
        let mut equals: HashMap<usize, HashMap<String, Vec<usize>>> = HashMap::new();
        let mut numbers: HashMap<usize, HashMap<u64, Vec<usize>>> = HashMap::new();
        let mut non_ascii: HashMap<usize, Vec<usize>> = HashMap::new();
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
        // Files atom `a` as setting bit `bit`.
        let mut register = |a: Atom, bit: usize| match a {
            Atom::Present(p) => {
                let id = field_of(p, &mut present, &mut literals);
                present[id].push(bit);
            }
            Atom::Literal(p, lit) => {
                let id = field_of(p, &mut present, &mut literals);
                literals[id].entry(lit).or_default().push(bit);
            }
            Atom::Equals(p, text) => {
                let id = field_of(p, &mut present, &mut literals);
                let e = equals.entry(id).or_default().entry(text).or_default();
                e.push(bit);
            }
            Atom::Number(p, key) => {
                let id = field_of(p, &mut present, &mut literals);
                let e = numbers.entry(id).or_default().entry(key).or_default();
                e.push(bit);
            }
            Atom::NonAscii(p) => {
                let id = field_of(p, &mut present, &mut literals);
                non_ascii.entry(id).or_default().push(bit);
            }
            Atom::Keyword(lit) => keywords.entry(lit).or_default().push(bit),
        };
        for (idx, rule) in rules.iter().enumerate() {
            match rule.need() {
                Need::Any => {
                    set(&mut always, idx);
                    set(&mut always, second + idx);
                    stats.always += 1;
                }
                Need::OneOf(atoms) if atoms.is_empty() => stats.never += 1,
                Need::OneOf(atoms) => {
                    set(&mut always, second + idx);
                    atoms.into_iter().for_each(|a| register(a, idx));
                }
                Need::Both(a, b) => {
                    stats.pairs += 1;
                    a.into_iter().for_each(|a| register(a, idx));
                    b.into_iter().for_each(|b| register(b, second + idx));
                }
            }
        }
        let mut by_id: Vec<(Vec<String>, usize)> = field_ids.into_iter().collect();
        by_id.sort_by_key(|(_, id)| *id);
        let mut fields = Vec::with_capacity(by_id.len());
        let mut complex: Vec<(usize, Option<Vec<u32>>)> = Vec::new();
        for ((paths, id), (mut pres, lits)) in
            by_id.into_iter().zip(present.into_iter().zip(literals))
        {
            stats.literals += lits.len();
            let mut eq = equals.remove(&id).unwrap_or_default();
            let mut num = numbers.remove(&id).unwrap_or_default();
            stats.exact += eq.len() + num.len();
            for r in eq.values_mut().chain(num.values_mut()) {
                r.sort_unstable();
                r.dedup();
            }
            pres.sort_unstable();
            pres.dedup();
            let slots: Vec<u32> = paths.iter().map(|p| table.slot(p)).collect();
            match slots.as_slice() {
                [one] if table.slots.get(*one as usize).is_some_and(|s| s.simple) => table
                    .names
                    .entry(paths[0].to_ascii_lowercase())
                    .or_default()
                    .fields
                    .push(id),
                _ => complex.push((id, paths.iter().map(|p| table.root_of(p)).collect())),
            }
            fields.push(FieldIx {
                paths,
                slots,
                present: pres,
                needles: Needles::build(lits),
                equals: (!eq.is_empty()).then(|| {
                    let mut eq: Vec<(String, Vec<usize>)> = eq.into_iter().collect();
                    eq.sort();
                    FoldMap::new(eq)
                }),
                numbers: num.into_iter().collect(),
                non_ascii: {
                    let mut v = non_ascii.remove(&id).unwrap_or_default();
                    v.sort_unstable();
                    v.dedup();
                    v
                },
            });
        }
        stats.fields = fields.len();
        stats.keywords = keywords.len();
        stats.paths = table.slots.len();
        let keywords = Needles::build(keywords);
        let template = table
            .slots
            .iter()
            .map(|s| {
                if s.simple || s.root.is_some() {
                    ABSENT
                } else {
                    UNKNOWN
                }
            })
            .collect();
        let roots = table.roots as usize;
        let mut root_slots = vec![Vec::new(); roots];
        for (i, s) in table.slots.iter().enumerate() {
            if let Some(r) = s.root.and_then(|r| root_slots.get_mut(r as usize)) {
                r.push(i as u32);
            }
        }
        let mut root_fields = vec![Vec::new(); roots];
        let mut free_fields = Vec::new();
        for (id, rs) in complex {
            match rs {
                Some(mut rs) => {
                    rs.sort_unstable();
                    rs.dedup();
                    for r in rs {
                        if let Some(v) = root_fields.get_mut(r as usize) {
                            v.push(id);
                        }
                    }
                }
                None => free_fields.push(id),
            }
        }
        RuleSet {
            rules,
            always,
            fields,
            slots: table.slots,
            names: {
                let mut names: Vec<(String, NameEntry)> = table.names.into_iter().collect();
                names.sort_by(|a, b| a.0.cmp(&b.0));
                FoldMap::new(names)
            },
            roots,
            root_slots,
            root_fields,
            free_fields,
            template,
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

    /// Computes the candidate rules for `event` (into `s.bits`, see [`candidate_words`]) and keeps the field values read on the way in `known` (emptied here).
    fn prepare<'e>(&self, event: &'e dyn Event, s: &mut Scratch, known: &mut Known<'e>) {
        let Scratch {
            bits,
            exact,
            ambiguous,
            roots,
            done,
            ..
        } = s;
        bits.clear();
        bits.extend_from_slice(&self.always);
        known.pos.clear();
        known.pos.extend_from_slice(&self.template);
        known.vals.clear();
        // Per value taken from the visit: whether its key is the slot's path exactly. A
        // path with only other-case keys, several of them, is left to the lookup (which
        // prefers the exact key, then the first other-case one).
        exact.clear();
        ambiguous.clear();
        roots.clear();
        roots.resize(self.roots.div_ceil(64), 0);
        // Whether some top-level name has a `.` (only looked for when there are dotted
        // paths).
        let mut dotted = false;
        let visited = event.visit_fields(&mut |key, value| {
            // A plain key is a name; a dotted key can hold a dotted path (by its first
            // segment), not a plain one. Names never contain a `.`.
            let kb = key.as_bytes();
            let (entry, plain) = match self.names.get(kb) {
                Some(e) => (e, true),
                // Without dotted paths, dotted names matter to no one.
                None if self.roots == 0 => return,
                None => {
                    let Some(i) = memchr::memchr(b'.', kb) else {
                        return;
                    };
                    dotted = true;
                    match kb.get(..i).and_then(|s| self.names.get(s)) {
                        Some(e) => (e, false),
                        None => return,
                    }
                }
            };
            // A dotted path is found only through a top-level name with its first segment.
            if let Some(r) = entry.root
                && !get(roots, r as usize)
            {
                set(roots, r as usize);
                for s in self.root_slots.get(r as usize).into_iter().flatten() {
                    if let Some(p) = known.pos.get_mut(*s as usize)
                        && *p == ABSENT
                    {
                        *p = UNKNOWN;
                    }
                }
            }
            if !plain || (entry.slots.is_empty() && entry.fields.is_empty()) {
                return;
            }
            let v = value();
            for id in &entry.fields {
                if let Some(f) = self.fields.get(*id) {
                    f.mark(&v, bits);
                }
            }
            for &s in &entry.slots {
                let is_exact = self.slots.get(s as usize).is_some_and(|x| x.path == key);
                let Some(p) = known.pos.get_mut(s as usize) else {
                    continue;
                };
                match *p {
                    ABSENT | UNKNOWN => {
                        *p = known.vals.len() as u32;
                        known.vals.push(v.clone());
                        exact.push(is_exact);
                    }
                    i => {
                        let i = i as usize;
                        if is_exact {
                            if let (Some(slot), Some(e)) = (known.vals.get_mut(i), exact.get_mut(i))
                            {
                                *slot = v.clone();
                                *e = true;
                            }
                        } else if !exact.get(i).copied().unwrap_or(false) {
                            ambiguous.push(s);
                        }
                    }
                }
            }
        });
        known.plain_names = visited && self.roots > 0 && !dotted;
        if visited {
            for s in ambiguous.iter() {
                if let Some(p) = known.pos.get_mut(*s as usize)
                    && !exact.get(*p as usize).copied().unwrap_or(false)
                {
                    *p = UNKNOWN;
                }
            }
            // The indexed fields read by lookup whose roots the event has.
            done.clear();
            done.resize(self.fields.len().div_ceil(64), 0);
            for (w, word) in roots.iter().enumerate() {
                let mut word = *word;
                while word != 0 {
                    let r = w * 64 + word.trailing_zeros() as usize;
                    word &= word - 1;
                    for id in self.root_fields.get(r).into_iter().flatten() {
                        if !get(done, *id)
                            && let Some(f) = self.fields.get(*id)
                        {
                            set(done, *id);
                            Self::mark_read(f, known, event, bits);
                        }
                    }
                }
            }
            for id in &self.free_fields {
                if let Some(f) = self.fields.get(*id) {
                    Self::mark_read(f, known, event, bits);
                }
            }
        } else {
            known.pos.fill(UNKNOWN);
            for f in &self.fields {
                Self::mark_read(f, known, event, bits);
            }
        }
        if let Some(kw) = &self.keywords {
            event.any_text(&mut |t| {
                kw.mark(t, bits);
                false
            });
        }
    }

    /// Runs `f` with this thread's scratch buffers, borrowed in place; with fresh ones when
    /// they are in use (a callback of [`RuleSet::matches`] using a set on the same thread)
    /// or gone (thread teardown).
    fn with_scratch<R>(&self, mut f: impl FnMut(&mut Scratch) -> R) -> R {
        let borrowed = SCRATCH.try_with(|c| c.try_borrow_mut().ok().map(|mut b| f(&mut b)));
        match borrowed {
            Ok(Some(r)) => r,
            _ => f(&mut Scratch::default()),
        }
    }

    /// Reads an indexed field by its paths (keeping what it looked up) and marks its rules.
    fn mark_read<'e>(f: &FieldIx, known: &mut Known<'e>, event: &'e dyn Event, bits: &mut [u64]) {
        let found = f
            .paths
            .iter()
            .zip(&f.slots)
            .find_map(|(p, s)| known.resolve(*s, p, event));
        if let Some(v) = found.and_then(|i| known.vals.get(i)) {
            f.mark(v, bits);
        }
    }

    /// Calls `f` with the index of every rule that matches `event`, in ascending order.
    /// Same result as `rules()[i].matches(event)` for every `i`.
    pub fn matches(&self, event: &dyn Event, mut f: impl FnMut(usize)) {
        self.with_scratch(|s| {
            let mut known = Known {
                pos: std::mem::take(&mut s.pos),
                vals: SmallVec::new(),
                plain_names: false,
            };
            self.prepare(event, s, &mut known);
            let ctx = Ctx {
                event,
                known: Some(&known),
            };
            for (w, mut word) in candidate_words(&s.bits) {
                while word != 0 {
                    let i = w * 64 + word.trailing_zeros() as usize;
                    word &= word - 1;
                    if self.rules.get(i).is_some_and(|r| r.matches_in(ctx)) {
                        f(i);
                    }
                }
            }
            s.pos = known.pos;
        })
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
        self.with_scratch(|s| {
            let mut known = Known {
                pos: std::mem::take(&mut s.pos),
                vals: SmallVec::new(),
                plain_names: false,
            };
            self.prepare(event, s, &mut known);
            s.pos = known.pos;
            let mut out = Vec::new();
            for (w, mut word) in candidate_words(&s.bits) {
                while word != 0 {
                    out.push(w * 64 + word.trailing_zeros() as usize);
                    word &= word - 1;
                }
            }
            out
        })
    }
}

/// Buffers one event's index work needs, kept per thread between events (so that an event
/// costs no allocation for them once they have grown).
#[derive(Default)]
struct Scratch {
    bits: Vec<u64>,
    pos: Vec<u32>,
    exact: Vec<bool>,
    ambiguous: Vec<u32>,
    roots: Vec<u64>,
    done: Vec<u64>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{Gate, RuleSet};
    use crate::{CompileOptions, load_str};

    /// A rule set of one rule per detection (YAML of the `detection` map, indented by 4).
    fn set(detections: &[&str]) -> RuleSet {
        let mut rules = Vec::new();
        for (i, d) in detections.iter().enumerate() {
            let src = format!("title: r{i}\nlogsource: {{product: test}}\ndetection:\n{d}\n");
            let loaded = load_str(&src, None, &CompileOptions::default());
            assert!(loaded.errors.is_empty(), "{d}: {:?}", loaded.errors);
            rules.extend(loaded.rules);
        }
        RuleSet::new(rules)
    }

    /// The indexed result equals evaluating every rule on its own; returns it.
    fn matching(set: &RuleSet, e: &Value) -> Vec<usize> {
        let full: Vec<usize> = (0..set.len())
            .filter(|i| set.rules()[*i].matches(e))
            .collect();
        let indexed = set.matching(e);
        assert_eq!(indexed, full, "index differs from a full scan on {e}");
        indexed
    }

    #[test]
    fn values_the_index_read_are_the_lookups_values() {
        let s = set(&[
            "    sel: {Image: a}\n    condition: sel",
            "    sel: {image: b}\n    condition: sel",
            "    sel: {IMAGE: a}\n    condition: sel",
            "    sel: {IMAGE: b}\n    condition: sel",
            "    sel: {a.b: 1}\n    condition: sel",
            "    sel: {a.b: 2}\n    condition: sel",
            "    sel: {x: null}\n    condition: sel",
            "    sel: {x|exists: true}\n    condition: sel",
            "    sel: {l|contains: z}\n    condition: sel",
        ]);
        // Exact key first; with several other-case keys, the lookup decides.
        assert_eq!(
            matching(&s, &json!({"Image": "a", "image": "b"})),
            vec![0, 1, 2, 6]
        );
        assert_eq!(matching(&s, &json!({"image": "a"})), vec![0, 2, 6]);
        assert_eq!(
            matching(&s, &json!({"iMage": "b", "imagE": "a"})),
            vec![1, 3, 6]
        );
        // A literal dotted key first, then the nested path.
        assert_eq!(matching(&s, &json!({"a.b": 1, "a": {"b": 2}})), vec![4, 6]);
        assert_eq!(matching(&s, &json!({"A": {"B": 2}})), vec![5, 6]);
        // Three segments: through a dotted name, or a dotted name below a plain one.
        let t = set(&["    sel: {a.b.c: 1}\n    condition: sel"]);
        assert_eq!(
            matching(&t, &json!({"a.b": {"c": 1}, "a": {"b": 2}})),
            vec![0]
        );
        assert_eq!(
            matching(&t, &json!({"a": {"b.c": 1, "b": {"c": 2}}})),
            vec![0]
        );
        assert_eq!(matching(&t, &json!({"A": {"B": {"C": [2, 1]}}})), vec![0]);
        assert!(matching(&t, &json!({"a": {"b": {"c": 2}}, "x.y": 1})).is_empty());
        assert_eq!(matching(&s, &json!({"x": null})), vec![6, 7]);
        assert_eq!(matching(&s, &json!({"l": ["y", "XZ"]})), vec![6, 8]);
        assert_eq!(matching(&s, &json!([{"Image": "a"}])), vec![6]);
        assert_eq!(matching(&s, &json!("Image")), vec![6]);
    }

    #[test]
    fn whole_values_select_by_folded_text_and_number() {
        let s = set(&[
            "    sel: {EventID: 4624}\n    condition: sel",
            "    sel: {EventID: '4624'}\n    condition: sel",
            "    sel: {Image: 'C:\\ÄX.exe'}\n    condition: sel",
            "    sel: {Image|cased: 'C:\\ÄX.exe'}\n    condition: sel",
            "    sel: {Flag: .inf}\n    condition: sel",
        ]);
        for (e, want) in [
            (json!({"EventID": 4624}), vec![0, 1]),
            (json!({"EventID": "4624"}), vec![0, 1]),
            (json!({"EventID": " 4624 "}), vec![0]),
            (json!({"EventID": 4624.0}), vec![0, 1]),
            (json!({"EventID": "4.624e3"}), vec![0]),
            (json!({"EventID": [1, "4624"]}), vec![0, 1]),
            (json!({"EventID": 4625}), vec![]),
            (json!({"Image": "c:\\äx.EXE"}), vec![2]),
            (json!({"Image": "C:\\ÄX.exe"}), vec![2, 3]),
            (json!({"Flag": "INF"}), vec![4]),
        ] {
            assert_eq!(matching(&s, &e), want, "{e}");
        }
        // Not a candidate at all for another value.
        assert!(s.candidate_indices(&json!({"EventID": 1})).is_empty());
        assert!(
            s.candidate_indices(&json!({"Image": "C:\\Y.exe"}))
                .is_empty()
        );
    }

    #[test]
    fn an_and_selects_by_both_of_its_most_selective_conditions() {
        let s = set(&[
            "    sel: {Status: Success, App: foo}\n    condition: sel",
            "    a: {Status: Success}\n    b: {App|contains: bar}\n    c: {Other: x}\n    condition: (a and b) or c",
            "    sel: {Status: Success, App|exists: true}\n    condition: sel",
            "    a: {Status: Success}\n    b: {App: foo}\n    condition: a and not b",
        ]);
        assert_eq!(s.stats().pairs, 1);
        // Both conditions, or neither counts.
        assert!(
            s.candidate_indices(&json!({"Status": "success"}))
                .contains(&2)
        );
        assert!(
            !s.candidate_indices(&json!({"Status": "success"}))
                .contains(&0)
        );
        assert!(!s.candidate_indices(&json!({"App": "FOO"})).contains(&0));
        assert_eq!(
            matching(&s, &json!({"Status": "success", "App": "FOO"})),
            vec![0, 2]
        );
        // An OR of ANDs keeps one condition per branch.
        assert_eq!(
            matching(&s, &json!({"Status": "success", "App": "xbarx"})),
            vec![1, 2, 3]
        );
        assert_eq!(matching(&s, &json!({"Other": "x"})), vec![1]);
        assert!(!s.candidate_indices(&json!({"App": "bar"})).contains(&1));
        assert!(
            s.candidate_indices(&json!({"Status": "success"}))
                .contains(&1)
        );
    }

    #[test]
    fn negations_need_what_their_selection_excludes() {
        let s = set(&[
            "    filter: {Image: null}\n    condition: not filter",
            "    filter: {Image|exists: false}\n    condition: not filter",
            "    sel: {Image|re: '\\.exe$'}\n    filter: {Image: null}\n    condition: not (filter or not sel)",
            "    a: {x: 1}\n    b: {y: 2}\n    condition: not 1 of them",
        ]);
        assert_eq!(s.stats().always, 1);
        assert!(s.candidate_indices(&json!({"x": 1})) == vec![3]);
        assert_eq!(matching(&s, &json!({"Image": null})), vec![1, 3]);
        assert_eq!(matching(&s, &json!({"Image": "a.exe"})), vec![0, 1, 2, 3]);
        assert_eq!(matching(&s, &json!({"x": 1, "Image": "b"})), vec![0, 1]);
    }

    #[test]
    fn gates_look_for_the_rarest_bytes_every_literal_needs() {
        let lits = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // A byte all literals share: the rarest (`/` before `.` and letters).
        let g = Gate::for_literals(&lits(&[
            "microsoft.compute/snapshots/write",
            "microsoft.maps/accounts",
        ]));
        assert_eq!(g, Gate::One(b'/'));
        assert!(g.admits(b"x/y") && !g.admits(b"Microsoft.Maps"));
        // None shared: the rarest of each.
        assert_eq!(
            Gate::for_literals(&lits(&["a/b", "c.d"])),
            Gate::Two(b'.', b'/')
        );
        // A letter is looked for in both cases.
        let g = Gate::for_literals(&lits(&["kq", "qz"]));
        assert_eq!(g, Gate::Two(b'q', b'Q'));
        assert!(g.admits(b"xQx") && g.admits(b"q") && !g.admits(b"kz"));
        // Every position of short and long texts.
        for g in [
            Gate::One(b'/'),
            Gate::Two(b'q', b'Q'),
            Gate::Three(b'.', b'/', 0xa4),
        ] {
            for len in 0..70 {
                assert!(!g.admits(&vec![b'x'; len]), "{g:?} {len}");
                for at in 0..len {
                    for &b in &g.bytes() {
                        let mut t = vec![b'x'; len];
                        t[at] = b;
                        assert!(g.admits(&t), "{g:?} {len} {at}");
                    }
                }
            }
        }
        // Too many bytes: open.
        assert_eq!(Gate::for_literals(&lits(&["ab", "cd", "ef"])), Gate::Open);
        assert_eq!(Gate::for_literals(&lits(&[])), Gate::Open);
        // Non-ASCII literals are searched in folded text: their bytes as they are.
        assert_eq!(Gate::for_literals(&lits(&["ä"])), Gate::One(0xa4));
    }

    #[test]
    fn a_callback_may_match_with_the_same_set() {
        let s = set(&[
            "    sel: {Image|endswith: a.exe}\n    condition: sel",
            "    sel: {CommandLine|contains: x}\n    condition: sel",
        ]);
        let e = json!({"Image": "C:\\a.exe", "CommandLine": "x y"});
        let mut seen = Vec::new();
        s.matches(&e, |i| {
            seen.push((i, s.matching(&json!({"CommandLine": "xx"}))));
        });
        assert_eq!(seen, vec![(0, vec![1]), (1, vec![1])]);
        assert_eq!(s.matching(&e), vec![0, 1]);
    }

    #[test]
    fn regexes_need_a_literal_from_anywhere_in_them() {
        let s = set(&[
            "    sel: {CommandLine|re: '\\w+`(?:\\w+|-)`'}\n    condition: sel",
            "    sel: {CommandLine|re: '(?i)a.*set'}\n    condition: sel",
            "    sel: {CommandLine|re: '(foo|ba+r)\\d'}\n    condition: sel",
        ]);
        assert_eq!(s.stats().literals, 4);
        for (cl, want) in [
            ("IN`V`oke", vec![0]),
            ("A && SET x", vec![1]),
            ("a ſet", vec![1]),
            ("baaar1", vec![2]),
            ("nothing", vec![]),
        ] {
            let e = json!({ "CommandLine": cl });
            assert_eq!(matching(&s, &e), want, "{cl}");
        }
        assert!(
            s.candidate_indices(&json!({"CommandLine": "nothing"}))
                .is_empty()
        );
    }
}
