//! `rampart rules check|test`: compile a Sigma rule set, and see which rules match which events.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rampart_sigma::{CompileOptions, CorrelationRule, Rule, RuleError, WinEventJson};
use serde::Serialize;
use serde_json::Value;

/// Every rule file (`.yml`, `.yaml`) under the given paths, sorted.
fn rule_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        let listed = rampart_sources::list_files(p)
            .with_context(|| format!("cannot read rules from {}", p.display()))?;
        files.extend(listed.into_iter().filter(|f| {
            matches!(f.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) || p.is_file()
        }));
    }
    Ok(files)
}

/// A loaded rule set: compiled rules (with the filter documents applied), how many
/// filters there were, and the rejected documents.
pub struct RuleSet {
    pub rules: Vec<Rule>,
    /// Correlation documents (they reference rules by id or name).
    pub correlations: Vec<CorrelationRule>,
    pub filters: usize,
    pub errors: Vec<RuleError>,
}

/// Rampart's identity field mappings, with which every rule compiles.
pub fn field_maps() -> Vec<rampart_sigma::FieldMap> {
    rampart_sigma::pipelines::identity_field_maps()
}

/// Loads every rule file, then applies the filter documents to the rules they name.
/// Rules compile with Rampart's identity field mappings, so the SigmaHQ rules for Entra
/// sign-ins, M365, Okta and Google Workspace read the raw records as exported.
pub fn load(paths: &[PathBuf]) -> Result<RuleSet> {
    load_with(paths, &[])
}

/// [`load`], plus rule files given as (name, text): the built-in rules.
pub fn load_with(paths: &[PathBuf], texts: &[(&str, &str)]) -> Result<RuleSet> {
    let opts = field_maps()
        .into_iter()
        .fold(CompileOptions::default(), CompileOptions::with_field_map);
    let mut rules = Vec::new();
    let mut filters = Vec::new();
    let mut correlations = Vec::new();
    let mut errors = Vec::new();
    let from_texts = texts
        .iter()
        .map(|(name, text)| rampart_sigma::load_str(text, Some(Path::new(name)), &opts));
    let from_files = rule_files(paths)?
        .into_iter()
        .map(|f| rampart_sigma::load_file(&f, &opts));
    for loaded in from_texts.chain(from_files) {
        rules.extend(loaded.rules);
        filters.extend(loaded.filters);
        correlations.extend(loaded.correlations);
        errors.extend(loaded.errors);
    }
    rampart_sigma::apply_filters(&mut rules, &filters);
    Ok(RuleSet {
        rules,
        correlations,
        filters: filters.len(),
        errors,
    })
}

#[derive(Serialize)]
struct Rejected {
    path: Option<String>,
    line: Option<usize>,
    reason: String,
}

/// A rule that loaded but matches nothing until its placeholders have values.
#[derive(Serialize)]
struct Inactive {
    path: Option<String>,
    title: String,
    placeholders: Vec<String>,
}

#[derive(Serialize)]
struct CheckReport {
    /// Rules and correlation rules that loaded.
    loaded: usize,
    correlations: usize,
    filters: usize,
    inactive: Vec<Inactive>,
    rejected: Vec<Rejected>,
}

pub fn check(paths: &[PathBuf], json: bool) -> Result<()> {
    let RuleSet {
        rules,
        correlations,
        filters,
        mut errors,
    } = load(paths)?;
    // A correlation that names a rule the set does not have is rejected here too.
    let (correlator, correlation_errors) = rampart_sigma::Correlator::<()>::new(
        &rules,
        correlations,
        &field_maps(),
        rampart_sigma::CorrelatorConfig::default(),
    );
    let correlations = correlator
        .correlations()
        .len()
        .saturating_sub(correlation_errors.len());
    errors.extend(correlation_errors);
    let inactive = rules
        .iter()
        .filter(|r| !r.unresolved_placeholders().is_empty())
        .map(|r| Inactive {
            path: r.file().map(|p| p.display().to_string()),
            title: r.meta().title.clone(),
            placeholders: r.unresolved_placeholders().to_vec(),
        })
        .collect();
    let report = CheckReport {
        loaded: rules.len() + correlations,
        correlations,
        filters,
        inactive,
        rejected: errors
            .iter()
            .map(|e| Rejected {
                path: e.file.as_ref().map(|p| p.display().to_string()),
                line: e.line,
                reason: e.kind.to_string(),
            })
            .collect(),
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    if json {
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        writeln!(
            out,
            "{} rules loaded{}, {} rejected{}",
            report.loaded,
            if report.correlations > 0 {
                format!(" ({} of them correlations)", report.correlations)
            } else {
                String::new()
            },
            report.rejected.len(),
            if report.filters > 0 {
                format!(", {} filters applied", report.filters)
            } else {
                String::new()
            }
        )?;
        if !report.inactive.is_empty() {
            writeln!(
                out,
                "{} loaded inactive: they match nothing until their placeholders have values",
                report.inactive.len()
            )?;
            for r in &report.inactive {
                writeln!(
                    out,
                    "  {}: {} needs {}",
                    r.path.as_deref().unwrap_or("(text)"),
                    r.title,
                    r.placeholders
                        .iter()
                        .map(|p| format!("%{p}%"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )?;
            }
        }
        for r in &report.rejected {
            writeln!(
                out,
                "  {}{}: {}",
                r.path.as_deref().unwrap_or("(text)"),
                r.line.map(|l| format!(":{l}")).unwrap_or_default(),
                r.reason
            )?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Events of a file: a JSON array, NDJSON, a page wrapper (`value`, `records`, `items`)
/// or one object. Each with its 0-based position in the file.
pub fn read_events(path: &Path) -> Result<Vec<Value>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read events from {}", path.display()))?;
    // One JSON document (array, page, object), else one event per line.
    if let Ok(v) = serde_json::from_str::<Value>(&text) {
        return Ok(match v {
            Value::Array(items) => items,
            Value::Object(mut o) => {
                for key in ["value", "records", "items"] {
                    if let Some(Value::Array(items)) = o.remove(key) {
                        return Ok(items);
                    }
                }
                vec![Value::Object(o)]
            }
            other => vec![other],
        });
    }
    let mut events = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line)
            .with_context(|| format!("{} line {}: not a JSON event", path.display(), n + 1))?;
        events.push(v);
    }
    Ok(events)
}

#[derive(Serialize)]
struct Match<'a> {
    rule_id: Option<&'a str>,
    rule_title: &'a str,
    file: String,
    index: usize,
}

pub fn test(rule_paths: &[PathBuf], events: &[PathBuf], json: bool) -> Result<()> {
    let RuleSet { rules, errors, .. } = load(rule_paths)?;
    if rules.is_empty() {
        bail!(
            "no rule loaded from {} ({} rejected: `rampart rules check` says why)",
            rule_paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            errors.len()
        );
    }
    for e in &errors {
        tracing::warn!("rule not loaded: {e}");
    }
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut matches = 0usize;
    let mut total = 0usize;
    for path in events {
        let file = path.display().to_string();
        for (index, event) in read_events(path)?.iter().enumerate() {
            total += 1;
            // Windows events in their JSON rendering are read under Sigma's field names.
            let windows = event.pointer("/Event/System").is_some();
            let win = WinEventJson::new(event);
            let view: &dyn rampart_sigma::Event = if windows { &win } else { event };
            for rule in &rules {
                if !rule.matches(view) {
                    continue;
                }
                matches += 1;
                let m = Match {
                    rule_id: rule.meta().id.as_deref(),
                    rule_title: &rule.meta().title,
                    file: file.clone(),
                    index,
                };
                if json {
                    serde_json::to_writer(&mut out, &m)?;
                    writeln!(out)?;
                } else {
                    writeln!(
                        out,
                        "{file} event {index}: {} ({}){}",
                        m.rule_title,
                        m.rule_id.unwrap_or("no id"),
                        rule.meta()
                            .author
                            .as_deref()
                            .map(|a| format!(" — by {a}"))
                            .unwrap_or_default()
                    )?;
                }
            }
        }
    }
    out.flush()?;
    eprintln!(
        "{} rules ({} rejected) against {total} events: {matches} matches",
        rules.len(),
        errors.len()
    );
    Ok(())
}
