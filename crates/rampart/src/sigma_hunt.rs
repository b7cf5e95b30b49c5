//! `hunt --rules DIR`: Sigma rules over the raw records `hunt` reads.
//!
//! Each JSON record of a known format is handed over as it came (before decoding), parsed
//! once, routed by its format to the rules written for that log source, and evaluated;
//! every match is a `sigma` finding carrying the rule's id, title, level, ATT&CK tags and
//! author. Records of every kind are evaluated, not only sign-ins: an Okta factor reset or
//! an O365 mailbox rule is what many identity rules are about.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Result;
use jiff::Timestamp;
use rampart_model::{
    Evidence, Finding, FindingKind, Reason, ReasonEffect, Severity, SigmaCorrelationRef,
    SigmaEventRef, SigmaEvidence, SigmaRuleRef, SourceFormat, TenantId,
};
use rampart_sigma::{
    CorrelationHit, CorrelationRule, CorrelationType, Correlator, CorrelatorConfig, LogSource,
    Rule, RuleSet,
};
use rampart_sources::RawRecord;
use serde_json::Value;

/// The log sources a record of `format` belongs to, as Sigma rules name them
/// (product, services; an empty list of services means any service of the product).
fn log_sources(
    format: SourceFormat,
    record: &Value,
) -> &'static [(&'static str, &'static [&'static str])] {
    match format {
        SourceFormat::EntraGraph => &[("azure", &["signinlogs"])],
        SourceFormat::EntraSigninLogs => {
            // The diagnostic export carries other categories beside sign-ins.
            match record.get("category").and_then(Value::as_str) {
                Some(c) if c.eq_ignore_ascii_case("AuditLogs") => &[("azure", &["auditlogs"])],
                _ => &[("azure", &["signinlogs"])],
            }
        }
        SourceFormat::O365 => &[("m365", &[])],
        SourceFormat::Okta => &[("okta", &[])],
        SourceFormat::GoogleWorkspace => &[
            ("gcp", &["google_workspace.login", "google_workspace.admin"]),
            ("gworkspace", &[]),
        ],
        _ => &[],
    }
}

/// Whether a rule's log source is one a record of these sources belongs to. Rules with a
/// `category` are about endpoint or network telemetry, never identity records.
fn routes(ls: &LogSource, sources: &[(&str, &[&str])]) -> bool {
    if ls.category.is_some() {
        return false;
    }
    let Some(product) = ls.product.as_deref() else {
        return false;
    };
    sources.iter().any(|(p, services)| {
        p.eq_ignore_ascii_case(product)
            && (services.is_empty()
                || ls
                    .service
                    .as_deref()
                    .is_none_or(|s| services.iter().any(|x| x.eq_ignore_ascii_case(s))))
    })
}

/// Counts for the summary.
#[derive(Debug, Default)]
pub struct SigmaStats {
    pub rules: usize,
    /// Rule documents that did not compile.
    pub rejected: usize,
    pub records: usize,
    /// Records evaluated, by format.
    pub evaluated: BTreeMap<&'static str, usize>,
    /// Records of a known format no loaded rule is written for.
    pub unrouted: usize,
    /// Records not evaluated because no tenant could be assigned.
    pub no_tenant: usize,
    /// Records whose JSON could not be parsed a second time (should not happen).
    pub unparsed: usize,
    /// Matches not raised because the record has no readable time.
    pub no_time: usize,
    pub matches: usize,
    /// Correlation rules that fired.
    pub correlation_hits: usize,
}

/// A record that matched a rule some correlation references, kept until the end of the
/// input so that correlations see every tenant's records in event-time order whatever
/// the order of the files.
struct Pending {
    tenant: TenantId,
    time: Timestamp,
    record: Value,
    matched: Vec<usize>,
    event: Contributing,
}

/// What a correlation finding lists of each record behind it.
#[derive(Clone)]
struct Contributing {
    id: String,
    user: Option<String>,
    event: SigmaEventRef,
}

/// The most records a correlation finding lists in its evidence (all are counted).
const MAX_LISTED_EVENTS: usize = 50;

/// A loaded rule set, evaluating raw records as they are read.
pub struct SigmaHunt {
    /// The rules behind their candidate index: a record is evaluated only against the
    /// rules whose necessary values it holds.
    rules: RuleSet,
    correlator: Correlator<Contributing>,
    pending: Vec<Pending>,
    findings: Vec<Finding>,
    /// Per format: whether any rule routes to it.
    routable: std::collections::HashMap<SourceFormat, bool>,
    pub stats: SigmaStats,
}

impl SigmaHunt {
    /// Loads the rules under `paths`, and the built-in rules when `builtin` (rejected
    /// rules are reported on stderr unless `quiet`, and counted).
    pub fn load(paths: &[PathBuf], builtin: bool, quiet: bool) -> Result<SigmaHunt> {
        let texts = if builtin {
            crate::builtin_rules::FILES
        } else {
            &[]
        };
        let mut set = crate::rules::load_with(paths, texts)?;
        // A batch hunt feeds correlations in event-time order (below), so no record is
        // ever late; the lateness only bounds what the correlator holds.
        let (correlator, correlation_errors) = Correlator::new(
            &set.rules,
            std::mem::take(&mut set.correlations),
            &crate::rules::field_maps(),
            CorrelatorConfig::default(),
        );
        let correlations = correlator
            .correlations()
            .len()
            .saturating_sub(correlation_errors.len());
        set.errors.extend(correlation_errors);
        for e in &set.errors {
            tracing::warn!("rule not loaded: {e}");
        }
        if !quiet {
            let mut from: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            if builtin {
                from.insert(0, "the built-in rules".to_owned());
            }
            eprintln!(
                "rules: {} loaded{} from {}, {} rejected{}",
                set.rules.len() + correlations,
                if correlations > 0 {
                    format!(" ({correlations} correlations)")
                } else {
                    String::new()
                },
                from.join(", "),
                set.errors.len(),
                if set.errors.is_empty() {
                    ""
                } else {
                    " (`rampart rules check` says why)"
                }
            );
        }
        if set.rules.is_empty() {
            anyhow::bail!(
                "no rule loaded from {} ({} rejected: `rampart rules check` says why)",
                paths
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                set.errors.len()
            );
        }
        Ok(SigmaHunt {
            stats: SigmaStats {
                rules: set.rules.len(),
                rejected: set.errors.len(),
                ..SigmaStats::default()
            },
            rules: RuleSet::new(set.rules),
            correlator,
            pending: Vec::new(),
            findings: Vec::new(),
            routable: std::collections::HashMap::new(),
        })
    }

    /// Evaluates one raw record of `tenant` (`None`: no tenant could be assigned).
    pub fn observe(&mut self, raw: &RawRecord<'_>, tenant: Option<&TenantId>) {
        self.stats.records += 1;
        let Some(tenant) = tenant else {
            self.stats.no_tenant += 1;
            return;
        };
        if !self.any_rule_for(raw.format) {
            self.stats.unrouted += 1;
            return;
        }
        let value: Value = match serde_json::from_str(raw.text) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("{}: cannot evaluate rules: {e}", raw.at);
                self.stats.unparsed += 1;
                return;
            }
        };
        let sources = log_sources(raw.format, &value);
        let routed = self
            .rules
            .rules()
            .iter()
            .any(|rule| routes(&rule.meta().logsource, sources));
        let mut matched = Vec::new();
        if routed {
            self.rules.matches(&value, |i| matched.push(i));
        }
        let mut correlated = Vec::new();
        for i in matched {
            let Some(rule) = self.rules.rules().get(i) else {
                continue;
            };
            if !routes(&rule.meta().logsource, sources) {
                continue;
            }
            self.stats.matches += 1;
            let Some(time) = raw.time else {
                tracing::warn!(
                    "{}: rule {:?} matched, but the record has no readable time: not raised",
                    raw.at,
                    rule.meta().title
                );
                self.stats.no_time += 1;
                continue;
            };
            if self.correlator.is_referenced(i) {
                correlated.push(i);
            }
            if self.correlator.reports_alone(i) {
                self.findings.push(finding(rule, raw, tenant, time));
            }
        }
        if routed {
            *self.stats.evaluated.entry(raw.format.as_str()).or_default() += 1;
        } else {
            self.stats.unrouted += 1;
        }
        if let (false, Some(time)) = (correlated.is_empty(), raw.time) {
            self.pending.push(Pending {
                tenant: tenant.clone(),
                time,
                record: value,
                matched: correlated,
                event: Contributing {
                    id: event_id(raw),
                    user: raw.user.clone(),
                    event: event_ref(raw),
                },
            });
        }
    }

    /// Runs the correlations over the records that fed them, in event-time order, and
    /// returns every finding.
    /// Whether any loaded rule is written for a log source of `format` (so that records
    /// no rule reads are not parsed a second time).
    fn any_rule_for(&mut self, format: SourceFormat) -> bool {
        let rules = &self.rules;
        *self.routable.entry(format).or_insert_with(|| {
            let all_sources = [
                log_sources(format, &Value::Null),
                log_sources(format, &serde_json::json!({"category": "AuditLogs"})),
            ];
            rules.rules().iter().any(|r| {
                all_sources
                    .iter()
                    .any(|sources| routes(&r.meta().logsource, sources))
            })
        })
    }

    pub fn into_findings(mut self) -> (Vec<Finding>, SigmaStats) {
        self.pending.sort_by_key(|p| p.time);
        let mut hits = Vec::new();
        for p in std::mem::take(&mut self.pending) {
            let obs =
                self.correlator
                    .observe(p.tenant.as_str(), p.time, &p.record, &p.matched, p.event);
            hits.extend(obs.hits);
        }
        hits.extend(self.correlator.flush());
        self.stats.correlation_hits = hits.len();
        for hit in hits {
            match correlation_finding(self.correlator.correlations(), hit) {
                Some(f) => self.findings.push(f),
                None => tracing::warn!("a correlation hit names a tenant that is not a slug"),
            }
        }
        (self.findings, self.stats)
    }
}

/// What a correlation counted, in words: "7 events", "4 distinct values of IpAddress",
/// "2 of its 2 rules matched in order".
fn counted(corr: &CorrelationRule, value: f64) -> String {
    let n = corr.rules.len();
    let field = corr.condition.field.join(", ");
    match corr.kind {
        CorrelationType::EventCount => format!("{value} events"),
        CorrelationType::ValueCount => format!("{value} distinct values of {field}"),
        CorrelationType::Temporal => format!("{value} of its {n} rules matched"),
        CorrelationType::TemporalOrdered => format!("{value} of its {n} rules matched in order"),
        CorrelationType::ValueSum => format!("a sum of {value} over {field}"),
        CorrelationType::ValueAvg => format!("an average of {value} over {field}"),
        CorrelationType::ValuePercentile => format!("a percentile of {value} over {field}"),
        CorrelationType::ValueMedian => format!("a median of {value} over {field}"),
        _ => format!("{value}"),
    }
}

/// A correlation hit as a finding: the correlation's metadata, what it counted, and the
/// records behind it.
fn correlation_finding(
    correlations: &[CorrelationRule],
    hit: CorrelationHit<Contributing>,
) -> Option<Finding> {
    let corr = correlations.get(hit.correlation)?;
    let tenant = TenantId::new(&hit.tenant).ok()?;
    let m = corr.meta();
    let rule = rule_ref_of(m, corr.file());
    let kind = serde_json::to_value(corr.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let mut users: Vec<&str> = hit
        .events
        .iter()
        .filter_map(|e| e.user.as_deref())
        .collect();
    users.sort_unstable();
    users.dedup();
    let user = match users.as_slice() {
        [one] => (*one).to_owned(),
        [] => "(unknown)".to_owned(),
        many => format!("({} accounts)", many.len()),
    };
    let group: std::collections::BTreeMap<String, String> = hit.group.iter().cloned().collect();
    let sev = severity(rule.level.as_deref());
    let mut reasons = vec![Reason::new(
        "sigma_correlation",
        ReasonEffect::Noted,
        format!(
            "Sigma correlation \"{}\"{} by {}: {} in {} records from {} to {}{}",
            rule.title,
            rule.id
                .as_deref()
                .map(|id| format!(" ({id})"))
                .unwrap_or_default(),
            rule.author.as_deref().unwrap_or("an unnamed author"),
            counted(corr, hit.value),
            hit.events.len(),
            hit.first,
            hit.last,
            if group.is_empty() {
                String::new()
            } else {
                format!(
                    " for {}",
                    group
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ),
    )];
    reasons.extend(falsepositives_reason(&rule));
    Some(Finding {
        kind: FindingKind::Sigma,
        severity: sev,
        score: score(sev),
        tenant,
        user,
        time: hit.last,
        title: rule.title.clone(),
        event_ids: hit.events.iter().map(|e| e.id.clone()).collect(),
        evidence: Evidence::Sigma(Box::new(SigmaEvidence {
            correlation: Some(SigmaCorrelationRef {
                kind,
                group,
                window_start: hit.first,
                window_end: hit.last,
                value: Some(hit.value),
                rules: corr.rules.clone(),
            }),
            rule,
            events: hit
                .events
                .iter()
                .take(MAX_LISTED_EVENTS)
                .map(|e| e.event.clone())
                .collect(),
            reasons,
        })),
    })
}

/// A rule's `level` as a severity; a rule without one is `medium`, as Sigma's default
/// backends treat it.
fn severity(level: Option<&str>) -> Severity {
    match level.map(str::to_ascii_lowercase).as_deref() {
        Some("informational") => Severity::Info,
        Some("low") => Severity::Low,
        Some("high") => Severity::High,
        Some("critical") => Severity::Critical,
        _ => Severity::Medium,
    }
}

pub fn rule_ref(rule: &Rule) -> SigmaRuleRef {
    rule_ref_of(rule.meta(), rule.file())
}

/// A rule's (or correlation's) metadata as a finding carries it.
fn rule_ref_of(m: &rampart_sigma::RuleMeta, file: Option<&std::path::Path>) -> SigmaRuleRef {
    SigmaRuleRef {
        id: m.id.clone(),
        title: m.title.clone(),
        level: m.level.clone(),
        author: m.author.clone(),
        tags: m.tags.clone(),
        description: m.description.clone(),
        falsepositives: m.falsepositives.clone(),
        references: m.references.clone(),
        file: file.map(|p| p.display().to_string()),
    }
}

/// The rule author's false positives, as a reason an analyst reads beside the match.
fn falsepositives_reason(rule: &SigmaRuleRef) -> Option<Reason> {
    (!rule.falsepositives.is_empty()).then(|| {
        Reason::new(
            "sigma_falsepositives",
            ReasonEffect::Noted,
            format!(
                "The rule's author lists false positives: {}",
                rule.falsepositives.join("; ")
            ),
        )
    })
}

fn event_ref(raw: &RawRecord<'_>) -> SigmaEventRef {
    SigmaEventRef {
        record_id: raw.record_id.clone(),
        time: raw.time,
        file: raw.at.file.clone(),
        record: raw.at.index,
        source_format: raw.format,
    }
}

fn event_id(raw: &RawRecord<'_>) -> String {
    raw.record_id
        .clone()
        .unwrap_or_else(|| format!("{}#{}", raw.at.file, raw.at.index))
}

fn finding(rule: &Rule, raw: &RawRecord<'_>, tenant: &TenantId, time: Timestamp) -> Finding {
    let r = rule_ref(rule);
    let sev = severity(r.level.as_deref());
    let mut reasons = vec![Reason::new(
        "sigma_rule",
        ReasonEffect::Noted,
        format!(
            "Sigma rule \"{}\"{} by {} matched {} record {}",
            r.title,
            r.id.as_deref()
                .map(|id| format!(" ({id})"))
                .unwrap_or_default(),
            r.author.as_deref().unwrap_or("an unnamed author"),
            raw.format,
            raw.record_id
                .as_deref()
                .map(str::to_owned)
                .unwrap_or_else(|| raw.at.to_string())
        ),
    )];
    reasons.extend(falsepositives_reason(&r));
    Finding {
        kind: FindingKind::Sigma,
        severity: sev,
        score: score(sev),
        tenant: tenant.clone(),
        user: raw.user.clone().unwrap_or_else(|| "(unknown)".to_owned()),
        time,
        title: r.title.clone(),
        event_ids: vec![event_id(raw)],
        evidence: Evidence::Sigma(Box::new(SigmaEvidence {
            rule: r,
            events: vec![event_ref(raw)],
            correlation: None,
            reasons,
        })),
    }
}

fn score(s: Severity) -> u8 {
    match s {
        Severity::Info => 10,
        Severity::Low => 30,
        Severity::Medium => 50,
        Severity::High => 70,
        Severity::Critical => 90,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(product: Option<&str>, service: Option<&str>, category: Option<&str>) -> LogSource {
        let mut l = LogSource::default();
        l.product = product.map(str::to_owned);
        l.service = service.map(str::to_owned);
        l.category = category.map(str::to_owned);
        l
    }

    #[test]
    fn records_route_to_their_products_rules_only() {
        let graph = log_sources(SourceFormat::EntraGraph, &Value::Null);
        assert!(routes(&ls(Some("azure"), Some("signinlogs"), None), graph));
        assert!(routes(&ls(Some("azure"), None, None), graph));
        assert!(!routes(&ls(Some("azure"), Some("auditlogs"), None), graph));
        assert!(!routes(&ls(Some("okta"), Some("okta"), None), graph));
        assert!(!routes(
            &ls(Some("windows"), None, Some("process_creation")),
            graph
        ));
        assert!(!routes(&ls(None, None, None), graph));

        let audit = serde_json::json!({"category": "AuditLogs"});
        let diag = log_sources(SourceFormat::EntraSigninLogs, &audit);
        assert!(routes(&ls(Some("azure"), Some("auditlogs"), None), diag));
        assert!(!routes(&ls(Some("azure"), Some("signinlogs"), None), diag));

        let o365 = log_sources(SourceFormat::O365, &Value::Null);
        assert!(routes(
            &ls(Some("m365"), Some("threat_management"), None),
            o365
        ));
        let google = log_sources(SourceFormat::GoogleWorkspace, &Value::Null);
        assert!(routes(
            &ls(Some("gcp"), Some("google_workspace.admin"), None),
            google
        ));
        assert!(!routes(&ls(Some("gcp"), Some("gcp.audit"), None), google));
        assert!(log_sources(SourceFormat::Ocsf, &Value::Null).is_empty());
    }

    #[test]
    fn levels_become_severities() {
        assert_eq!(severity(Some("informational")), Severity::Info);
        assert_eq!(severity(Some("High")), Severity::High);
        assert_eq!(severity(Some("critical")), Severity::Critical);
        assert_eq!(severity(None), Severity::Medium);
    }
}
