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
//! for the identity log sources: Entra sign-ins, O365, Okta, Google Workspace).
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
//! Matching is total: no event, however shaped, makes it panic. Loading is total too: a
//! document that cannot be compiled becomes a [`RuleError`] with its file, line and reason,
//! and the other documents still load.

pub mod condition;
mod correlation;
mod detection;
mod error;
mod event;
mod mapping;
mod pattern;
pub mod pipelines;
mod rule;
mod windows;

pub use correlation::{
    CmpOp, CorrelationCondition, CorrelationHit, CorrelationRule, CorrelationType, Correlator,
    CorrelatorConfig, CorrelatorStats, Observation, parse_timespan,
};
pub use detection::Placeholders;
pub use error::{ErrorKind, RuleError};
pub use event::{Event, FieldValue};
pub use mapping::{FieldMap, Translation};
pub use rule::{
    CompileOptions, Filter, FilterTargets, Loaded, LogSource, Rule, RuleMeta,
    UnresolvedPlaceholders, apply_filters, compile_rule, load_dir, load_file, load_str,
};
pub use windows::WinEventJson;
