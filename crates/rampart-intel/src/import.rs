//! Importers: CSV (`type,value[,description,…]`), plain lists (one value a line, type
//! inferred), STIX 2.1 bundles and MISP event JSON.
//!
//! Every importer is total: it returns the indicators it could read and one
//! [`ImportIssue`] per value it could not (with the file, the line or object id, and why).
//! When [`ImportOptions::warninglists`] is set, malicious values on a MISP warninglist are
//! refused (unless [`ImportOptions::force`]) with an issue naming the list.

use std::collections::{HashMap, HashSet};
use std::fmt;

use jiff::Timestamp;
use serde_json::Value;

use crate::model::{
    Confidence, Indicator, Observable, ObservableKind, Provenance, Tag, TagKind, Tlp, Verdict,
};
use crate::normalize;
use crate::warninglist::Warninglists;

/// Where in a file an issue was found.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Location {
    /// A 1-based line.
    Line(u64),
    /// A STIX object id, or a MISP attribute uuid (or index when it has none).
    Object(String),
    /// The file as a whole.
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Object(id) => write!(f, "object {id}"),
            Location::File => f.write_str("file"),
        }
    }
}

/// One value or record that was not imported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin} {location}: {reason}")]
pub struct ImportIssue {
    pub origin: String,
    pub location: Location,
    pub reason: String,
    /// The warninglist (its MISP name) that refused the value, when that is the reason.
    pub warninglist: Option<String>,
}

impl ImportIssue {
    /// The line, for line-based formats.
    pub fn line(&self) -> Option<u64> {
        match self.location {
            Location::Line(n) => Some(n),
            _ => None,
        }
    }
}

/// The formats [`import`] understands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    Csv,
    List,
    Stix,
    Misp,
}

impl Format {
    /// Guesses the format from the content: JSON with `"type": "bundle"` is STIX, JSON with
    /// an `Event` (or `Attribute`) is MISP, text whose first value line has a comma is CSV,
    /// anything else a plain list.
    pub fn detect(bytes: &[u8]) -> Format {
        let text = String::from_utf8_lossy(bytes);
        let trimmed = text.trim_start_matches('\u{feff}').trim_start();
        if trimmed.starts_with('{') || trimmed.starts_with('[') {
            let head: String = trimmed.chars().take(4096).collect();
            if head.contains("\"bundle\"") || head.contains("\"spec_version\"") {
                return Format::Stix;
            }
            return Format::Misp;
        }
        let first = trimmed
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'));
        if first.is_some_and(|l| l.contains(',')) {
            Format::Csv
        } else {
            Format::List
        }
    }
}

/// What a value whose file gives no time (a plain list, a CSV without `first_seen` or
/// `last_seen`) is taken to mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Undated {
    /// Seen at [`ImportOptions::now`]: it decays from then (what a database import means:
    /// the feed asserts the value at import time).
    #[default]
    SeenNow,
    /// Timeless: it never decays and matches until its valid-until, if any (what a hunt
    /// with a list means: the list's age is unknown, and last month's logs must match it).
    Timeless,
}

/// How imported indicators are labelled, and what is refused.
#[derive(Clone, Debug)]
pub struct ImportOptions<'a> {
    /// The feed name recorded as provenance (default: the file name given as origin).
    pub source: Option<String>,
    /// TLP for values whose file says none.
    pub tlp: Tlp,
    /// Verdict for values whose file says none.
    pub verdict: Verdict,
    /// Confidence for values whose file says none.
    pub confidence: Confidence,
    /// First/last seen for values whose file gives no time.
    pub now: Timestamp,
    /// Whether values whose file gives no time decay from `now` or never.
    pub undated: Undated,
    /// Tags added to every indicator.
    pub tags: Vec<Tag>,
    /// Lists of known-benign values; malicious values on them are refused.
    pub warninglists: Option<&'a Warninglists>,
    /// Import values on a warninglist anyway.
    pub force: bool,
}

impl ImportOptions<'_> {
    /// TLP:AMBER, malicious, confidence 50, seen `now`, no warninglists.
    pub fn new(now: Timestamp) -> ImportOptions<'static> {
        ImportOptions {
            source: None,
            tlp: Tlp::Amber,
            verdict: Verdict::Malicious,
            confidence: Confidence::saturating(50),
            now,
            undated: Undated::SeenNow,
            tags: Vec::new(),
            warninglists: None,
            force: false,
        }
    }
}

/// What an import produced.
#[derive(Clone, Debug, Default)]
pub struct ImportReport {
    pub indicators: Vec<Indicator>,
    pub issues: Vec<ImportIssue>,
    /// Records that hold no indicator Rampart matches (MISP attribute types such as
    /// `filename` or `text`, STIX objects other than indicators and observables).
    pub skipped: usize,
}

/// Imports a file in the given format (or the detected one).
pub fn import(
    bytes: &[u8],
    origin: &str,
    format: Option<Format>,
    opts: &ImportOptions<'_>,
) -> ImportReport {
    match format.unwrap_or_else(|| Format::detect(bytes)) {
        Format::Csv => import_csv(bytes, origin, opts),
        Format::List => import_list(bytes, origin, opts),
        Format::Stix => import_stix(bytes, origin, opts),
        Format::Misp => import_misp(bytes, origin, opts),
    }
}

/// Imports a file from disk, or a MISP feed: a directory holding `manifest.json`, or the
/// manifest itself (see [`import_misp_feed`]). A file is read in the given format, or the
/// one [`Format::detect`] finds; its path is the origin named in issues and provenance.
///
/// Errors only when the path cannot be read at all; everything else is an issue.
pub fn import_path(
    path: &std::path::Path,
    format: Option<Format>,
    opts: &ImportOptions<'_>,
) -> std::io::Result<ImportReport> {
    if path.is_dir() {
        let manifest = path.join(MISP_MANIFEST);
        if !manifest.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "{} is a directory without {MISP_MANIFEST}, so not a MISP feed (give files, or the feed's directory)",
                    path.display()
                ),
            ));
        }
        return import_misp_feed(&manifest, opts);
    }
    if path.file_name().is_some_and(|n| n == MISP_MANIFEST) {
        return import_misp_feed(path, opts);
    }
    let bytes = std::fs::read(path)?;
    Ok(import(&bytes, &path.display().to_string(), format, opts))
}

/// The index file of a MISP feed.
pub const MISP_MANIFEST: &str = "manifest.json";

/// A MISP feed as MISP publishes it: `manifest.json`, an object whose keys are event uuids
/// (the values summarise each event: `info`, `Orgc`, `Tag`, `date`, `timestamp`, …), and one
/// `<uuid>.json` file per event next to it, each an `{"Event": {…}}` read by
/// [`import_misp`]. (`hashes.csv`, which MISP uses to cache feeds, is not needed.)
///
/// The provenance is the feed (the [`ImportOptions::source`], else the feed's directory), so
/// re-importing an updated feed merges; issues name the event file and the attribute.
/// A manifest entry whose file is missing or unreadable, or whose key is not a uuid, is an
/// issue naming the manifest; the other events import.
pub fn import_misp_feed(
    manifest: &std::path::Path,
    opts: &ImportOptions<'_>,
) -> std::io::Result<ImportReport> {
    let bytes = std::fs::read(manifest)?;
    let dir = manifest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let origin = manifest.display().to_string();
    let mut feed_opts = opts.clone();
    if feed_opts.source.is_none() {
        feed_opts.source = Some(dir.display().to_string());
    }
    let mut sink = Sink::new(&origin, opts);
    let root: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            sink.issue(Location::File, format!("not readable as JSON: {e}"));
            return Ok(sink.report);
        }
    };
    let Some(entries) = root.as_object() else {
        sink.issue(
            Location::File,
            "not a MISP feed manifest (expected an object keyed by event uuid)",
        );
        return Ok(sink.report);
    };
    let mut uuids: Vec<&String> = entries.keys().collect();
    uuids.sort();
    for uuid in uuids {
        let loc = Location::Object(uuid.clone());
        let is_uuid = uuid.len() == 36
            && uuid.chars().enumerate().all(|(i, c)| {
                if matches!(i, 8 | 13 | 18 | 23) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            });
        if !is_uuid {
            sink.issue(loc, "the manifest key is not an event uuid; entry skipped");
            continue;
        }
        let file = dir.join(format!("{uuid}.json"));
        let event_bytes = match std::fs::read(&file) {
            Ok(b) => b,
            Err(e) => {
                sink.issue(
                    loc,
                    format!("the event file {} cannot be read: {e}", file.display()),
                );
                continue;
            }
        };
        let report = import_misp(&event_bytes, &file.display().to_string(), &feed_opts);
        sink.report.indicators.extend(report.indicators);
        sink.report.issues.extend(report.issues);
        sink.report.skipped += report.skipped;
    }
    Ok(sink.report)
}

/// Collects indicators and issues, applying defaults and warninglists.
struct Sink<'o, 'a> {
    origin: &'o str,
    opts: &'o ImportOptions<'a>,
    report: ImportReport,
}

impl<'o, 'a> Sink<'o, 'a> {
    fn new(origin: &'o str, opts: &'o ImportOptions<'a>) -> Self {
        Sink {
            origin,
            opts,
            report: ImportReport::default(),
        }
    }

    fn issue(&mut self, location: Location, reason: impl Into<String>) {
        self.report.issues.push(ImportIssue {
            origin: self.origin.to_owned(),
            location,
            reason: reason.into(),
            warninglist: None,
        });
    }

    fn source(&self) -> String {
        self.opts
            .source
            .clone()
            .unwrap_or_else(|| self.origin.to_owned())
    }

    /// A new indicator with the options' defaults.
    fn indicator(&self, observable: Observable, location: &Location) -> Indicator {
        let mut ind = Indicator::new(
            observable,
            Provenance::Feed {
                name: self.source(),
                location: match location {
                    Location::File => None,
                    l => Some(l.to_string()),
                },
            },
            self.opts.now,
        );
        ind.tlp = self.opts.tlp;
        ind.verdict = self.opts.verdict;
        ind.confidence = self.opts.confidence;
        ind.tags = self.opts.tags.clone();
        ind.decays = self.opts.undated == Undated::SeenNow;
        ind
    }

    /// Adds an indicator unless a warninglist refuses it.
    fn push(&mut self, ind: Indicator, location: Location) {
        if ind.verdict == Verdict::Malicious
            && !self.opts.force
            && let Some(lists) = self.opts.warninglists
            && let Some(hit) = lists.check(&ind.observable)
        {
            let reason = format!(
                "{} is on MISP warninglist {:?} ({}); not imported as malicious (force the import if you mean it)",
                ind.observable, hit.description, hit.name
            );
            self.issue(location, reason);
            if let Some(issue) = self.report.issues.last_mut() {
                issue.warninglist = Some(hit.name.to_string());
            }
            return;
        }
        self.report.indicators.push(ind);
    }
}

// ---------------------------------------------------------------- IndicatorSet

impl crate::matcher::IndicatorSet {
    /// Reads an indicator file of any format [`import`] detects into a new set, as a hunt
    /// reads a list: values are malicious, TLP:AMBER and confidence 50 unless the file says
    /// otherwise, and values the file gives no time for never decay ([`Undated::Timeless`]).
    /// Returns the set and one issue per value that could not be loaded.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> (Self, Vec<ImportIssue>) {
        let mut set = Self::new();
        let issues = set.add_bytes(bytes, origin);
        (set, issues)
    }

    /// Adds an indicator file as [`IndicatorSet::from_bytes`] reads it; returns its issues.
    pub fn add_bytes(&mut self, bytes: &[u8], origin: &str) -> Vec<ImportIssue> {
        let mut opts = ImportOptions::new(Timestamp::now());
        opts.undated = Undated::Timeless;
        self.add_report(import(bytes, origin, None, &opts))
    }

    /// Adds (upserts) an import's indicators and returns its issues.
    pub fn add_report(&mut self, report: ImportReport) -> Vec<ImportIssue> {
        self.reserve(&report.indicators);
        for ind in report.indicators {
            self.upsert(ind);
        }
        report.issues
    }
}

// ---------------------------------------------------------------- CSV

/// Columns a CSV header may name (besides `type` and `value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Type,
    Value,
    Description,
    Verdict,
    Confidence,
    Tlp,
    Tags,
    FirstSeen,
    LastSeen,
    ValidUntil,
    Sightings,
    Other,
}

fn column(name: &str) -> Column {
    match name
        .trim()
        .to_ascii_lowercase()
        .replace([' ', '-'], "_")
        .as_str()
    {
        "type" | "kind" | "indicator_type" => Column::Type,
        "value" | "indicator" | "ioc" | "observable" => Column::Value,
        "description" | "comment" | "desc" => Column::Description,
        "verdict" => Column::Verdict,
        "confidence" => Column::Confidence,
        "tlp" => Column::Tlp,
        "tags" | "tag" | "labels" => Column::Tags,
        "first_seen" => Column::FirstSeen,
        "last_seen" => Column::LastSeen,
        "valid_until" | "expires" => Column::ValidUntil,
        "sightings" => Column::Sightings,
        _ => Column::Other,
    }
}

/// CSV `type,value[,description,…]`. A first row naming `type` and `value` is a header, and
/// may also name `description`, `verdict`, `confidence`, `tlp`, `tags` (`;`-separated),
/// `first_seen`, `last_seen`, `valid_until` and `sightings`. `#` lines are comments.
pub fn import_csv(bytes: &[u8], origin: &str, opts: &ImportOptions<'_>) -> ImportReport {
    let mut sink = Sink::new(origin, opts);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .comment(Some(b'#'))
        .from_reader(bytes);
    let mut columns = vec![Column::Type, Column::Value, Column::Description];
    let mut first = true;
    for row in reader.records() {
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                sink.issue(Location::Line(line), format!("not readable as CSV: {e}"));
                continue;
            }
        };
        let line = row.position().map_or(0, |p| p.line());
        if row.iter().all(str::is_empty) {
            continue;
        }
        if std::mem::take(&mut first) {
            let named: Vec<Column> = row.iter().map(column).collect();
            if named.contains(&Column::Type) && named.contains(&Column::Value) {
                columns = named;
                continue;
            }
        }
        let field = |c: Column| {
            columns
                .iter()
                .position(|x| *x == c)
                .and_then(|i| row.get(i))
                .filter(|v| !v.is_empty())
        };
        let loc = Location::Line(line);
        let type_text = field(Column::Type).unwrap_or("");
        let Some(kind) = ObservableKind::from_name(type_text) else {
            sink.issue(
                loc,
                format!(
                    "unknown indicator type {type_text:?} (expected one of ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, user-agent, asn)"
                ),
            );
            continue;
        };
        let Some(value) = field(Column::Value) else {
            sink.issue(loc, format!("a {kind} indicator has no value"));
            continue;
        };
        let observable = match normalize::parse(kind, value) {
            Ok(o) => o,
            Err(e) => {
                sink.issue(loc, e.to_string());
                continue;
            }
        };
        let mut ind = sink.indicator(observable, &loc);
        ind.description = field(Column::Description).map(str::to_owned);
        let mut bad = None;
        if let Some(v) = field(Column::Verdict) {
            match Verdict::from_name(v) {
                Some(v) => ind.verdict = v,
                None => {
                    bad = Some(format!(
                        "verdict {v:?} is not malicious, suspicious or benign-allow"
                    ))
                }
            }
        }
        if let Some(c) = field(Column::Confidence) {
            match c.parse::<u8>().ok().and_then(Confidence::new) {
                Some(c) => ind.confidence = c,
                None => bad = Some(format!("confidence {c:?} is not a number from 0 to 100")),
            }
        }
        if let Some(t) = field(Column::Tlp) {
            match Tlp::from_name(t) {
                Some(t) => ind.tlp = t,
                None => {
                    bad = Some(format!(
                        "TLP {t:?} is not clear, green, amber, amber+strict or red"
                    ))
                }
            }
        }
        if let Some(n) = field(Column::Sightings) {
            match n.parse::<u32>() {
                Ok(n) => ind.sightings = n,
                Err(_) => bad = Some(format!("sightings {n:?} is not a count")),
            }
        }
        if let Some(tags) = field(Column::Tags) {
            ind.tags.extend(
                tags.split([';', '|'])
                    .filter(|t| !t.trim().is_empty())
                    .map(Tag::parse),
            );
        }
        for (col, slot) in [
            (Column::FirstSeen, 0),
            (Column::LastSeen, 1),
            (Column::ValidUntil, 2),
        ] {
            if let Some(t) = field(col) {
                match parse_time(t) {
                    Some(ts) => match slot {
                        0 => {
                            ind.first_seen = ts;
                            ind.decays = true;
                        }
                        1 => {
                            ind.last_seen = ts;
                            ind.decays = true;
                        }
                        _ => ind.valid_until = Some(ts),
                    },
                    None => {
                        bad = Some(format!(
                            "{t:?} is not a time (use RFC 3339, like 2026-11-23T10:00:00Z)"
                        ))
                    }
                }
            }
        }
        if let Some(reason) = bad {
            sink.issue(loc, reason);
            continue;
        }
        fix_times(&mut ind);
        sink.push(ind, loc);
    }
    sink.report
}

/// RFC 3339, a date, or epoch seconds.
fn parse_time(text: &str) -> Option<Timestamp> {
    let t = text.trim();
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    if let Ok(dt) = t.parse::<jiff::civil::DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    t.parse::<i64>()
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
}

/// Keeps `first_seen <= last_seen` (a file that gives only a last sighting earlier than the
/// import time was first seen then too).
fn fix_times(ind: &mut Indicator) {
    if ind.first_seen > ind.last_seen {
        ind.first_seen = ind.last_seen;
    }
}

// ---------------------------------------------------------------- plain lists

/// One value a line, type inferred (see [`normalize::parse_inferred`]). Blank lines and
/// `#` comments are skipped, as is anything after ` #` on a line.
pub fn import_list(bytes: &[u8], origin: &str, opts: &ImportOptions<'_>) -> ImportReport {
    let mut sink = Sink::new(origin, opts);
    let text = String::from_utf8_lossy(bytes);
    for (i, raw) in text.lines().enumerate() {
        let line = raw
            .split(" #")
            .next()
            .unwrap_or("")
            .trim()
            .trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let loc = Location::Line(i as u64 + 1);
        match normalize::parse_inferred(line) {
            Ok(obs) => {
                let ind = sink.indicator(obs, &loc);
                sink.push(ind, loc);
            }
            Err(e) => sink.issue(loc, e.to_string()),
        }
    }
    sink.report
}

// ---------------------------------------------------------------- STIX 2.1

/// The TLP marking definitions' fixed ids (TLP 2.0, and TLP 1.0 from the STIX 2.1 spec).
pub(crate) const STIX_TLP_IDS: [(&str, Tlp); 9] = [
    (
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Tlp::Clear,
    ),
    (
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Tlp::Green,
    ),
    (
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Tlp::Amber,
    ),
    (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Tlp::AmberStrict,
    ),
    (
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        Tlp::Red,
    ),
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Tlp::Clear,
    ),
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Tlp::Green,
    ),
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Tlp::Amber,
    ),
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        Tlp::Red,
    ),
];

/// A STIX 2.1 bundle: `indicator` objects with STIX patterns of one comparison or several
/// joined by `OR` (`=` on the supported object paths, `ISSUBSET` on IP addresses), and
/// standalone observables (`ipv4-addr`, `ipv6-addr`, `domain-name`, `url`, `email-addr`,
/// `file` hashes, `autonomous-system`). `labels` become tags, `indicates` relationships to
/// campaigns, intrusion sets, threat actors and malware become tags, TLP marking
/// definitions (TLP 2.0 and 1.0, by id or by definition) become the TLP.
pub fn import_stix(bytes: &[u8], origin: &str, opts: &ImportOptions<'_>) -> ImportReport {
    let mut sink = Sink::new(origin, opts);
    let root: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            sink.issue(Location::File, format!("not readable as JSON: {e}"));
            return sink.report;
        }
    };
    let objects: &[Value] = match &root {
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("bundle") => o
            .get("objects")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice),
        Value::Array(a) => a.as_slice(),
        Value::Object(_) => std::slice::from_ref(&root),
        _ => {
            sink.issue(
                Location::File,
                "not a STIX bundle (expected a JSON object with \"type\": \"bundle\")",
            );
            return sink.report;
        }
    };
    let str_of = |o: &Value, k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);

    // Markings and named objects first.
    let mut tlps: HashMap<String, Tlp> = STIX_TLP_IDS
        .iter()
        .map(|(id, t)| ((*id).to_owned(), *t))
        .collect();
    let mut names: HashMap<String, Tag> = HashMap::new();
    for o in objects {
        let (Some(ty), Some(id)) = (str_of(o, "type"), str_of(o, "id")) else {
            continue;
        };
        match ty.as_str() {
            "marking-definition" => {
                let tlp = o
                    .pointer("/definition/tlp")
                    .and_then(Value::as_str)
                    .or_else(|| o.get("name").and_then(Value::as_str))
                    .and_then(Tlp::from_name);
                if let Some(t) = tlp {
                    tlps.insert(id, t);
                }
            }
            "campaign" | "intrusion-set" | "threat-actor" | "malware" => {
                let kind = match ty.as_str() {
                    "campaign" => TagKind::Campaign,
                    "malware" => TagKind::Malware,
                    _ => TagKind::Actor,
                };
                if let Some(name) = str_of(o, "name") {
                    names.insert(id, Tag::new(kind, name));
                }
            }
            _ => {}
        }
    }
    let mut related: HashMap<String, Vec<Tag>> = HashMap::new();
    for o in objects {
        if str_of(o, "type").as_deref() == Some("relationship")
            && str_of(o, "relationship_type").as_deref() == Some("indicates")
            && let (Some(src), Some(dst)) = (str_of(o, "source_ref"), str_of(o, "target_ref"))
            && let Some(tag) = names.get(&dst)
        {
            related.entry(src).or_default().push(tag.clone());
        }
    }

    let mut seen_values: HashSet<Observable> = HashSet::new();
    let mut observables: Vec<(Location, Observable, Option<Tlp>)> = Vec::new();
    for (index, o) in objects.iter().enumerate() {
        let ty = str_of(o, "type").unwrap_or_default();
        let loc = Location::Object(str_of(o, "id").unwrap_or_else(|| format!("#{index}")));
        let tlp = o
            .get("object_marking_refs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter_map(|r| tlps.get(r).copied())
            .max();
        match ty.as_str() {
            "indicator" => {
                let pattern_type = str_of(o, "pattern_type").unwrap_or_else(|| "stix".into());
                if pattern_type != "stix" {
                    sink.issue(
                        loc,
                        format!(
                            "pattern type {pattern_type:?} is not imported (only STIX patterns)"
                        ),
                    );
                    continue;
                }
                let Some(pattern) = str_of(o, "pattern") else {
                    sink.issue(loc, "indicator has no pattern");
                    continue;
                };
                let values = match parse_stix_pattern(&pattern) {
                    Ok(v) => v,
                    Err(reason) => {
                        sink.issue(loc, format!("pattern {pattern:?}: {reason}"));
                        continue;
                    }
                };
                for (kind, value) in values {
                    let obs = match normalize::parse(kind, &value) {
                        Ok(obs) => obs,
                        Err(e) => {
                            sink.issue(loc.clone(), e.to_string());
                            continue;
                        }
                    };
                    seen_values.insert(obs.clone());
                    let mut ind = sink.indicator(obs, &loc);
                    if let Some(t) = tlp {
                        ind.tlp = t;
                    }
                    // A name or description that only restates the value (as Rampart's
                    // export writes them when it has nothing more) is no description.
                    ind.description = str_of(o, "description")
                        .filter(|d| !crate::export::restates_value(d, &ind.observable))
                        .or_else(|| {
                            str_of(o, "name")
                                .filter(|n| !crate::export::restates_value(n, &ind.observable))
                        });
                    if let Some(c) = o.get("confidence").and_then(Value::as_i64) {
                        ind.confidence = Confidence::saturating(c);
                    }
                    let types: Vec<String> = o
                        .get("indicator_types")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect();
                    if types.iter().any(|t| t == "benign") {
                        ind.verdict = Verdict::BenignAllow;
                    } else if types.iter().any(|t| {
                        t == "malicious-activity" || t == "compromised" || t == "attribution"
                    }) {
                        ind.verdict = Verdict::Malicious;
                    } else if types
                        .iter()
                        .any(|t| t == "anomalous-activity" || t == "unknown")
                    {
                        ind.verdict = Verdict::Suspicious;
                    }
                    // Rampart's property extension (and the `x_rampart_*` custom properties
                    // earlier exports wrote).
                    let ext = o
                        .get("extensions")
                        .and_then(|e| e.get(crate::export::STIX_EXTENSION_ID));
                    let ours = |name: &str| {
                        ext.and_then(|e| e.get(name))
                            .or_else(|| o.get(format!("x_rampart_{name}").as_str()))
                    };
                    if let Some(v) = ours("verdict")
                        .and_then(Value::as_str)
                        .and_then(Verdict::from_name)
                    {
                        ind.verdict = v;
                    }
                    if let Some(t) = str_of(o, "valid_from").and_then(|t| parse_time(&t)) {
                        ind.first_seen = t;
                        ind.last_seen = t;
                        ind.decays = true;
                    }
                    if let Some(t) = ours("last_seen")
                        .and_then(Value::as_str)
                        .and_then(parse_time)
                    {
                        ind.last_seen = t;
                        ind.decays = true;
                    }
                    if let Some(n) = ours("sightings").and_then(Value::as_u64) {
                        ind.sightings = u32::try_from(n).unwrap_or(u32::MAX);
                    }
                    if let Some(d) = ours("decays").and_then(Value::as_bool) {
                        ind.decays = d;
                    }
                    ind.valid_until = str_of(o, "valid_until").and_then(|t| parse_time(&t));
                    for label in o
                        .get("labels")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        if let Some(l) = label.as_str() {
                            ind.tags.push(Tag::parse(l));
                        }
                    }
                    if let Some(tags) = str_of(o, "id").and_then(|id| related.get(&id)) {
                        for t in tags {
                            if !ind.tags.contains(t) {
                                ind.tags.push(t.clone());
                            }
                        }
                    }
                    fix_times(&mut ind);
                    sink.push(ind, loc.clone());
                }
            }
            "ipv4-addr" | "ipv6-addr" | "domain-name" | "url" | "email-addr" => {
                let kind = match ty.as_str() {
                    "ipv4-addr" => ObservableKind::Ipv4,
                    "ipv6-addr" => ObservableKind::Ipv6,
                    "domain-name" => ObservableKind::Domain,
                    "url" => ObservableKind::Url,
                    _ => ObservableKind::Email,
                };
                let Some(value) = str_of(o, "value") else {
                    sink.issue(loc, format!("{ty} object has no value"));
                    continue;
                };
                let parsed = if value.contains('/') && kind != ObservableKind::Url {
                    normalize::parse(ObservableKind::Cidr, &value)
                } else {
                    normalize::parse(kind, &value)
                };
                match parsed {
                    Ok(obs) => observables.push((loc, obs, tlp)),
                    Err(e) => sink.issue(loc, e.to_string()),
                }
            }
            "file" => {
                let hashes = o.get("hashes").and_then(Value::as_object);
                let mut any = false;
                for (alg, v) in hashes.into_iter().flatten() {
                    let Some(kind) = hash_kind(alg) else { continue };
                    let Some(v) = v.as_str() else { continue };
                    any = true;
                    match normalize::parse(kind, v) {
                        Ok(obs) => observables.push((loc.clone(), obs, tlp)),
                        Err(e) => sink.issue(loc.clone(), e.to_string()),
                    }
                }
                if !any {
                    sink.report.skipped += 1;
                }
            }
            "autonomous-system" => match o
                .get("number")
                .and_then(Value::as_u64)
                .and_then(|n| u32::try_from(n).ok())
            {
                Some(n) => observables.push((loc, Observable::Asn(n), tlp)),
                None => sink.issue(loc, "autonomous-system object has no valid number"),
            },
            _ => sink.report.skipped += 1,
        }
    }
    // Observables that no indicator pattern already names.
    for (loc, obs, tlp) in observables {
        if !seen_values.insert(obs.clone()) {
            continue;
        }
        let mut ind = sink.indicator(obs, &loc);
        if let Some(t) = tlp {
            ind.tlp = t;
        }
        sink.push(ind, loc);
    }
    sink.report
}

fn hash_kind(alg: &str) -> Option<ObservableKind> {
    match alg.to_ascii_uppercase().replace('-', "").as_str() {
        "MD5" => Some(ObservableKind::Md5),
        "SHA1" => Some(ObservableKind::Sha1),
        "SHA256" => Some(ObservableKind::Sha256),
        _ => None,
    }
}

/// The object path of a STIX comparison, as an observable kind.
fn stix_path_kind(path: &str) -> Option<ObservableKind> {
    let p = path.replace(['\'', '"'], "").to_ascii_lowercase();
    Some(match p.as_str() {
        "ipv4-addr:value" => ObservableKind::Ipv4,
        "ipv6-addr:value" => ObservableKind::Ipv6,
        "domain-name:value" => ObservableKind::Domain,
        "url:value" => ObservableKind::Url,
        "email-addr:value" | "email-message:from_ref.value" | "email-message:sender_ref.value" => {
            ObservableKind::Email
        }
        "autonomous-system:number" => ObservableKind::Asn,
        "network-traffic:extensions.http-request-ext.request_header.user-agent" => {
            ObservableKind::UserAgent
        }
        _ => {
            let alg = p.strip_prefix("file:hashes.")?;
            return hash_kind(alg);
        }
    })
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    Word(String),
    Str(String),
    Num(String),
}

fn tokenize(pattern: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = pattern.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '[' | '(' => out.push(Token::Open),
            ']' | ')' => out.push(Token::Close),
            '\'' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, e)) => s.push(e),
                            None => return Err("unterminated string".into()),
                        },
                        Some((_, '\'')) => break,
                        Some((_, ch)) => s.push(ch),
                        None => return Err("unterminated string".into()),
                    }
                }
                out.push(Token::Str(s));
            }
            c if c.is_ascii_digit() => {
                let mut s = c.to_string();
                while let Some(&(_, d)) = chars.peek() {
                    if d.is_ascii_digit() || d == '.' {
                        s.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Num(s));
            }
            _ => {
                // An object path or operator; paths may hold quoted keys ('SHA-256').
                let mut s = c.to_string();
                let mut in_quote = false;
                while let Some(&(_, d)) = chars.peek() {
                    let path_char = d.is_ascii_alphanumeric()
                        || matches!(d, '-' | '_' | ':' | '.' | '=' | '!' | '<' | '>' | '*');
                    if in_quote {
                        s.push(d);
                        chars.next();
                        if d == '\'' {
                            in_quote = false;
                        }
                    } else if d == '\'' && s.ends_with('.') {
                        in_quote = true;
                        s.push(d);
                        chars.next();
                    } else if path_char {
                        s.push(d);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Word(s));
            }
        }
    }
    Ok(out)
}

/// The values of a STIX pattern made of comparisons joined by `OR` (in or across
/// observation expressions). Anything else is an error saying what is not supported.
fn parse_stix_pattern(pattern: &str) -> Result<Vec<(ObservableKind, String)>, String> {
    let tokens = tokenize(pattern)?;
    let mut values = Vec::new();
    let mut i = 0;
    let mut expect_comparison = true;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Open | Token::Close => i += 1,
            Token::Word(w) if !expect_comparison => {
                if w.eq_ignore_ascii_case("OR") {
                    expect_comparison = true;
                    i += 1;
                } else {
                    return Err(format!(
                        "{w} is not supported; only comparisons joined by OR import as indicators"
                    ));
                }
            }
            Token::Word(path) => {
                let Some(kind) = stix_path_kind(path) else {
                    return Err(format!(
                        "object path {path} is not a supported indicator type"
                    ));
                };
                let (op, value) = match (tokens.get(i + 1), tokens.get(i + 2)) {
                    (Some(Token::Word(op)), Some(Token::Str(v) | Token::Num(v))) => (op, v),
                    _ => return Err(format!("expected `{path} = 'value'`")),
                };
                let ip = matches!(kind, ObservableKind::Ipv4 | ObservableKind::Ipv6);
                let kind = if op == "=" {
                    if ip && value.contains('/') {
                        ObservableKind::Cidr
                    } else {
                        kind
                    }
                } else if ip && op.eq_ignore_ascii_case("ISSUBSET") {
                    ObservableKind::Cidr
                } else {
                    return Err(format!(
                        "operator {op} is not supported (only = and ISSUBSET)"
                    ));
                };
                values.push((kind, value.clone()));
                expect_comparison = false;
                i += 3;
            }
            Token::Str(_) | Token::Num(_) => return Err("a value without a comparison".into()),
        }
    }
    if values.is_empty() {
        return Err("no comparison found".into());
    }
    if expect_comparison {
        return Err("the pattern ends with OR".into());
    }
    Ok(values)
}

// ---------------------------------------------------------------- MISP

/// A MISP event as JSON (`{"Event": {…}}`, a bare event, a list of them, or a
/// `{"response": […]}` search result). Attributes and object attributes of the supported
/// types import (composite types such as `domain|ip` or `ip-dst|port` give each usable part);
/// `to_ids: false` makes an indicator suspicious rather than malicious; `tlp:*` tags set
/// the TLP, galaxy clusters and `misp-galaxy:` tags become actor, malware or campaign tags;
/// the tag `rampart:benign-allow` (written by [`crate::export::to_misp`]) makes an allow entry.
pub fn import_misp(bytes: &[u8], origin: &str, opts: &ImportOptions<'_>) -> ImportReport {
    let mut sink = Sink::new(origin, opts);
    let root: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            sink.issue(Location::File, format!("not readable as JSON: {e}"));
            return sink.report;
        }
    };
    let mut events = Vec::new();
    collect_events(&root, &mut events);
    if events.is_empty() {
        sink.issue(
            Location::File,
            "no MISP event found (expected {\"Event\": {…}})",
        );
    }
    for event in events {
        import_misp_event(event, &mut sink);
    }
    sink.report
}

fn collect_events<'v>(v: &'v Value, out: &mut Vec<&'v Value>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect_events(x, out)),
        Value::Object(o) => {
            if let Some(e) = o.get("Event") {
                out.push(e);
            } else if let Some(r) = o.get("response") {
                collect_events(r, out);
            } else if o.contains_key("Attribute") || o.contains_key("Object") {
                out.push(v);
            }
        }
        _ => {}
    }
}

fn misp_tags(v: &Value) -> (Option<Tlp>, Vec<Tag>) {
    let mut tlp = None;
    let mut tags = Vec::new();
    for t in v.get("Tag").and_then(Value::as_array).into_iter().flatten() {
        let Some(name) = t.get("name").and_then(Value::as_str) else {
            continue;
        };
        if let Some(level) = name
            .strip_prefix("tlp:")
            .or_else(|| name.strip_prefix("TLP:"))
        {
            if let Some(t) = Tlp::from_name(level) {
                tlp = tlp.max(Some(t));
            }
            continue;
        }
        if let Some(rest) = name.strip_prefix("misp-galaxy:")
            && let Some((galaxy, value)) = rest.split_once('=')
        {
            let value = value.trim_matches('"');
            let kind = if galaxy.contains("threat-actor") || galaxy.contains("intrusion-set") {
                TagKind::Actor
            } else if galaxy.contains("malware")
                || galaxy.contains("malpedia")
                || galaxy.contains("ransomware")
            {
                TagKind::Malware
            } else if galaxy.contains("campaign") {
                TagKind::Campaign
            } else {
                TagKind::Other
            };
            tags.push(Tag::new(kind, value));
            continue;
        }
        tags.push(Tag::new(TagKind::Other, name));
    }
    (tlp, tags)
}

fn import_misp_event(event: &Value, sink: &mut Sink<'_, '_>) {
    let (event_tlp, mut event_tags) = misp_tags(event);
    for g in event
        .get("Galaxy")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let gtype = g.get("type").and_then(Value::as_str).unwrap_or("");
        for c in g
            .get("GalaxyCluster")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(value) = c.get("value").and_then(Value::as_str) else {
                continue;
            };
            let ctype = c.get("type").and_then(Value::as_str).unwrap_or(gtype);
            let kind = if ctype.contains("threat-actor") || ctype.contains("intrusion-set") {
                TagKind::Actor
            } else if ctype.contains("malware")
                || ctype.contains("ransomware")
                || ctype.contains("malpedia")
            {
                TagKind::Malware
            } else {
                TagKind::Other
            };
            let tag = Tag::new(kind, value);
            if !event_tags.contains(&tag) {
                event_tags.push(tag);
            }
        }
    }
    let event_date = event
        .get("date")
        .and_then(Value::as_str)
        .and_then(parse_time);
    let mut attrs: Vec<&Value> = event
        .get("Attribute")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    for o in event
        .get("Object")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        attrs.extend(
            o.get("Attribute")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    }
    for (index, a) in attrs.into_iter().enumerate() {
        let loc = Location::Object(a.get("uuid").and_then(Value::as_str).map_or_else(
            || format!("attribute #{index}"),
            |u| format!("attribute {u}"),
        ));
        let (Some(ty), Some(value)) = (
            a.get("type").and_then(Value::as_str),
            a.get("value").and_then(Value::as_str),
        ) else {
            sink.issue(loc, "attribute has no type or value");
            continue;
        };
        let parts: Vec<(ObservableKind, &str)> = misp_parts(ty, value);
        if parts.is_empty() {
            sink.report.skipped += 1;
            continue;
        }
        let (attr_tlp, mut attr_tags) = misp_tags(a);
        let allow_tag = Tag::new(TagKind::Other, "rampart:benign-allow");
        let benign = attr_tags.contains(&allow_tag);
        attr_tags.retain(|t| *t != allow_tag);
        for (kind, v) in parts {
            let obs = match normalize::parse(kind, v) {
                Ok(o) => o,
                Err(e) => {
                    sink.issue(loc.clone(), e.to_string());
                    continue;
                }
            };
            let mut ind = sink.indicator(obs, &loc);
            if let Some(t) = attr_tlp.or(event_tlp) {
                ind.tlp = t;
            }
            if benign {
                ind.verdict = Verdict::BenignAllow;
            } else if a
                .get("to_ids")
                .is_some_and(|t| t == &Value::Bool(false) || t == "0")
            {
                ind.verdict = Verdict::Suspicious;
            }
            for t in event_tags.iter().chain(&attr_tags) {
                if !ind.tags.contains(t) {
                    ind.tags.push(t.clone());
                }
            }
            ind.description = a
                .get("comment")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_owned);
            let ts = a.get("timestamp").and_then(|t| match t {
                Value::String(s) => parse_time(s),
                Value::Number(n) => n.as_i64().and_then(|s| Timestamp::from_second(s).ok()),
                _ => None,
            });
            let first = a
                .get("first_seen")
                .and_then(Value::as_str)
                .and_then(parse_time);
            let last = a
                .get("last_seen")
                .and_then(Value::as_str)
                .and_then(parse_time);
            if let Some(t) = first.or(event_date).or(ts) {
                ind.first_seen = t;
                ind.last_seen = t;
                ind.decays = true;
            }
            if let Some(t) = last.or(ts) {
                ind.last_seen = t;
                ind.decays = true;
            }
            fix_times(&mut ind);
            sink.push(ind, loc.clone());
        }
    }
}

/// The usable parts of a MISP attribute: `(kind, value)` for each.
fn misp_parts<'v>(ty: &str, value: &'v str) -> Vec<(ObservableKind, &'v str)> {
    if let Some((left_ty, right_ty)) = ty.split_once('|') {
        let Some((left, right)) = value.split_once('|') else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (t, v) in [(left_ty, left), (right_ty, right)] {
            if let Some(k) = misp_kind(t, v) {
                out.push((k, v));
            }
        }
        return out;
    }
    misp_kind(ty, value)
        .map(|k| vec![(k, value)])
        .unwrap_or_default()
}

fn misp_kind(ty: &str, value: &str) -> Option<ObservableKind> {
    let kind = match ty {
        "ip-src" | "ip-dst" | "ip" => {
            if value.contains('/') {
                ObservableKind::Cidr
            } else if value.contains(':') {
                ObservableKind::Ipv6
            } else {
                ObservableKind::Ipv4
            }
        }
        "domain" | "hostname" => ObservableKind::Domain,
        "url" | "uri" | "link" => ObservableKind::Url,
        "email" | "email-src" | "email-dst" | "email-reply-to" => ObservableKind::Email,
        "md5" => ObservableKind::Md5,
        "sha1" => ObservableKind::Sha1,
        "sha256" => ObservableKind::Sha256,
        "user-agent" => ObservableKind::UserAgent,
        "AS" | "as" => ObservableKind::Asn,
        _ => return None,
    };
    Some(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stix_patterns() {
        use ObservableKind::*;
        assert_eq!(
            parse_stix_pattern("[ipv4-addr:value = '198.51.100.1']"),
            Ok(vec![(Ipv4, "198.51.100.1".into())])
        );
        assert_eq!(
            parse_stix_pattern(
                "[domain-name:value = 'evil.example' OR url:value = 'http://evil.example/a\\'b'] OR [ipv4-addr:value ISSUBSET '203.0.113.0/24']"
            ),
            Ok(vec![
                (Domain, "evil.example".into()),
                (Url, "http://evil.example/a'b".into()),
                (Cidr, "203.0.113.0/24".into())
            ])
        );
        assert_eq!(
            parse_stix_pattern("[file:hashes.'SHA-256' = 'ab'] OR [file:hashes.MD5 = 'cd']"),
            Ok(vec![(Sha256, "ab".into()), (Md5, "cd".into())])
        );
        assert_eq!(
            parse_stix_pattern("[autonomous-system:number = 64500]"),
            Ok(vec![(Asn, "64500".into())])
        );
        assert!(
            parse_stix_pattern("[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'a.b']")
                .unwrap_err()
                .contains("AND is not supported")
        );
        assert!(
            parse_stix_pattern("[process:name = 'x']")
                .unwrap_err()
                .contains("not a supported")
        );
        assert!(
            parse_stix_pattern("[url:value LIKE '%evil%']")
                .unwrap_err()
                .contains("LIKE")
        );
        assert!(parse_stix_pattern("[url:value = 'a'] OR").is_err());
        assert!(parse_stix_pattern("[url:value = 'unterminated]").is_err());
    }

    #[test]
    fn detects_formats() {
        assert_eq!(
            Format::detect(b"{\"type\": \"bundle\", \"objects\": []}"),
            Format::Stix
        );
        assert_eq!(Format::detect(b"{\"Event\": {}}"), Format::Misp);
        assert_eq!(
            Format::detect(b"# c\ntype,value\nipv4,1.2.3.4\n"),
            Format::Csv
        );
        assert_eq!(Format::detect(b"1.2.3.4\nevil.example\n"), Format::List);
    }
}
