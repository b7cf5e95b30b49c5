//! Detection items: a field, its modifiers and values, compiled to leaves that match
//! event values.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_yaml::Value as Yaml;

use crate::correlation::CmpOp;
use crate::error::ErrorKind;
use crate::event::{Event, FieldValue, format_float, parse_number};
use crate::mapping::Mapped;
use crate::pattern::{self, Piece, StrPattern};
use crate::prefilter::{Atom, Known, Need};

/// Values for `expand` placeholders (`%name%`), e.g. per tenant.
pub trait Placeholders {
    /// The values of placeholder `name` (without the `%`), or `None` when unknown.
    fn resolve(&self, name: &str) -> Option<Vec<String>>;
}

impl Placeholders for HashMap<String, Vec<String>> {
    fn resolve(&self, name: &str) -> Option<Vec<String>> {
        self.get(name).cloned()
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum RefMode {
    Equal,
    Contains,
    StartsWith,
    EndsWith,
}

/// One alternative a value can match.
#[derive(Debug)]
pub(crate) enum Leaf {
    Str(StrPattern),
    /// A YAML number: numeric equality, or the text form for non-numeric strings.
    Num(f64, StrPattern),
    Bool(bool),
    Null,
    /// The plain string `'[]'`: also equals an empty list (Log Analytics renders an empty
    /// dynamic array as the text `[]`; raw JSON has `[]`).
    EmptyList,
    Regex(Box<Re>),
    Cidr(ipnet::IpNet),
    Cmp(CmpOp, f64),
    Time(TimePart, Option<CmpOp>, f64),
    FieldRef {
        field: Targets,
        mode: RefMode,
        cased: bool,
    },
}

#[derive(Debug)]
pub(crate) enum Re {
    /// With its flags (case-insensitive, multi-line, dot-all), for literal extraction.
    Std(regex::Regex, (bool, bool, bool)),
    Fancy(fancy_regex::Regex),
}

impl Re {
    fn is_match(&self, s: &str) -> bool {
        match self {
            Re::Std(r, _) => r.is_match(s),
            Re::Fancy(r) => r.is_match(s).unwrap_or(false),
        }
    }
}

/// Where a Sigma field is read from: the event paths a field mapping gives, tried in order;
/// the first one present is the field's value (so `null`, `exists` and `neq` see one value).
/// When none is present, the value the log source implies (if the mapping gives one).
#[derive(Debug, Clone)]
pub(crate) struct Targets {
    mapped: Mapped,
    /// Each path's slot among the values a [`crate::RuleSet`] reads once per event
    /// ([`Known`]); empty until the rule joins a rule set.
    slots: Vec<u32>,
}

/// What a rule is evaluated on: the event, and the field values a rule set's index already
/// read from it (none when a rule is evaluated alone).
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'k, 'e> {
    pub(crate) event: &'e dyn Event,
    pub(crate) known: Option<&'k Known<'e>>,
}

impl<'e> Ctx<'_, 'e> {
    /// Evaluation with every field looked up in the event.
    pub(crate) fn direct(event: &'e dyn Event) -> Self {
        Ctx { event, known: None }
    }
}

impl Targets {
    fn new(mapped: Mapped) -> Self {
        Targets {
            mapped,
            slots: Vec::new(),
        }
    }

    /// The field's value: through the values the index read when the rule is in a rule
    /// set, else looked up in the event. The same value either way.
    fn get<'k, 'e>(&self, ctx: Ctx<'k, 'e>) -> Option<Cow<'k, FieldValue<'e>>> {
        let m = &self.mapped;
        let known = match ctx.known {
            Some(k) if self.slots.len() == m.paths.len() => k,
            _ => return m.read(ctx.event).map(Cow::Owned),
        };
        let direct = m
            .paths
            .iter()
            .zip(&self.slots)
            .find_map(|(p, s)| known.get(*s, p, ctx.event));
        if m.translated.is_none() && (direct.is_some() || m.implied.is_none()) {
            return direct;
        }
        m.finish(direct.map(Cow::into_owned), ctx.event)
            .map(Cow::Owned)
    }

    /// Gives each path its slot (see [`Known`]).
    pub(crate) fn assign_slots(&mut self, slot_of: &mut dyn FnMut(&str) -> u32) {
        self.slots = self.mapped.paths.iter().map(|p| slot_of(p)).collect();
    }
}

/// Maps a Sigma field name to where it is read from.
pub(crate) type FieldMapper<'a> = &'a dyn Fn(&str) -> Mapped;

/// A compiled detection item: `field|mods: values`.
#[derive(Debug)]
pub(crate) struct Item {
    /// `None` for a keyword search over every string in the event.
    field: Option<Targets>,
    /// One entry per value; each is an OR of alternatives.
    values: Vec<Vec<Leaf>>,
    all: bool,
    negate: bool,
    /// `exists: true/false`.
    exists: Option<bool>,
}

fn leaf_match(leaf: &Leaf, v: Option<&FieldValue<'_>>, ctx: Ctx<'_, '_>) -> bool {
    let Some(v) = v else {
        return matches!(leaf, Leaf::Null);
    };
    if let FieldValue::List(items) = v {
        // A null pattern on an empty list: treat the empty list as null; `'[]'` is empty.
        if items.is_empty() {
            return matches!(leaf, Leaf::Null | Leaf::EmptyList);
        }
        return items.iter().any(|x| leaf_match(leaf, Some(x), ctx));
    }
    match leaf {
        Leaf::Null => matches!(v, FieldValue::Null),
        Leaf::EmptyList => false,
        Leaf::Str(p) => v.as_text().is_some_and(|t| p.is_match(&t)),
        Leaf::Num(n, p) => match v {
            FieldValue::Int(_) | FieldValue::Float(_) => number_of(v) == Some(*n),
            FieldValue::Str(s) => match number_of(v) {
                Some(x) => x == *n,
                None => p.is_match(s),
            },
            _ => false,
        },
        Leaf::Bool(b) => match v {
            FieldValue::Bool(x) => x == b,
            FieldValue::Str(s) => s
                .trim()
                .eq_ignore_ascii_case(if *b { "true" } else { "false" }),
            _ => false,
        },
        Leaf::Regex(r) => v.as_text().is_some_and(|t| r.is_match(&t)),
        Leaf::Cidr(net) => v
            .as_text()
            .and_then(|t| t.trim().parse::<std::net::IpAddr>().ok())
            .is_some_and(|ip| net.contains(&ip)),
        Leaf::Cmp(op, n) => v.as_number().is_some_and(|x| op.test(x, *n)),
        Leaf::Time(part, op, n) => {
            v.as_text()
                .and_then(|t| time_part(&t, *part))
                .is_some_and(|x| match op {
                    Some(op) => op.test(x as f64, *n),
                    None => x as f64 == *n,
                })
        }
        Leaf::FieldRef { field, mode, cased } => {
            let Some(other) = field.get(ctx) else {
                return false;
            };
            let Some(a) = v.as_text() else { return false };
            let fold = |s: &str| {
                if *cased {
                    s.to_string()
                } else {
                    s.to_lowercase()
                }
            };
            let a = fold(&a);
            let check = |o: &FieldValue<'_>| {
                o.as_text().is_some_and(|b| {
                    let b = fold(&b);
                    match mode {
                        RefMode::Equal => a == b,
                        RefMode::Contains => a.contains(&b),
                        RefMode::StartsWith => a.starts_with(&b),
                        RefMode::EndsWith => a.ends_with(&b),
                    }
                })
            };
            match other.as_ref() {
                FieldValue::List(xs) => xs.iter().any(check),
                o => check(o),
            }
        }
    }
}

/// [`leaf_match`] on a scalar `v` whose text is `text` (folded at most once across the
/// calls for one item).
fn leaf_match_text(
    leaf: &Leaf,
    v: &FieldValue<'_>,
    text: &pattern::Text<'_>,
    ctx: Ctx<'_, '_>,
) -> bool {
    match leaf {
        Leaf::Str(p) => p.is_match_text(text),
        _ => leaf_match(leaf, Some(v), ctx),
    }
}

fn time_part(s: &str, part: TimePart) -> Option<i64> {
    let s = s.trim();
    let dt = if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        ts.to_zoned(jiff::tz::TimeZone::UTC).datetime()
    } else {
        s.parse::<jiff::civil::DateTime>().ok()?
    };
    Some(match part {
        TimePart::Minute => i64::from(dt.minute()),
        TimePart::Hour => i64::from(dt.hour()),
        TimePart::Day => i64::from(dt.day()),
        TimePart::Week => i64::from(dt.date().iso_week_date().week()),
        TimePart::Month => i64::from(dt.month()),
        TimePart::Year => i64::from(dt.year()),
    })
}

impl Targets {
    /// The paths, when the field is read from them alone (not when it has an implied value,
    /// which makes it never absent, or a translated one, read from other paths).
    fn index_key(&self) -> Option<&[String]> {
        let m = &self.mapped;
        (m.implied.is_none() && m.translated.is_none()).then_some(m.paths.as_slice())
    }
}

/// What one leaf needs from an event to match.
fn leaf_need(leaf: &Leaf, field: Option<&Targets>) -> Need {
    match (leaf, field) {
        (Leaf::Null, _) => Need::Any,
        (Leaf::Str(p), None) => match p.required_literal() {
            Some(lit) => Need::one(Atom::Keyword(lit)),
            None => Need::Any,
        },
        (_, None) => Need::Any,
        (_, Some(f)) => {
            let Some(key) = f.index_key() else {
                return Need::Any;
            };
            match leaf {
                Leaf::Str(p) => match (p.exact_key(), p.required_literal()) {
                    (Some(text), _) => Need::one(Atom::Equals(key.to_vec(), text)),
                    (None, Some(lit)) => Need::one(Atom::Literal(key.to_vec(), lit)),
                    (None, None) => Need::one(Atom::Present(key.to_vec())),
                },
                // A number equals the event's number (or a string that parses to it), or
                // a non-numeric string equals its text.
                Leaf::Num(n, p) => Need::OneOf(
                    number_key(*n)
                        .map(|k| Atom::Number(key.to_vec(), k))
                        .into_iter()
                        .chain(p.exact_key().map(|t| Atom::Equals(key.to_vec(), t)))
                        .collect(),
                ),
                Leaf::Regex(r) => match regex_literals(r) {
                    Some((lits, non_ascii)) => Need::OneOf(
                        lits.into_iter()
                            .map(|l| Atom::Literal(key.to_vec(), l))
                            .chain(non_ascii.then(|| Atom::NonAscii(key.to_vec())))
                            .collect(),
                    ),
                    None => Need::one(Atom::Present(key.to_vec())),
                },
                _ => Need::one(Atom::Present(key.to_vec())),
            }
        }
    }
}

/// The key under which the index files a number (see [`Atom::Number`]): `None` for NaN,
/// which equals nothing.
pub(crate) fn number_key(n: f64) -> Option<u64> {
    if n.is_nan() {
        None
    } else if n == 0.0 {
        Some(0f64.to_bits())
    } else {
        Some(n.to_bits())
    }
}

/// The number a [`Leaf::Num`] compares an event value by.
pub(crate) fn number_of(v: &FieldValue<'_>) -> Option<f64> {
    match v {
        FieldValue::Int(_) | FieldValue::Float(_) => v.as_number(),
        FieldValue::Str(s) => parse_number(s),
        _ => None,
    }
}

/// Literals one of which every match of the regex contains, ASCII-lower-cased, and whether
/// some match may instead contain only a non-ASCII literal (then the text is not ASCII);
/// `None` when there is no finite set of non-empty literals (then only the field's presence
/// is required).
///
/// Every match of a concatenation contains a match of each of its tails, which begins with
/// one of the tail's prefix literals (`regex-syntax`'s extractor): the tail whose literal
/// set is the most selective is kept. Alternations union their branches' sets. The index
/// searches an ASCII literal ASCII-case-insensitively in the folded text, where any ASCII
/// substring of the raw text survives; a non-ASCII literal (from a case-insensitive regex:
/// `ſ` for `s`) can only occur in non-ASCII text, which is what it is reduced to.
fn regex_literals(r: &Re) -> Option<(Vec<String>, bool)> {
    let Re::Std(r, (i, m, s)) = r else {
        return None;
    };
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(*i)
        .multi_line(*m)
        .dot_matches_new_line(*s)
        .build()
        .parse(r.as_str())
        .ok()?;
    inner_literals(&hir, 0)
}

/// The index's cost of a literal set (see [`Need`]): lower is more selective.
fn literal_cost(set: &(Vec<String>, bool)) -> f64 {
    set.0
        .iter()
        .map(|l| (60.0 / l.len() as f64).max(1.0))
        .sum::<f64>()
        + if set.1 { 5.0 } else { 0.0 }
}

fn inner_literals(hir: &regex_syntax::hir::Hir, depth: usize) -> Option<(Vec<String>, bool)> {
    use regex_syntax::hir::{Hir, HirKind};
    if depth > 32 {
        return None;
    }
    let best = |sets: Vec<(Vec<String>, bool)>| {
        sets.into_iter()
            .min_by(|a, b| literal_cost(a).total_cmp(&literal_cost(b)))
    };
    match hir.kind() {
        HirKind::Capture(c) => inner_literals(&c.sub, depth + 1),
        HirKind::Repetition(r) if r.min >= 1 => inner_literals(&r.sub, depth + 1),
        HirKind::Alternation(alts) => {
            let mut out = (Vec::new(), false);
            for a in alts {
                let (lits, non_ascii) = inner_literals(a, depth + 1)?;
                out.0.extend(lits);
                out.1 |= non_ascii;
            }
            out.0.sort();
            out.0.dedup();
            (out.0.len() <= 256).then_some(out)
        }
        HirKind::Concat(parts) => {
            let mut sets = Vec::new();
            for i in 0..parts.len() {
                if let Some(s) = prefix_literals(&Hir::concat(parts[i..].to_vec())) {
                    sets.push(s);
                }
                if let Some(s) = inner_literals(&parts[i], depth + 1) {
                    sets.push(s);
                }
            }
            best(sets)
        }
        _ => prefix_literals(hir),
    }
}

/// The finite set of literals every match of `hir` begins with, split as
/// [`regex_literals`] returns them.
fn prefix_literals(hir: &regex_syntax::hir::Hir) -> Option<(Vec<String>, bool)> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let seq = Extractor::new().kind(ExtractKind::Prefix).extract(hir);
    let lits = seq.literals()?;
    if lits.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(lits.len());
    let mut non_ascii = false;
    for l in lits {
        let b = l.as_bytes();
        if b.is_empty() {
            return None;
        }
        if b.is_ascii() {
            out.push(String::from_utf8_lossy(b).to_ascii_lowercase());
        } else {
            non_ascii = true;
        }
    }
    out.sort();
    out.dedup();
    Some((out, non_ascii))
}

impl Item {
    /// A necessary condition for this item to match (see [`Need`]).
    pub(crate) fn need(&self) -> Need {
        if self.negate {
            return Need::Any;
        }
        self.unnegated_need()
    }

    /// A necessary condition for this item *not* to match.
    pub(crate) fn neg_need(&self) -> Need {
        if self.negate {
            return self.unnegated_need();
        }
        let Some(key) = self.field.as_ref().and_then(Targets::index_key) else {
            return Need::Any;
        };
        let present = || Need::one(Atom::Present(key.to_vec()));
        match self.exists {
            Some(false) => return present(),
            Some(true) => return Need::Any,
            None => {}
        }
        // An item that holds on a missing field (`F: null`) fails only on a present one.
        let null = |alts: &Vec<Leaf>| alts.iter().any(|l| matches!(l, Leaf::Null));
        let on_missing = if self.all {
            self.values.iter().all(null)
        } else {
            self.values.iter().any(null)
        };
        if on_missing { present() } else { Need::Any }
    }

    /// [`Item::need`] of the item without its `neq`.
    fn unnegated_need(&self) -> Need {
        if let Some(want) = self.exists {
            return match (want, self.field.as_ref().and_then(Targets::index_key)) {
                (true, Some(key)) => Need::one(Atom::Present(key.to_vec())),
                _ => Need::Any,
            };
        }
        let per_value = self
            .values
            .iter()
            .map(|alts| Need::any_of(alts.iter().map(|l| leaf_need(l, self.field.as_ref()))));
        if self.all {
            Need::all_of(per_value)
        } else {
            Need::any_of(per_value)
        }
    }

    /// Calls `f` on every field this item reads (its own and `fieldref` targets).
    pub(crate) fn targets_mut(&mut self, f: &mut dyn FnMut(&mut Targets)) {
        if let Some(t) = &mut self.field {
            f(t);
        }
        for leaf in self.values.iter_mut().flatten() {
            if let Leaf::FieldRef { field, .. } = leaf {
                f(field);
            }
        }
    }

    pub(crate) fn matches(&self, ctx: Ctx<'_, '_>) -> bool {
        let r = match &self.field {
            None => {
                let one = |alts: &Vec<Leaf>| {
                    ctx.event.any_text(&mut |t| {
                        let v = FieldValue::Str(t.into());
                        let text = pattern::Text::new(t);
                        alts.iter().any(|l| leaf_match_text(l, &v, &text, ctx))
                    })
                };
                if self.all {
                    self.values.iter().all(one)
                } else {
                    self.values.iter().any(one)
                }
            }
            Some(f) => {
                let got = f.get(ctx);
                let v = got.as_deref();
                if let Some(want) = self.exists {
                    return v.is_some() == want;
                }
                // A string's text is folded once for all the item's string patterns. A
                // number's is written only if a string pattern needs it (`leaf_match`).
                let text = match v {
                    Some(x @ (FieldValue::Str(_) | FieldValue::Bool(_))) => x.as_text(),
                    _ => None,
                };
                let text = text.as_deref().map(pattern::Text::new);
                let one = |alts: &Vec<Leaf>| {
                    alts.iter().any(|l| match (v, &text) {
                        (Some(x), Some(t)) => leaf_match_text(l, x, t, ctx),
                        _ => leaf_match(l, v, ctx),
                    })
                };
                if self.all {
                    self.values.iter().all(one)
                } else {
                    self.values.iter().any(one)
                }
            }
        };
        r != self.negate
    }
}

/// The modifiers on one key, parsed.
#[derive(Default)]
struct Mods {
    all: bool,
    cased: bool,
    neq: bool,
    expand: bool,
    exists: bool,
    cidr: bool,
    fieldref: bool,
    re: Option<(bool, bool, bool)>,
    cmp: Option<CmpOp>,
    time: Option<TimePart>,
    /// String transformations, in order.
    transforms: Vec<&'static str>,
}

fn bad(key: &str, reason: impl Into<String>) -> ErrorKind {
    ErrorKind::InvalidValue {
        key: key.to_string(),
        reason: reason.into(),
    }
}

fn parse_mods(key: &str, mods: &[&str]) -> Result<Mods, ErrorKind> {
    let mut m = Mods::default();
    let mut anchor = 0;
    for (i, raw) in mods.iter().enumerate() {
        let name = raw.trim();
        match name {
            "contains" | "startswith" | "endswith" => {
                anchor += 1;
                m.transforms.push(match name {
                    "contains" => "contains",
                    "startswith" => "startswith",
                    _ => "endswith",
                });
            }
            "windash" => m.transforms.push("windash"),
            "base64" => m.transforms.push("base64"),
            "base64offset" => m.transforms.push("base64offset"),
            "utf16le" | "wide" => m.transforms.push("utf16le"),
            "utf16be" => m.transforms.push("utf16be"),
            "utf16" => m.transforms.push("utf16"),
            "all" => m.all = true,
            "cased" => m.cased = true,
            "neq" => m.neq = true,
            "expand" => m.expand = true,
            "exists" => m.exists = true,
            "fieldref" => m.fieldref = true,
            "cidr" => m.cidr = true,
            "re" => {
                m.re = Some((false, false, false));
                if i != 0 {
                    return Err(bad(key, "`re` must be the first modifier"));
                }
            }
            "i" | "ignorecase" | "m" | "multiline" | "s" | "dotall" => {
                let Some(f) = m.re.as_mut() else {
                    return Err(bad(key, format!("`{name}` is only valid after `re`")));
                };
                match name {
                    "i" | "ignorecase" => f.0 = true,
                    "m" | "multiline" => f.1 = true,
                    _ => f.2 = true,
                }
            }
            "gt" => m.cmp = Some(CmpOp::Gt),
            "gte" => m.cmp = Some(CmpOp::Gte),
            "lt" => m.cmp = Some(CmpOp::Lt),
            "lte" => m.cmp = Some(CmpOp::Lte),
            "minute" => m.time = Some(TimePart::Minute),
            "hour" => m.time = Some(TimePart::Hour),
            "day" => m.time = Some(TimePart::Day),
            "week" => m.time = Some(TimePart::Week),
            "month" => m.time = Some(TimePart::Month),
            "year" => m.time = Some(TimePart::Year),
            other => {
                return Err(ErrorKind::UnknownModifier {
                    key: key.to_string(),
                    modifier: other.to_string(),
                });
            }
        }
    }
    if anchor > 1 {
        return Err(bad(key, "at most one of contains, startswith, endswith"));
    }
    if m.exists && mods.len() > 1 {
        return Err(bad(key, "`exists` must be the only modifier"));
    }
    if m.cidr && mods.len() > 1 && !(mods.len() == 2 && m.neq) {
        return Err(bad(key, "`cidr` cannot be combined with other modifiers"));
    }
    if m.re.is_some() && (!m.transforms.is_empty() || m.cidr || m.fieldref || m.cmp.is_some()) {
        return Err(bad(
            key,
            "`re` can only be combined with i, m, s, all, neq and cased",
        ));
    }
    if m.fieldref
        && m.transforms
            .iter()
            .any(|t| !matches!(*t, "contains" | "startswith" | "endswith"))
    {
        return Err(bad(
            key,
            "`fieldref` combines only with contains, startswith, endswith, neq",
        ));
    }
    if (m.cmp.is_some() || m.time.is_some()) && !m.transforms.is_empty() {
        return Err(bad(
            key,
            "numeric comparisons cannot be combined with string transformations",
        ));
    }
    Ok(m)
}

/// A value while transformations apply: text with wildcards, or encoded bytes.
enum Val {
    Text(Vec<Piece>),
    Bytes(Vec<u8>),
}

fn yaml_scalar_text(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(match n.as_i64() {
            Some(i) => i.to_string(),
            None => n
                .as_f64()
                .map(format_float)
                .unwrap_or_else(|| n.to_string()),
        }),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn expand_placeholders(
    key: &str,
    s: &str,
    ph: &dyn Placeholders,
) -> Result<Vec<String>, ErrorKind> {
    // Split into literal text and placeholder names; `\%` is a literal percent.
    let mut parts: Vec<Result<String, String>> = vec![Ok(String::new())];
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'%') {
            chars.next();
            if let Some(Ok(t)) = parts.last_mut() {
                t.push('%');
            } else {
                parts.push(Ok("%".into()));
            }
        } else if c == '%' {
            let name: String = chars.by_ref().take_while(|&c| c != '%').collect();
            if name.is_empty() {
                return Err(bad(key, "empty or unterminated `%…%` placeholder"));
            }
            parts.push(Err(name));
            parts.push(Ok(String::new()));
        } else if let Some(Ok(t)) = parts.last_mut() {
            t.push(c);
        }
    }
    let mut out = vec![String::new()];
    for p in parts {
        match p {
            Ok(t) => out.iter_mut().for_each(|o| o.push_str(&t)),
            Err(name) => {
                let vals = ph
                    .resolve(&name)
                    .ok_or_else(|| ErrorKind::UnresolvedPlaceholder(name.clone()))?;
                if vals.is_empty() {
                    return Err(ErrorKind::UnresolvedPlaceholder(name));
                }
                if out.len() * vals.len() > 4096 {
                    return Err(bad(key, "placeholder expansion exceeds 4096 values"));
                }
                out = out
                    .iter()
                    .flat_map(|o| vals.iter().map(move |v| format!("{o}{v}")))
                    .collect();
            }
        }
    }
    Ok(out)
}

fn compile_regex(key: &str, src: &str, flags: (bool, bool, bool)) -> Result<Re, ErrorKind> {
    let std = regex::RegexBuilder::new(src)
        .case_insensitive(flags.0)
        .multi_line(flags.1)
        .dot_matches_new_line(flags.2)
        .size_limit(1 << 22)
        .dfa_size_limit(1 << 22)
        .build();
    match std {
        Ok(r) => Ok(Re::Std(r, flags)),
        Err(e) => {
            let mut prefix = String::new();
            for (on, f) in [(flags.0, 'i'), (flags.1, 'm'), (flags.2, 's')] {
                if on {
                    prefix.push(f);
                }
            }
            let full = if prefix.is_empty() {
                src.to_string()
            } else {
                format!("(?{prefix}){src}")
            };
            fancy_regex::RegexBuilder::new(&full)
                .backtrack_limit(100_000)
                .build()
                .map(Re::Fancy)
                .map_err(|fe| ErrorKind::Regex {
                    key: key.to_string(),
                    reason: format!("{e}; fallback: {fe}"),
                })
        }
    }
}

/// Compiles one `key: value` entry of a selection map (or a keyword list when `key` is
/// empty or `|all`).
pub(crate) fn compile_item(
    key: &str,
    value: &Yaml,
    ph: &dyn Placeholders,
    map: FieldMapper<'_>,
) -> Result<Item, ErrorKind> {
    let mut split = key.split('|');
    let field = split.next().unwrap_or("").trim();
    let mods: Vec<&str> = split.collect();
    let mut m = parse_mods(key, &mods)?;
    let field = (!field.is_empty()).then(|| Targets::new(map(field)));
    // A keyword is searched for inside the event's strings: substring semantics, as if
    // `contains` ended the chain (unless it already anchors, or is a regex).
    if field.is_none()
        && m.re.is_none()
        && !m
            .transforms
            .iter()
            .any(|t| matches!(*t, "contains" | "startswith" | "endswith"))
    {
        m.transforms.push("contains");
    }

    let raw: Vec<&Yaml> = match value {
        Yaml::Sequence(s) => s.iter().collect(),
        Yaml::Tagged(t) => vec![&t.value],
        v => vec![v],
    };

    if m.exists {
        let want = match value {
            Yaml::Bool(b) => *b,
            Yaml::String(s) if s.eq_ignore_ascii_case("true") => true,
            Yaml::String(s) if s.eq_ignore_ascii_case("false") => false,
            _ => return Err(bad(key, "`exists` takes `true` or `false`")),
        };
        if field.is_none() {
            return Err(bad(key, "`exists` needs a field"));
        }
        return Ok(Item {
            field,
            values: Vec::new(),
            all: false,
            negate: false,
            exists: Some(want),
        });
    }

    if raw.is_empty() {
        // `field: []` means the field is null.
        if field.is_none() {
            return Err(bad(key, "an empty keyword list"));
        }
        return Ok(Item {
            field,
            values: vec![vec![Leaf::Null]],
            all: false,
            negate: m.neq,
            exists: None,
        });
    }
    if m.all && raw.len() < 2 && field.is_some() {
        tracing::debug!(key, "`all` on a single value");
    }

    let mut values = Vec::with_capacity(raw.len());
    for v in raw {
        values.push(compile_value(key, field.is_some(), &m, v, ph, map)?);
    }
    Ok(Item {
        field,
        values,
        all: m.all,
        negate: m.neq,
        exists: None,
    })
}

fn compile_value(
    key: &str,
    has_field: bool,
    m: &Mods,
    v: &Yaml,
    ph: &dyn Placeholders,
    map: FieldMapper<'_>,
) -> Result<Vec<Leaf>, ErrorKind> {
    if matches!(v, Yaml::Null) {
        if !has_field {
            return Err(bad(key, "`null` needs a field"));
        }
        return Ok(vec![Leaf::Null]);
    }
    if matches!(v, Yaml::Sequence(_) | Yaml::Mapping(_)) {
        return Err(bad(key, "a value must be a scalar"));
    }
    let text = yaml_scalar_text(v).ok_or_else(|| bad(key, "unsupported value type"))?;
    if let Some(flags) = m.re {
        return Ok(vec![Leaf::Regex(Box::new(compile_regex(
            key, &text, flags,
        )?))]);
    }
    if m.cidr {
        let net = text
            .trim()
            .parse::<ipnet::IpNet>()
            .map_err(|e| bad(key, format!("invalid CIDR `{text}`: {e}")))?;
        return Ok(vec![Leaf::Cidr(net.trunc())]);
    }
    if m.time.is_some() || m.cmp.is_some() {
        let n = match v {
            Yaml::Number(n) => n.as_f64(),
            Yaml::String(s) => parse_number(s),
            _ => None,
        }
        .ok_or_else(|| bad(key, format!("`{text}` is not a number")))?;
        return Ok(vec![match m.time {
            Some(p) => Leaf::Time(p, m.cmp, n),
            None => Leaf::Cmp(m.cmp.unwrap_or(CmpOp::Gte), n),
        }]);
    }
    if m.fieldref {
        let mode = match m.transforms.first().copied() {
            Some("contains") => RefMode::Contains,
            Some("startswith") => RefMode::StartsWith,
            Some("endswith") => RefMode::EndsWith,
            _ => RefMode::Equal,
        };
        return Ok(vec![Leaf::FieldRef {
            field: Targets::new(map(text.trim())),
            mode,
            cased: m.cased,
        }]);
    }
    // Plain (untransformed) numbers and booleans keep their type.
    if m.transforms.is_empty() && !m.expand {
        match v {
            Yaml::Number(n) => {
                if let Some(f) = n.as_f64() {
                    return Ok(vec![Leaf::Num(
                        f,
                        StrPattern::new(&pattern::literal(&text), false),
                    )]);
                }
            }
            Yaml::Bool(b) => return Ok(vec![Leaf::Bool(*b)]),
            Yaml::String(t) if t == "[]" && !m.cased => {
                return Ok(vec![
                    Leaf::Str(StrPattern::new(&pattern::literal(t), false)),
                    Leaf::EmptyList,
                ]);
            }
            _ => {}
        }
    }
    let texts = if m.expand {
        expand_placeholders(key, &text, ph)?
    } else {
        vec![text]
    };
    let mut leaves = Vec::new();
    for t in texts {
        let mut vals = vec![Val::Text(pattern::parse_sigma_string(&t))];
        for tr in &m.transforms {
            vals = apply_transform(key, tr, vals)?;
        }
        for val in vals {
            match val {
                Val::Text(p) => leaves.push(Leaf::Str(StrPattern::new(&p, m.cased))),
                Val::Bytes(_) => {
                    return Err(bad(
                        key,
                        "utf16 encodings must be followed by base64 or base64offset",
                    ));
                }
            }
        }
    }
    Ok(leaves)
}

fn wrap(mut p: Vec<Piece>, before: bool, after: bool) -> Vec<Piece> {
    if before && p.first() != Some(&Piece::Star) {
        p.insert(0, Piece::Star);
    }
    if after && p.last() != Some(&Piece::Star) {
        p.push(Piece::Star);
    }
    p
}

fn apply_transform(key: &str, tr: &str, vals: Vec<Val>) -> Result<Vec<Val>, ErrorKind> {
    let mut out = Vec::with_capacity(vals.len());
    for v in vals {
        match (tr, v) {
            ("contains", Val::Text(p)) => out.push(Val::Text(wrap(p, true, true))),
            ("startswith", Val::Text(p)) => out.push(Val::Text(wrap(p, false, true))),
            ("endswith", Val::Text(p)) => out.push(Val::Text(wrap(p, true, false))),
            ("windash", Val::Text(mut p)) => {
                pattern::windash(&mut p);
                out.push(Val::Text(p));
            }
            ("base64" | "base64offset" | "utf16le" | "utf16be" | "utf16", v) => {
                let bytes = match v {
                    Val::Bytes(b) => b,
                    Val::Text(p) => match pattern::plain_text(&p) {
                        Some(s) if tr.starts_with("utf16") => {
                            pattern::utf16(&s, tr == "utf16be", tr == "utf16")
                        }
                        Some(s) => s.into_bytes(),
                        None => return Err(bad(key, format!("`{tr}` cannot encode wildcards"))),
                    },
                };
                match tr {
                    "base64" => out.push(Val::Text(pattern::literal(&pattern::base64(&bytes)))),
                    "base64offset" => out.extend(
                        pattern::base64_offsets(&bytes)
                            .iter()
                            .map(|s| Val::Text(pattern::literal(s))),
                    ),
                    _ => out.push(Val::Bytes(bytes)),
                }
            }
            (_, Val::Bytes(_)) => {
                return Err(bad(key, format!("`{tr}` cannot follow an encoding")));
            }
            (_, Val::Text(_)) => return Err(bad(key, format!("unexpected `{tr}`"))),
        }
    }
    Ok(out)
}
