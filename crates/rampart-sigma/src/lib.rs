//! `rampart-sigma`: a standalone Sigma rule engine. It parses Sigma rules (spec v2.1) from
//! YAML, compiles their detections and conditions, and evaluates them on JSON-like events
//! through the [`Event`] trait (implemented for `serde_json::Value`).
//!
//! Architecture invariant: this crate must not depend on any Rampart crate. It knows nothing
//! of tenants, sources or Rampart's event model: it takes rules and JSON-like events, and
//! says which rules match. Field mapping from a product's shape to Sigma's names happens
//! before an event reaches it.
//!
//! Layers: [`condition`] (the condition grammar → AST), `detection` (values and modifiers →
//! matchers), `mapping` ([`FieldMap`]: Sigma field names → event paths per log source), `rule`
//! (YAML documents → metadata and a compiled [`Rule`]), [`pipelines`] (the shipped field maps
//! for the identity log sources: Entra sign-ins, O365, Okta, Google Workspace),
//! `correlation` (correlation documents → [`CorrelationRule`], evaluated in event time per
//! tenant by a [`Correlator`] fed with each event's base-rule matches).
//!
//! ```
//! use rampart_sigma::{CompileOptions, load_str};
//!
//! let loaded = load_str(
//!     "title: Failed sign-in\n\
//!      author: Example\n\
//!      logsource: {product: azure, service: signinlogs}\n\
//!      detection:\n  \
//!        sel: {ResultType: 50126}\n  \
//!        condition: sel\n",
//!     None,
//!     &CompileOptions::default(),
//! );
//! assert!(loaded.errors.is_empty());
//! let rule = &loaded.rules[0];
//! assert!(rule.matches(&serde_json::json!({"ResultType": "50126"})));
//! assert_eq!(rule.meta().author.as_deref(), Some("Example"));
//! ```
//!
//! Correlations: load them with the rules, build a [`Correlator`], and feed it every event
//! with its tenant, its own time and the indices of the rules it matched:
//!
//! ```
//! use rampart_sigma::{CompileOptions, Correlator, CorrelatorConfig, load_str};
//!
//! let loaded = load_str(
//!     "title: Brute force\n\
//!      correlation: {type: event_count, rules: [failed], group-by: [User], timespan: 10m, condition: {gte: 3}}\n\
//!      ---\n\
//!      title: Failed sign-in\n\
//!      name: failed\n\
//!      logsource: {product: azure, service: signinlogs}\n\
//!      detection: {sel: {ResultType: 50126}, condition: sel}\n",
//!     None,
//!     &CompileOptions::default(),
//! );
//! let (mut correlator, errors) =
//!     Correlator::new(&loaded.rules, loaded.correlations, &[], CorrelatorConfig::default());
//! assert!(errors.is_empty());
//! assert!(!correlator.reports_alone(0)); // `generate: false`: the base rule is not a finding
//! let event = serde_json::json!({"ResultType": 50126, "User": "bob"});
//! let t0: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
//! let mut hits = Vec::new();
//! for i in 0..3u64 {
//!     let matched: Vec<usize> = (0..loaded.rules.len())
//!         .filter(|&k| loaded.rules[k].matches(&event))
//!         .collect();
//!     let time = t0 + jiff::SignedDuration::from_mins(i as i64);
//!     hits.extend(correlator.observe("tenant-a", time, &event, &matched, i).hits);
//! }
//! hits.extend(correlator.flush());
//! assert_eq!(hits.len(), 1);
//! assert_eq!(hits[0].events, vec![0, 1, 2]);
//! assert_eq!(hits[0].group, vec![("User".to_string(), "bob".to_string())]);
//! ```
//!
//! Matching is total: no event, however shaped, makes it panic. Loading is total too: a
//! document that cannot be compiled becomes a [`RuleError`] with its file, line and reason,
//! and the other documents still load.

pub mod condition;
mod correlation;
mod detection;
mod error;
mod event;
mod mapping;
mod names;
mod pattern;
pub mod pipelines;
mod prefilter;
mod rule;
mod windows;

pub use correlation::{
    CmpOp, CorrelationCondition, CorrelationHit, CorrelationRule, CorrelationType, Correlator,
    CorrelatorConfig, CorrelatorStats, EVENT_TIME_PATHS, Observation, event_time, event_time_at,
    parse_timespan,
};
pub use detection::Placeholders;
pub use error::{ErrorKind, RuleError};
pub use event::{Event, FieldValue};
pub use mapping::{FieldMap, Translation};
pub use prefilter::{RuleSet, RuleSetStats};
pub use rule::{
    CompileOptions, Filter, FilterTargets, Loaded, LogSource, Rule, RuleMeta,
    UnresolvedPlaceholders, apply_filters, compile_rule, load_dir, load_file, load_str,
};
pub use windows::WinEventJson;
