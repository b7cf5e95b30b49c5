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
//!
//! A mapping may also *translate* a value ([`FieldMap::translate`], [`Translation`]): a Sigma
//! field whose value is computed from another field of the record through a table, for
//! values a log source's query layer derives but its raw records do not carry (Log
//! Analytics' sign-in `Status: Success` is `status.errorCode == 0` in the raw record). When a
//! field has both paths and a translation, its value is both (a list: a rule value matches
//! when it matches either), as the Log Analytics `Status` column holds both the outcome and
//! the details text.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::event::{Event, FieldValue};
use crate::rule::LogSource;

/// A value translation: the field's value is read from `from` (the first path present) and
/// looked up in `table` (raw value's text, ASCII case-insensitively → value); any other
/// present value gives `otherwise` (when set). A missing or null source gives nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Translation {
    /// Event paths of the raw value, tried in order.
    pub from: Vec<String>,
    /// Raw value (as text: `0`, `Succeeded`) → the Sigma value.
    pub table: Vec<(String, String)>,
    /// The Sigma value for any other raw value; `None`: no value.
    pub otherwise: Option<String>,
}

impl Translation {
    /// A translation from these paths.
    pub fn from_paths<I, S>(from: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Translation {
            from: from.into_iter().map(Into::into).collect(),
            table: Vec::new(),
            otherwise: None,
        }
    }

    /// Raw value `raw` gives `value`.
    pub fn when(mut self, raw: impl Into<String>, value: impl Into<String>) -> Self {
        self.table.push((raw.into(), value.into()));
        self
    }

    /// Any other raw value gives `value`.
    pub fn otherwise(mut self, value: impl Into<String>) -> Self {
        self.otherwise = Some(value.into());
        self
    }

    /// The translated value of `event`, if its source is present and the table (or the
    /// default) gives one.
    pub fn apply(&self, event: &dyn Event) -> Option<String> {
        let raw = self.from.iter().find_map(|p| event.field(p))?;
        let text = match &raw {
            FieldValue::List(items) => items.first().and_then(FieldValue::as_text),
            v => v.as_text(),
        }?;
        let text = text.trim();
        self.table
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(text))
            .map(|(_, v)| v.clone())
            .or_else(|| self.otherwise.clone())
    }
}

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
    /// Sigma field name → a value translated from another field (see [`Translation`]).
    pub translated: HashMap<String, Translation>,
}

/// Where one Sigma field is read from: paths tried in order, then an implied value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Mapped {
    pub(crate) paths: Vec<String>,
    pub(crate) implied: Option<String>,
    pub(crate) translated: Option<Translation>,
}

impl Mapped {
    /// The field read under its own name.
    pub(crate) fn identity(field: &str) -> Self {
        Mapped {
            paths: vec![field.to_string()],
            implied: None,
            translated: None,
        }
    }

    /// The field's value in `event`: the first path present, and/or the translated value
    /// (a list of both when both exist); else the implied value.
    pub(crate) fn read<'e>(&self, event: &'e dyn Event) -> Option<FieldValue<'e>> {
        self.finish(self.paths.iter().find_map(|p| event.field(p)), event)
    }

    /// The field's value given `direct`, the value of its first present path.
    pub(crate) fn finish<'e>(
        &self,
        direct: Option<FieldValue<'e>>,
        event: &'e dyn Event,
    ) -> Option<FieldValue<'e>> {
        let derived = self
            .translated
            .as_ref()
            .and_then(|t| t.apply(event))
            .map(|v| FieldValue::Str(Cow::Owned(v)));
        match (direct, derived) {
            (Some(d), Some(t)) => Some(FieldValue::List(vec![t, d])),
            (Some(d), None) => Some(d),
            (None, Some(t)) => Some(t),
            (None, None) => self
                .implied
                .as_ref()
                .map(|v| FieldValue::Str(Cow::Owned(v.clone()))),
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

    /// Gives Sigma field `field` a value translated from other paths (see [`Translation`]).
    /// With paths mapped too (by [`map`](Self::map)), the field's value is both.
    pub fn translate(mut self, field: impl Into<String>, translation: Translation) -> Self {
        self.translated.insert(field.into(), translation);
        self
    }

    /// Whether the mapping has an entry (paths, a translation or an implied value) for
    /// Sigma field `field`.
    pub fn has(&self, field: &str) -> bool {
        self.fields.get(field).is_some_and(|t| !t.is_empty())
            || self.implied.contains_key(field)
            || self.translated.contains_key(field)
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
        let translated = self.translated.get(field).cloned();
        match (paths, implied, translated) {
            (None, None, None) => None,
            (Some(paths), implied, translated) => Some(Mapped {
                paths,
                implied,
                translated,
            }),
            // A translated field without paths is the translation only: the record's own
            // key of that name (if any) is not the Sigma value.
            (None, implied, Some(t)) => Some(Mapped {
                paths: Vec::new(),
                implied,
                translated: Some(t),
            }),
            (None, Some(v), None) => Some(Mapped {
                paths: vec![field.to_string()],
                implied: Some(v),
                translated: None,
            }),
        }
    }
}
