//! Field mapping: which event paths a rule's Sigma field names are read from, per log
//! source. SigmaHQ rules use one naming (e.g. Log Analytics' `ResultType`, Sysmon's `Image`)
//! while events arrive in others; a mapping bridges the two at compile time, so matching
//! costs nothing extra.
//!
//! A Sigma field may map to several paths: they are tried in order and the first one present
//! in the event is the field's value (a coalesce, not an OR), so `null`, `exists` and `neq`
//! keep their meaning. Unmapped fields are read under their own name.

use std::collections::HashMap;

use crate::rule::LogSource;

/// A field mapping for the rules whose log source matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldMap {
    /// Applies only to rules with this `logsource.product` (any when `None`).
    pub product: Option<String>,
    /// Applies only to rules with this `logsource.category` (any when `None`).
    pub category: Option<String>,
    /// Applies only to rules with this `logsource.service` (any when `None`).
    pub service: Option<String>,
    /// Sigma field name → event paths, tried in order.
    pub fields: HashMap<String, Vec<String>>,
}

impl FieldMap {
    /// A mapping for every rule.
    pub fn new() -> Self {
        FieldMap::default()
    }

    /// Restricts the mapping to rules with this product.
    pub fn product(mut self, p: impl Into<String>) -> Self {
        self.product = Some(p.into());
        self
    }

    /// Restricts the mapping to rules with this category.
    pub fn category(mut self, c: impl Into<String>) -> Self {
        self.category = Some(c.into());
        self
    }

    /// Restricts the mapping to rules with this service.
    pub fn service(mut self, s: impl Into<String>) -> Self {
        self.service = Some(s.into());
        self
    }

    /// Maps Sigma field `from` to the event paths `to`, tried in order.
    pub fn map<I, S>(mut self, from: impl Into<String>, to: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.fields
            .insert(from.into(), to.into_iter().map(Into::into).collect());
        self
    }

    /// Whether the mapping applies to a rule with this log source: each condition the
    /// mapping sets must equal the rule's value (ASCII case-insensitively).
    pub fn applies_to(&self, ls: &LogSource) -> bool {
        let ok = |want: &Option<String>, have: &Option<String>| match (want, have) {
            (None, _) => true,
            (Some(w), Some(h)) => w.eq_ignore_ascii_case(h),
            (Some(_), None) => false,
        };
        ok(&self.product, &ls.product)
            && ok(&self.category, &ls.category)
            && ok(&self.service, &ls.service)
    }

    /// The event paths for Sigma field `field`, when this mapping has it (and any path).
    pub(crate) fn targets(&self, field: &str) -> Option<Vec<String>> {
        self.fields.get(field).filter(|t| !t.is_empty()).cloned()
    }
}
