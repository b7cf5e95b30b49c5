//! Correlation rules (Sigma spec v2.1 "meta-rules"): parsing the `correlation:` documents, and
//! the [`Correlator`], a streaming evaluator fed with the base-rule matches of each event.
//!
//! Time is **event time**: the caller gives each event's timestamp. Events may arrive out of
//! order up to an allowed lateness; per tenant, the watermark is the latest event time seen
//! minus the lateness, and an event older than the watermark is *late*: it is counted and
//! reported to the caller, never silently used or dropped. State older than the watermark
//! minus the timespan is evicted, so memory stays bounded by what a window can hold.
//!
//! State is scoped by a tenant key the caller gives: two tenants never correlate together.
//!
//! When a correlation fires depends on its condition:
//! - **On arrival** for conditions that only give lower bounds (`gt`/`gte`) on the counting
//!   types (`event_count`, `value_count`, `temporal`, `temporal_ordered`) and `value_sum`:
//!   these can only become true as events arrive, so the engine checks every window of length
//!   `timespan` that contains the new event (sliding windows, not fixed buckets), and fires on
//!   the first that holds. The events of the window that fired are consumed: the group starts
//!   counting afresh (so 20 failures with `gte: 10` in one window give two hits).
//! - **At window close** for every other condition (`lt`, `lte`, `eq`, `neq`, ranges, and
//!   `value_avg`/`value_percentile`/`value_median`), which an event arriving later could still
//!   make false: each group's window opens at its first event and closes when the watermark
//!   passes its end (or at [`Correlator::flush`]); the condition is then checked once over the
//!   window's events, which are then discarded; the next event opens the next window.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use serde_yaml::Value as Yaml;

use crate::error::{ErrorKind, RuleError};
use crate::event::{Event, FieldValue, format_float};
use crate::mapping::{FieldMap, Mapped};
use crate::rule::{LogSource, Rule, RuleMeta};

/// The correlation types of spec v2.1, plus `value_median` (a pySigma extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CorrelationType {
    /// Number of events per group in the timespan.
    EventCount,
    /// Number of distinct values (tuples, for several fields) of `condition.field`.
    ValueCount,
    /// Number of distinct referenced rules that matched (default condition: all of them).
    Temporal,
    /// Like `Temporal`, in the order of `rules`: the value is the length of the longest
    /// prefix of `rules` matched in order (default condition: all of them).
    TemporalOrdered,
    /// Sum of the numeric `condition.field`.
    ValueSum,
    /// Average of the numeric `condition.field`.
    ValueAvg,
    /// The `condition.percentile`-th percentile (default 50) of the numeric field.
    ValuePercentile,
    /// The median (50th percentile) of the numeric field.
    ValueMedian,
}

impl CorrelationType {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "event_count" => Self::EventCount,
            "value_count" => Self::ValueCount,
            "temporal" => Self::Temporal,
            "temporal_ordered" => Self::TemporalOrdered,
            "value_sum" => Self::ValueSum,
            "value_avg" => Self::ValueAvg,
            "value_percentile" => Self::ValuePercentile,
            "value_median" => Self::ValueMedian,
            _ => return None,
        })
    }

    fn needs_field(self) -> bool {
        matches!(
            self,
            Self::ValueCount
                | Self::ValueSum
                | Self::ValueAvg
                | Self::ValuePercentile
                | Self::ValueMedian
        )
    }

    fn numeric(self) -> bool {
        matches!(
            self,
            Self::ValueSum | Self::ValueAvg | Self::ValuePercentile | Self::ValueMedian
        )
    }

    fn temporal(self) -> bool {
        matches!(self, Self::Temporal | Self::TemporalOrdered)
    }
}

/// A comparison in a correlation condition (the `gt`/`gte`/`lt`/`lte` value modifiers of a
/// detection use the same operators).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CmpOp {
    /// `gt`
    Gt,
    /// `gte`
    Gte,
    /// `lt`
    Lt,
    /// `lte`
    Lte,
    /// `eq`
    Eq,
    /// `neq`
    Neq,
}

impl CmpOp {
    pub(crate) fn test(self, value: f64, bound: f64) -> bool {
        match self {
            CmpOp::Gt => value > bound,
            CmpOp::Gte => value >= bound,
            CmpOp::Lt => value < bound,
            CmpOp::Lte => value <= bound,
            CmpOp::Eq => value == bound,
            CmpOp::Neq => value != bound,
        }
    }
}

/// `correlation.condition`: comparisons ANDed, and the field for the `value_*` types.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct CorrelationCondition {
    /// The comparisons, all of which must hold.
    pub ops: Vec<(CmpOp, f64)>,
    /// `field` (one or several, ANDed into a tuple for `value_count`).
    pub field: Vec<String>,
    /// `percentile` (0–100) for `value_percentile`; 50 when absent.
    pub percentile: Option<f64>,
}

impl CorrelationCondition {
    /// Whether `value` satisfies every comparison.
    pub fn holds(&self, value: f64) -> bool {
        self.ops.iter().all(|(op, b)| op.test(value, *b))
    }
}

/// A compiled correlation document.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CorrelationRule {
    /// Metadata (title, id, name, level, author, tags…); `logsource` is empty.
    pub meta: RuleMeta,
    /// `correlation.type`.
    pub kind: CorrelationType,
    /// `correlation.rules`: ids or names of rules or other correlations.
    pub rules: Vec<String>,
    /// `correlation.group-by` (fields or aliases); empty = one group.
    pub group_by: Vec<String>,
    /// `correlation.timespan`.
    pub timespan: SignedDuration,
    /// `correlation.aliases`: alias → (rule name → field).
    pub aliases: BTreeMap<String, BTreeMap<String, String>>,
    /// `correlation.condition` (the default for temporal types: `gte: <number of rules>`).
    pub condition: CorrelationCondition,
    /// `correlation.generate` (or top-level `generate`): whether the referenced rules also
    /// report their own matches. Default `false`.
    pub generate: bool,
    pub(crate) file: Option<PathBuf>,
    pub(crate) line: Option<usize>,
    pub(crate) document: usize,
}

impl CorrelationRule {
    /// The rule's metadata.
    pub fn meta(&self) -> &RuleMeta {
        &self.meta
    }

    /// The file it came from, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    fn error(&self, reason: String) -> RuleError {
        RuleError {
            file: self.file.clone(),
            line: self.line,
            document: self.document,
            kind: ErrorKind::Structure(reason),
        }
    }

    /// Whether this correlation fires on arrival (lower bounds only on a quantity that can
    /// only grow) rather than at window close.
    fn on_arrival(&self) -> bool {
        matches!(
            self.kind,
            CorrelationType::EventCount
                | CorrelationType::ValueCount
                | CorrelationType::Temporal
                | CorrelationType::TemporalOrdered
                | CorrelationType::ValueSum
        ) && !self.condition.ops.is_empty()
            && self
                .condition
                .ops
                .iter()
                .all(|(op, _)| matches!(op, CmpOp::Gt | CmpOp::Gte))
    }
}

type Located = (ErrorKind, Option<String>);

fn structure(msg: impl Into<String>, needle: &str) -> Located {
    (ErrorKind::Structure(msg.into()), Some(needle.to_string()))
}

/// Parses a timespan: `<int><s|m|h|d|w>` (the spec's units, and pySigma's `w`).
pub fn parse_timespan(s: &str) -> Option<SignedDuration> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    if n <= 0 {
        return None;
    }
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 604_800,
        _ => return None,
    };
    Some(SignedDuration::from_secs(n.checked_mul(secs)?))
}

fn yaml_number(v: &Yaml) -> Option<f64> {
    match v {
        Yaml::Number(n) => n.as_f64(),
        Yaml::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn strings(v: Option<&Yaml>) -> Option<Vec<String>> {
    match v? {
        Yaml::String(s) => Some(vec![s.clone()]),
        Yaml::Sequence(items) => items
            .iter()
            .map(|x| match x {
                Yaml::String(s) => Some(s.clone()),
                Yaml::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Parses a `correlation:` document (its metadata already read into `meta`).
pub(crate) fn parse(doc: &Yaml, meta: RuleMeta) -> Result<CorrelationRule, Located> {
    let Some(Yaml::Mapping(c)) = doc.get("correlation") else {
        return Err(structure("`correlation` must be a mapping", "correlation"));
    };
    let c = Yaml::Mapping(c.clone());
    let kind_s = c
        .get("type")
        .and_then(Yaml::as_str)
        .ok_or_else(|| structure("missing `correlation.type`", "correlation"))?;
    let kind = CorrelationType::parse(kind_s)
        .ok_or_else(|| structure(format!("unknown correlation type `{kind_s}`"), "type"))?;
    let rules = strings(c.get("rules"))
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            structure(
                "`correlation.rules` must be a non-empty list of rule ids or names",
                "rules",
            )
        })?;
    let group_by = match c.get("group-by") {
        None => Vec::new(),
        some => strings(some)
            .ok_or_else(|| structure("`group-by` must be a list of field names", "group-by"))?,
    };
    let ts = match c.get("timespan") {
        Some(Yaml::String(s)) => s.clone(),
        Some(Yaml::Number(n)) => format!("{n}s"),
        _ => {
            return Err(structure(
                "missing `correlation.timespan` (e.g. `5m`)",
                "correlation",
            ));
        }
    };
    let timespan = parse_timespan(&ts).ok_or_else(|| {
        structure(
            format!("invalid timespan `{ts}` (a positive integer and one of s, m, h, d, w)"),
            "timespan",
        )
    })?;
    let mut aliases = BTreeMap::new();
    if let Some(a) = c.get("aliases") {
        let Yaml::Mapping(a) = a else {
            return Err(structure("`aliases` must be a mapping", "aliases"));
        };
        for (alias, per_rule) in a {
            let (Some(alias), Yaml::Mapping(per_rule)) = (alias.as_str(), per_rule) else {
                return Err(structure(
                    "each alias must map rule names to field names",
                    "aliases",
                ));
            };
            let mut m = BTreeMap::new();
            for (r, f) in per_rule {
                let (Some(r), Some(f)) = (r.as_str(), f.as_str()) else {
                    return Err(structure(
                        format!("alias `{alias}`: rule name and field must be strings"),
                        alias,
                    ));
                };
                m.insert(r.to_string(), f.to_string());
            }
            aliases.insert(alias.to_string(), m);
        }
    }
    let mut condition = CorrelationCondition {
        ops: Vec::new(),
        field: Vec::new(),
        percentile: None,
    };
    match c.get("condition") {
        None => {}
        Some(Yaml::Mapping(m)) => {
            for (k, v) in m {
                let Some(k) = k.as_str() else {
                    return Err(structure("condition keys must be strings", "condition"));
                };
                let op = match k {
                    "gt" => CmpOp::Gt,
                    "gte" => CmpOp::Gte,
                    "lt" => CmpOp::Lt,
                    "lte" => CmpOp::Lte,
                    "eq" => CmpOp::Eq,
                    "neq" => CmpOp::Neq,
                    "field" => {
                        condition.field = strings(Some(v)).ok_or_else(|| {
                            structure("`condition.field` must be a field name or a list", "field")
                        })?;
                        continue;
                    }
                    "percentile" => {
                        let p = yaml_number(v).filter(|p| (0.0..=100.0).contains(p));
                        condition.percentile = Some(p.ok_or_else(|| {
                            structure("`percentile` must be a number from 0 to 100", "percentile")
                        })?);
                        continue;
                    }
                    other => {
                        return Err(structure(
                            format!(
                                "unknown condition key `{other}` (gt, gte, lt, lte, eq, neq, field, percentile)"
                            ),
                            "condition",
                        ));
                    }
                };
                let n = yaml_number(v).ok_or_else(|| {
                    structure(format!("condition `{k}` needs a number"), "condition")
                })?;
                condition.ops.push((op, n));
            }
        }
        Some(Yaml::String(_)) => {
            return Err((
                ErrorKind::Unsupported(
                    "a correlation condition given as an expression (a pySigma extension); use a map of gt/gte/lt/lte/eq/neq"
                        .into(),
                ),
                Some("condition".into()),
            ));
        }
        Some(_) => return Err(structure("`condition` must be a mapping", "condition")),
    }
    if condition.ops.is_empty() {
        if kind.temporal() {
            condition.ops.push((CmpOp::Gte, rules.len() as f64));
        } else {
            return Err(structure(
                format!("`{kind_s}` needs a condition (gt, gte, lt, lte, eq or neq)"),
                "correlation",
            ));
        }
    }
    if kind.needs_field() && condition.field.is_empty() {
        return Err(structure(
            format!("`{kind_s}` needs `condition.field`"),
            "condition",
        ));
    }
    if kind.numeric() && condition.field.len() > 1 {
        return Err(structure(
            format!("`{kind_s}` aggregates one numeric field, not several"),
            "field",
        ));
    }
    if condition.percentile.is_some() && kind != CorrelationType::ValuePercentile {
        return Err(structure(
            "`percentile` applies to `value_percentile` only",
            "percentile",
        ));
    }
    if kind == CorrelationType::TemporalOrdered
        && condition.ops.iter().any(|(_, b)| *b > rules.len() as f64)
    {
        return Err(structure(
            "`temporal_ordered` condition exceeds the number of rules",
            "condition",
        ));
    }
    let generate = c
        .get("generate")
        .or_else(|| doc.get("generate"))
        .map(|g| {
            g.as_bool()
                .ok_or_else(|| structure("`generate` must be true or false", "generate"))
        })
        .transpose()?
        .unwrap_or(false);
    Ok(CorrelationRule {
        meta: RuleMeta {
            logsource: LogSource::default(),
            ..meta
        },
        kind,
        rules,
        group_by,
        timespan,
        aliases,
        condition,
        generate,
        file: None,
        line: None,
        document: 0,
    })
}

/// Where [`event_time`] looks for an event's own time, in order: Graph sign-ins
/// (`createdDateTime`), the Azure Monitor export (`time`, `properties.createdDateTime`), Okta
/// (`published`), O365 (`CreationTime`, UTC without an offset), the Google Reports API
/// (`id.time`), and common log envelopes (`@timestamp`, `timestamp`, `EventTime`,
/// `TimeCreated`).
pub const EVENT_TIME_PATHS: &[&str] = &[
    "createdDateTime",
    "properties.createdDateTime",
    "time",
    "published",
    "CreationTime",
    "id.time",
    "@timestamp",
    "timestamp",
    "EventTime",
    "TimeCreated",
];

/// An event's own time, read from the first of `paths` that holds a timestamp: RFC 3339
/// (any offset), or a civil date-time without offset taken as UTC (O365's `CreationTime`).
/// `None` when no path does: the caller decides (report the event as undated, or use
/// arrival time knowingly).
pub fn event_time_at(event: &dyn Event, paths: &[&str]) -> Option<Timestamp> {
    paths.iter().find_map(|p| {
        let v = event.field(p)?;
        let s = v.as_text()?;
        let s = s.trim();
        s.parse::<Timestamp>().ok().or_else(|| {
            s.parse::<jiff::civil::DateTime>()
                .ok()
                .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp())
        })
    })
}

/// [`event_time_at`] over [`EVENT_TIME_PATHS`].
pub fn event_time(event: &dyn Event) -> Option<Timestamp> {
    event_time_at(event, EVENT_TIME_PATHS)
}

// ---------------------------------------------------------------------------------------
// The correlator.

/// How the [`Correlator`] treats time and memory.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CorrelatorConfig {
    /// How far behind the latest event time (per tenant) an event may arrive and still be
    /// correlated. Default 15 minutes.
    pub lateness: SignedDuration,
    /// At most this many events are held per (correlation, group); beyond it the oldest is
    /// dropped and counted in [`CorrelatorStats::overflow_dropped`]. Default 10,000.
    pub max_events_per_group: usize,
}

impl Default for CorrelatorConfig {
    fn default() -> Self {
        CorrelatorConfig {
            lateness: SignedDuration::from_mins(15),
            max_events_per_group: 10_000,
        }
    }
}

impl CorrelatorConfig {
    /// A config with this allowed lateness.
    pub fn with_lateness(mut self, lateness: SignedDuration) -> Self {
        self.lateness = lateness;
        self
    }

    /// A config with this cap on events held per group.
    pub fn with_max_events_per_group(mut self, n: usize) -> Self {
        self.max_events_per_group = n.max(1);
        self
    }
}

/// Counters, for monitoring and for honest reporting of what was not correlated.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct CorrelatorStats {
    /// Events observed.
    pub events: u64,
    /// Events that matched a referenced rule but arrived later than the allowed lateness,
    /// and so were not correlated.
    pub late_events: u64,
    /// (event, correlation) pairs skipped because a `group-by` field was missing or null.
    pub missing_group_field: u64,
    /// (event, correlation) pairs whose `condition.field` was missing (or not numeric, for
    /// the numeric aggregates): they count for nothing in the aggregate.
    pub missing_value_field: u64,
    /// Events evicted because a group held more than `max_events_per_group`.
    pub overflow_dropped: u64,
    /// Events dropped without firing because their window passed.
    pub evicted: u64,
    /// Correlation hits produced (reported or chained).
    pub hits: u64,
}

/// One correlation hit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct CorrelationHit<R> {
    /// Index of the correlation in [`Correlator::correlations`].
    pub correlation: usize,
    /// The tenant the events belong to.
    pub tenant: String,
    /// The `group-by` fields (as written in the rule) and the group's values.
    pub group: Vec<(String, String)>,
    /// Event time of the first contributing event.
    pub first: Timestamp,
    /// Event time of the last contributing event.
    pub last: Timestamp,
    /// The aggregate that satisfied the condition (count, distinct count, sum, …).
    pub value: f64,
    /// The contributing events, as the references the caller passed, in event-time order.
    pub events: Vec<R>,
}

/// What [`Correlator::observe`] says about one event.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Observation<R> {
    /// Hits completed by this event (or by windows its time closed).
    pub hits: Vec<CorrelationHit<R>>,
    /// The event matched a referenced rule but arrived later than the allowed lateness: it
    /// was counted in [`CorrelatorStats::late_events`] and not correlated.
    pub late: bool,
}

/// Where a referenced rule's fields are read from, for one correlation.
#[derive(Debug, Clone)]
struct Reader {
    group: Vec<Mapped>,
    value: Vec<Mapped>,
}

/// A (correlation, position in its `rules`) an input feeds.
#[derive(Debug, Clone)]
struct Feed {
    corr: usize,
    slot: usize,
    reader: Reader,
}

#[derive(Debug, Clone)]
enum Val {
    None,
    Num(f64),
    Key(String),
}

#[derive(Debug, Clone)]
struct Entry<R> {
    time: i64,
    /// The earliest event time behind this entry (a chained hit's first event).
    start: i64,
    seq: u64,
    slot: usize,
    val: Val,
    refs: Vec<R>,
}

#[derive(Debug)]
struct Group<R> {
    values: Vec<String>,
    entries: Vec<Entry<R>>,
}

#[derive(Debug)]
struct TenantState<R> {
    max_time: i64,
    next_sweep: i64,
    groups: HashMap<(usize, Vec<String>), Group<R>>,
}

impl<R> Default for TenantState<R> {
    fn default() -> Self {
        TenantState {
            max_time: i64::MIN,
            next_sweep: i64::MAX,
            groups: HashMap::new(),
        }
    }
}

/// A streaming correlation engine over the matches of base rules.
///
/// Build it from the base rules (their position in the slice is their index) and the
/// correlation documents; then, for each event in any order up to the allowed lateness,
/// call [`observe`](Correlator::observe) with the tenant, the event time, the event, the
/// indices of the base rules it matched and a reference the hits will carry back (`R`: a
/// row id, `(file, index)`…). Call [`flush`](Correlator::flush) at the end of a finite input.
#[derive(Debug)]
pub struct Correlator<R = u64> {
    correlations: Vec<CorrelationRule>,
    /// Per base rule: the correlations (and slots) it feeds.
    base_feeds: Vec<Vec<Feed>>,
    /// Per correlation: the correlations (and slots) its hits feed.
    corr_feeds: Vec<Vec<Feed>>,
    /// Per correlation: whether its hits are reported (not only chained).
    corr_reported: Vec<bool>,
    /// Per base rule: whether its own matches are reported.
    base_reported: Vec<bool>,
    config: CorrelatorConfig,
    tenants: HashMap<String, TenantState<R>>,
    stats: CorrelatorStats,
    seq: u64,
}

/// The event a chained hit presents to the correlations that reference it: its group values
/// under the group-by names.
fn hit_event(corr: &CorrelationRule, values: &[String]) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for (f, v) in corr.group_by.iter().zip(values) {
        m.insert(f.clone(), serde_json::Value::String(v.clone()));
    }
    serde_json::Value::Object(m)
}

fn read<'e>(event: &'e dyn Event, m: &Mapped) -> Option<FieldValue<'e>> {
    m.read(event)
}

fn key_text(v: &FieldValue<'_>) -> Option<String> {
    match v {
        FieldValue::Str(s) => Some(s.to_string()),
        FieldValue::Int(i) => Some(i.to_string()),
        FieldValue::Float(f) => Some(format_float(*f)),
        FieldValue::Bool(b) => Some(b.to_string()),
        FieldValue::List(items) => {
            let parts: Vec<String> = items.iter().filter_map(key_text).collect();
            (!parts.is_empty()).then(|| parts.join(","))
        }
        FieldValue::Null | FieldValue::Object => None,
    }
}

fn micros(t: Timestamp) -> i64 {
    t.as_microsecond()
}

fn timestamp(us: i64) -> Timestamp {
    Timestamp::from_microsecond(us).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn percentile(mut v: Vec<f64>, p: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = p / 100.0 * (v.len() - 1) as f64;
    let lo = rank.floor() as usize;
    let hi = rank.ceil() as usize;
    let (a, b) = (v.get(lo)?, v.get(hi)?);
    Some(a + (b - a) * (rank - lo as f64))
}

/// The aggregate of a correlation over a window's entries; `None` when undefined (no
/// numeric value for an average).
fn aggregate<R>(corr: &CorrelationRule, entries: &[Entry<R>]) -> Option<f64> {
    let nums = || {
        entries.iter().filter_map(|e| match e.val {
            Val::Num(n) => Some(n),
            _ => None,
        })
    };
    Some(match corr.kind {
        CorrelationType::EventCount => entries.len() as f64,
        CorrelationType::ValueCount => entries
            .iter()
            .filter_map(|e| match &e.val {
                Val::Key(k) => Some(k.as_str()),
                _ => None,
            })
            .collect::<HashSet<_>>()
            .len() as f64,
        CorrelationType::Temporal => {
            entries.iter().map(|e| e.slot).collect::<HashSet<_>>().len() as f64
        }
        CorrelationType::TemporalOrdered => {
            let mut next = 0;
            for e in entries {
                if e.slot == next {
                    next += 1;
                    if next == corr.rules.len() {
                        break;
                    }
                }
            }
            next as f64
        }
        CorrelationType::ValueSum => nums().sum(),
        CorrelationType::ValueAvg => {
            let v: Vec<f64> = nums().collect();
            if v.is_empty() {
                return None;
            }
            v.iter().sum::<f64>() / v.len() as f64
        }
        CorrelationType::ValuePercentile => {
            percentile(nums().collect(), corr.condition.percentile.unwrap_or(50.0))?
        }
        CorrelationType::ValueMedian => percentile(nums().collect(), 50.0)?,
    })
}

impl<R: Clone> Correlator<R> {
    /// Builds a correlator. `base` are the compiled rules (a base rule's index is its position
    /// in this slice: pass those indices to [`observe`](Self::observe)); `field_maps` are the
    /// mappings the rules were compiled with (group-by and value fields are read through the
    /// maps of each referenced rule's log source). A correlation that references an unknown
    /// rule, forms a cycle, or names an alias for a rule without `name` is rejected with its
    /// file, line and reason; the others load.
    pub fn new(
        base: &[Rule],
        correlations: Vec<CorrelationRule>,
        field_maps: &[FieldMap],
        config: CorrelatorConfig,
    ) -> (Self, Vec<RuleError>) {
        let mut errors = Vec::new();
        let n = correlations.len();
        // Which references resolve to what.
        let by_ref = |r: &str| -> (Vec<usize>, Vec<usize>) {
            let b = base
                .iter()
                .enumerate()
                .filter(|(_, x)| {
                    x.meta().id.as_deref() == Some(r) || x.meta().name.as_deref() == Some(r)
                })
                .map(|(i, _)| i)
                .collect();
            let c = correlations
                .iter()
                .enumerate()
                .filter(|(_, x)| {
                    x.meta.id.as_deref() == Some(r) || x.meta.name.as_deref() == Some(r)
                })
                .map(|(i, _)| i)
                .collect();
            (b, c)
        };
        let resolved: Vec<Vec<(Vec<usize>, Vec<usize>)>> = correlations
            .iter()
            .map(|c| c.rules.iter().map(|r| by_ref(r)).collect())
            .collect();
        let mut ok = vec![true; n];
        for (i, c) in correlations.iter().enumerate() {
            for (r, (b, cs)) in c.rules.iter().zip(&resolved[i]) {
                if b.is_empty() && cs.is_empty() {
                    errors.push(c.error(format!("correlation references unknown rule `{r}`")));
                    ok[i] = false;
                    break;
                }
                if cs.contains(&i) {
                    errors.push(c.error(format!("correlation references itself (`{r}`)")));
                    ok[i] = false;
                    break;
                }
            }
        }
        // Cycles through other correlations: a correlation is valid when everything it
        // references is valid and acyclic (a depth-first walk with colours).
        fn visit(
            i: usize,
            resolved: &[Vec<(Vec<usize>, Vec<usize>)>],
            colour: &mut [u8],
            ok: &mut [bool],
        ) -> bool {
            match colour[i] {
                1 => return false,
                2 => return ok[i],
                _ => {}
            }
            colour[i] = 1;
            let mut good = ok[i];
            for (_, cs) in &resolved[i] {
                for &c in cs {
                    if !visit(c, resolved, colour, ok) {
                        good = false;
                    }
                }
            }
            colour[i] = 2;
            ok[i] = good;
            good
        }
        let mut colour = vec![0u8; n];
        let direct = ok.clone();
        for i in 0..n {
            visit(i, &resolved, &mut colour, &mut ok);
        }
        for i in 0..n {
            if direct[i] && !ok[i] {
                errors.push(correlations[i].error(
                    "correlation references a correlation that is rejected or forms a cycle".into(),
                ));
            }
        }
        // Aliases name rules by `name`.
        for (i, c) in correlations.iter().enumerate() {
            if !ok[i] {
                continue;
            }
            for (alias, per_rule) in &c.aliases {
                if let Some(r) = per_rule.keys().find(|r| !c.rules.contains(r)) {
                    errors.push(c.error(format!(
                        "alias `{alias}` names `{r}`, which is not in `rules` (aliases use rule names)"
                    )));
                    ok[i] = false;
                    break;
                }
            }
        }

        let reader = |c: &CorrelationRule, slot: usize, logsource: Option<&LogSource>| {
            let rule_ref = &c.rules[slot];
            let field_of = |f: &str| -> String {
                c.aliases
                    .get(f)
                    .and_then(|m| m.get(rule_ref))
                    .cloned()
                    .unwrap_or_else(|| f.to_string())
            };
            let mapped = |f: String| -> Mapped {
                match logsource {
                    Some(ls) => field_maps
                        .iter()
                        .filter(|m| m.applies_to(ls))
                        .find_map(|m| m.targets(&f))
                        .unwrap_or_else(|| Mapped::identity(&f)),
                    None => Mapped::identity(&f),
                }
            };
            Reader {
                group: c.group_by.iter().map(|g| mapped(field_of(g))).collect(),
                value: c
                    .condition
                    .field
                    .iter()
                    .map(|g| mapped(field_of(g)))
                    .collect(),
            }
        };
        let mut base_feeds = vec![Vec::new(); base.len()];
        let mut corr_feeds = vec![Vec::new(); n];
        for (i, c) in correlations.iter().enumerate() {
            if !ok[i] {
                continue;
            }
            for (slot, (bs, cs)) in resolved[i].iter().enumerate() {
                for &b in bs {
                    let ls = &base[b].meta().logsource;
                    base_feeds[b].push(Feed {
                        corr: i,
                        slot,
                        reader: reader(c, slot, Some(ls)),
                    });
                }
                for &x in cs {
                    corr_feeds[x].push(Feed {
                        corr: i,
                        slot,
                        reader: reader(c, slot, None),
                    });
                }
            }
        }
        // A rule's own hits are reported unless it only feeds correlations that do not
        // `generate` them.
        let reported = |feeds: &[Feed]| {
            feeds.is_empty() || feeds.iter().any(|f| correlations[f.corr].generate)
        };
        let corr_reported = corr_feeds
            .iter()
            .zip(&ok)
            .map(|(feeds, &ok)| ok && reported(feeds))
            .collect();
        let base_reported = base_feeds.iter().map(|feeds| reported(feeds)).collect();
        (
            Correlator {
                correlations,
                base_feeds,
                corr_feeds,
                corr_reported,
                base_reported,
                config,
                tenants: HashMap::new(),
                stats: CorrelatorStats::default(),
                seq: 0,
            },
            errors,
        )
    }

    /// The correlation documents, in the order given (rejected ones included, never firing);
    /// [`CorrelationHit::correlation`] indexes this slice.
    pub fn correlations(&self) -> &[CorrelationRule] {
        &self.correlations
    }

    /// Whether base rule `index`'s own matches should be reported: it is referenced by no
    /// correlation, or by one with `generate: true`. Matches of a rule that only serves a
    /// correlation (`generate: false`, the default) are not findings on their own.
    pub fn reports_alone(&self, index: usize) -> bool {
        self.base_reported.get(index).copied().unwrap_or(true)
    }

    /// Whether base rule `index` feeds any correlation (callers may skip
    /// [`observe`](Self::observe) for events that matched no such rule, but should still
    /// advance time with [`advance`](Self::advance)).
    pub fn is_referenced(&self, index: usize) -> bool {
        self.base_feeds.get(index).is_some_and(|f| !f.is_empty())
    }

    /// Counters so far.
    pub fn stats(&self) -> &CorrelatorStats {
        &self.stats
    }

    /// Events currently held, over all tenants and groups.
    pub fn held_events(&self) -> usize {
        self.tenants
            .values()
            .flat_map(|t| t.groups.values())
            .map(|g| g.entries.len())
            .sum()
    }

    /// Feeds one event: `tenant` scopes all state, `time` is the event's own time,
    /// `matched` the indices (into the `base` slice given to [`new`](Self::new)) of the base
    /// rules the event matched, `event_ref` what hits will list for this event. Returns the
    /// hits this event completes, and the hits of windows its time closed.
    pub fn observe(
        &mut self,
        tenant: &str,
        time: Timestamp,
        event: &dyn Event,
        matched: &[usize],
        event_ref: R,
    ) -> Observation<R> {
        self.stats.events += 1;
        let t = micros(time);
        let relevant = matched.iter().any(|&b| self.is_referenced(b));
        let lateness = self.config.lateness.as_micros().clamp(0, i64::MAX as i128) as i64;
        let state = self.tenants.entry(tenant.to_string()).or_default();
        let watermark = state.max_time.saturating_sub(lateness);
        if relevant && state.max_time != i64::MIN && t < watermark {
            self.stats.late_events += 1;
            tracing::debug!(tenant, %time, "event later than the allowed lateness: not correlated");
            return Observation {
                hits: Vec::new(),
                late: true,
            };
        }
        let mut hits = Vec::new();
        let mut fed: HashSet<usize> = HashSet::new();
        for &b in matched {
            let Some(feeds) = self.base_feeds.get(b) else {
                continue;
            };
            for f in feeds.clone() {
                // One entry per event for the non-temporal types, one per rule for temporal.
                let kind = self.correlations[f.corr].kind;
                if !kind.temporal() && !fed.insert(f.corr) {
                    continue;
                }
                self.feed(
                    tenant,
                    &f,
                    (t, t),
                    event,
                    vec![event_ref.clone()],
                    &mut hits,
                );
            }
        }
        hits.extend(self.advance_micros(tenant, t));
        Observation { hits, late: false }
    }

    /// Advances a tenant's clock to `time` without an event (e.g. from wall-clock time in a
    /// streaming server when a tenant is idle); returns the hits of windows that closed.
    pub fn advance(&mut self, tenant: &str, time: Timestamp) -> Vec<CorrelationHit<R>> {
        self.advance_micros(tenant, micros(time))
    }

    fn advance_micros(&mut self, tenant: &str, t: i64) -> Vec<CorrelationHit<R>> {
        let lateness = self.config.lateness.as_micros().clamp(0, i64::MAX as i128) as i64;
        let Some(state) = self.tenants.get_mut(tenant) else {
            return Vec::new();
        };
        state.max_time = state.max_time.max(t);
        let watermark = state.max_time.saturating_sub(lateness);
        if watermark > state.next_sweep {
            self.sweep(tenant, Some(watermark))
        } else {
            Vec::new()
        }
    }

    /// Ends the input: closes every open window of every tenant (checking its condition)
    /// and clears all state. Returns the hits.
    pub fn flush(&mut self) -> Vec<CorrelationHit<R>> {
        let mut tenants: Vec<String> = self.tenants.keys().cloned().collect();
        tenants.sort();
        let mut hits = Vec::new();
        for t in tenants {
            hits.extend(self.sweep(&t, None));
        }
        self.tenants.clear();
        hits
    }

    /// Closes the windows that ended before `watermark` (all of them when `None`) and evicts
    /// state no future event can join.
    fn sweep(&mut self, tenant: &str, watermark: Option<i64>) -> Vec<CorrelationHit<R>> {
        let mut hits = Vec::new();
        let mut closed: Vec<(usize, Vec<String>, Vec<Entry<R>>)> = Vec::new();
        {
            let Some(state) = self.tenants.get_mut(tenant) else {
                return hits;
            };
            let mut next = i64::MAX;
            let corrs = &self.correlations;
            let stats = &mut self.stats;
            state.groups.retain(|(ci, _), g| {
                let c = &corrs[*ci];
                let span = c.timespan.as_micros().clamp(0, i64::MAX as i128) as i64;
                if c.on_arrival() {
                    let before = g.entries.len();
                    match watermark {
                        Some(w) => g.entries.retain(|e| e.time.saturating_add(span) >= w),
                        None => g.entries.clear(),
                    }
                    stats.evicted += (before - g.entries.len()) as u64;
                } else {
                    while let Some(first) = g.entries.first() {
                        let end = first.time.saturating_add(span);
                        if watermark.is_some_and(|w| end >= w) {
                            break;
                        }
                        let k = g.entries.partition_point(|e| e.time <= end);
                        let window: Vec<Entry<R>> = g.entries.drain(..k).collect();
                        closed.push((*ci, g.values.clone(), window));
                    }
                }
                if let Some(first) = g.entries.first() {
                    next = next.min(first.time.saturating_add(span));
                }
                !g.entries.is_empty()
            });
            state.next_sweep = next;
        }
        for (ci, values, window) in closed {
            let c = &self.correlations[ci];
            match aggregate(c, &window) {
                Some(v) if c.condition.holds(v) => {
                    self.fire(tenant, ci, &values, v, &window, &mut hits);
                }
                _ => self.stats.evicted += window.len() as u64,
            }
        }
        hits
    }

    /// Adds one input (an event, or a chained hit) at event time `t` (its earliest event at
    /// `start`) to a correlation's group; checks the on-arrival condition.
    fn feed(
        &mut self,
        tenant: &str,
        f: &Feed,
        (t, start): (i64, i64),
        event: &dyn Event,
        refs: Vec<R>,
        hits: &mut Vec<CorrelationHit<R>>,
    ) {
        let c = &self.correlations[f.corr];
        let mut values = Vec::with_capacity(f.reader.group.len());
        for m in &f.reader.group {
            match read(event, m).as_ref().and_then(key_text) {
                Some(v) => values.push(v),
                None => {
                    self.stats.missing_group_field += 1;
                    return;
                }
            }
        }
        let val = if f.reader.value.is_empty() {
            Val::None
        } else if c.kind.numeric() {
            match f
                .reader
                .value
                .first()
                .and_then(|m| read(event, m))
                .and_then(|v| v.as_number())
            {
                Some(n) => Val::Num(n),
                None => {
                    self.stats.missing_value_field += 1;
                    Val::None
                }
            }
        } else {
            let parts: Option<Vec<String>> = f
                .reader
                .value
                .iter()
                .map(|m| read(event, m).as_ref().and_then(key_text))
                .collect();
            match parts {
                Some(p) => Val::Key(p.join("\u{1f}")),
                None => {
                    self.stats.missing_value_field += 1;
                    Val::None
                }
            }
        };
        let span = c.timespan.as_micros().clamp(0, i64::MAX as i128) as i64;
        let on_arrival = c.on_arrival();
        let cap = self.config.max_events_per_group;
        self.seq += 1;
        let entry = Entry {
            time: t,
            start,
            seq: self.seq,
            slot: f.slot,
            val,
            refs,
        };
        let state = self.tenants.entry(tenant.to_string()).or_default();
        let g = state
            .groups
            .entry((f.corr, values.clone()))
            .or_insert_with(|| Group {
                values: values.clone(),
                entries: Vec::new(),
            });
        let at = g
            .entries
            .partition_point(|e| (e.time, e.seq) <= (t, entry.seq));
        g.entries.insert(at, entry);
        if g.entries.len() > cap {
            g.entries.remove(0);
            self.stats.overflow_dropped += 1;
        }
        if let Some(first) = g.entries.first() {
            state.next_sweep = state.next_sweep.min(first.time.saturating_add(span));
        }
        if !on_arrival {
            return;
        }
        // Windows [s, s + span] that contain t, s being the time of a held event.
        let lo = g
            .entries
            .partition_point(|e| e.time < t.saturating_sub(span));
        let hi = g.entries.partition_point(|e| e.time <= t);
        let mut fired: Option<(usize, usize, f64)> = None;
        for i in lo..hi {
            let s = g.entries[i].time;
            let j = g
                .entries
                .partition_point(|e| e.time <= s.saturating_add(span));
            if let Some(v) = aggregate(c, &g.entries[i..j])
                && c.condition.holds(v)
            {
                // Keep the window tight: drop leading events the condition does not need.
                let (mut i, mut v) = (i, v);
                while i + 1 < j {
                    match aggregate(c, &g.entries[i + 1..j]) {
                        Some(w) if c.condition.holds(w) => (i, v) = (i + 1, w),
                        _ => break,
                    }
                }
                fired = Some((i, j, v));
                break;
            }
        }
        if let Some((i, j, v)) = fired {
            let window: Vec<Entry<R>> = g.entries.drain(i..j).collect();
            if g.entries.is_empty() {
                state.groups.remove(&(f.corr, values.clone()));
            }
            self.fire(tenant, f.corr, &values, v, &window, hits);
        }
    }

    /// Records a hit: reports it if the correlation is reported, and feeds it to the
    /// correlations that reference this one.
    fn fire(
        &mut self,
        tenant: &str,
        ci: usize,
        values: &[String],
        value: f64,
        window: &[Entry<R>],
        hits: &mut Vec<CorrelationHit<R>>,
    ) {
        let (Some(first), Some(last)) = (window.first(), window.last()) else {
            return;
        };
        self.stats.hits += 1;
        let c = &self.correlations[ci];
        let hit = CorrelationHit {
            correlation: ci,
            tenant: tenant.to_string(),
            group: c
                .group_by
                .iter()
                .cloned()
                .zip(values.iter().cloned())
                .collect(),
            first: timestamp(window.iter().map(|e| e.start).min().unwrap_or(first.time)),
            last: timestamp(last.time),
            value,
            events: window.iter().flat_map(|e| e.refs.iter().cloned()).collect(),
        };
        let feeds = self.corr_feeds[ci].clone();
        if !feeds.is_empty() {
            let ev = hit_event(c, values);
            for f in &feeds {
                let start = window.iter().map(|e| e.start).min().unwrap_or(first.time);
                self.feed(tenant, f, (last.time, start), &ev, hit.events.clone(), hits);
            }
        }
        if self.corr_reported[ci] {
            hits.push(hit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_parse_in_the_spec_units() {
        assert_eq!(parse_timespan("90m"), Some(SignedDuration::from_mins(90)));
        assert_eq!(parse_timespan("1d"), Some(SignedDuration::from_hours(24)));
        assert_eq!(parse_timespan("2w"), Some(SignedDuration::from_hours(336)));
        assert_eq!(parse_timespan("0s"), None);
        assert_eq!(parse_timespan("5"), None);
        assert_eq!(parse_timespan("1M"), None);
        assert_eq!(parse_timespan("m"), None);
    }

    #[test]
    fn event_times_read_the_identity_shapes() {
        let ts = |s: &str| s.parse::<Timestamp>().ok();
        let graph = serde_json::json!({"createdDateTime": "2026-01-02T03:04:05Z"});
        assert_eq!(event_time(&graph), ts("2026-01-02T03:04:05Z"));
        let o365 = serde_json::json!({"CreationTime": "2015-06-29T20:04:55"});
        assert_eq!(event_time(&o365), ts("2015-06-29T20:04:55Z"));
        let okta = serde_json::json!({"published": "2023-01-01T10:00:00.123+02:00"});
        assert_eq!(event_time(&okta), ts("2023-01-01T08:00:00.123Z"));
        let gws = serde_json::json!({"id": {"time": "2022-10-12T01:05:35.119Z"}});
        assert_eq!(event_time(&gws), ts("2022-10-12T01:05:35.119Z"));
        assert_eq!(event_time(&serde_json::json!({"time": "yesterday"})), None);
        assert_eq!(event_time(&serde_json::json!({})), None);
    }

    #[test]
    fn percentiles_interpolate() {
        assert_eq!(percentile(vec![1.0, 2.0, 3.0, 4.0], 50.0), Some(2.5));
        assert_eq!(percentile(vec![5.0], 90.0), Some(5.0));
        assert_eq!(percentile(vec![3.0, 1.0, 2.0], 100.0), Some(3.0));
        assert_eq!(percentile(vec![], 50.0), None);
    }
}
