//! Field mapping: which event paths a rule's Sigma field names are read from, per log
//! source. SigmaHQ rules use one naming (e.g. Log Analytics' `ResultType`, Sysmon's `Image`)
//! while events arrive in others; a mapping bridges the two at compile time, so matching
//! costs nothing extra.
//!
//! A Sigma field may map to several paths: they are tried in order and the first one present
//! in the event is the field's value (a coalesce, not an OR), so `null`, `exists` and `neq`
//! keep their meaning. Unmapped fields are read under their own name.
//!
//! A mapping may also give a field a value its log source *implies* ([`FieldMap::implied`]):
//! a field the rule's product would carry but the delivered record does not, because it is
//! the same for every record of that log source (e.g. `protoPayload.serviceName:
//! login.googleapis.com` for Google Workspace `login` activities read from the Reports API,
//! which say `applicationName: login` instead). It is used only when none of the field's
//! paths is present, like pySigma's "the log source implies this condition".

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
    /// Sigma field name → the value every event of this log source has for it, used when
    /// none of the field's paths is present.
    pub implied: HashMap<String, String>,
}

/// Where one Sigma field is read from: paths tried in order, then an implied value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mapped {
    pub(crate) paths: Vec<String>,
    pub(crate) implied: Option<String>,
}

impl Mapped {
    /// The field read under its own name.
    pub(crate) fn identity(field: &str) -> Self {
        Mapped {
            paths: vec![field.to_string()],
            implied: None,
        }
    }
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

    /// Gives Sigma field `field` the value `value` whenever none of its mapped paths (its
    /// own name when it has no paths) is present: a value the log source implies.
    pub fn implied(mut self, field: impl Into<String>, value: impl Into<String>) -> Self {
        self.implied.insert(field.into(), value.into());
        self
    }

    /// Whether the mapping has an entry (paths or an implied value) for Sigma field `field`.
    pub fn has(&self, field: &str) -> bool {
        self.fields.get(field).is_some_and(|t| !t.is_empty()) || self.implied.contains_key(field)
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

    /// Where Sigma field `field` is read from, when this mapping has it.
    pub(crate) fn targets(&self, field: &str) -> Option<Mapped> {
        let paths = self.fields.get(field).filter(|t| !t.is_empty()).cloned();
        let implied = self.implied.get(field).cloned();
        match (paths, implied) {
            (None, None) => None,
            (Some(paths), implied) => Some(Mapped { paths, implied }),
            (None, Some(v)) => Some(Mapped {
                paths: vec![field.to_string()],
                implied: Some(v),
            }),
        }
    }
}
