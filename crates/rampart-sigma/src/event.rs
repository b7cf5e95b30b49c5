//! What the engine needs from an event: field lookup by dotted path, and a walk over every
//! string for keyword (field-less) search.

use std::borrow::Cow;
use std::fmt::Write as _;

/// One value found in an event.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// An explicit null.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A floating-point number (also unsigned integers above `i64::MAX`).
    Float(f64),
    /// A string.
    Str(Cow<'a, str>),
    /// A list: a leaf matches when any member matches.
    List(Vec<FieldValue<'a>>),
    /// A nested object: never equal to a scalar, but present for `exists`.
    Object,
}

impl FieldValue<'_> {
    /// The canonical string form used when a string pattern meets a non-string value.
    pub(crate) fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            FieldValue::Str(s) => Some(Cow::Borrowed(s.as_ref())),
            FieldValue::Int(i) => Some(Cow::Owned(i.to_string())),
            FieldValue::Float(f) => Some(Cow::Owned(format_float(*f))),
            FieldValue::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            FieldValue::Null | FieldValue::List(_) | FieldValue::Object => None,
        }
    }

    /// Calls `f` with [`FieldValue::as_text`], formatting a number on the stack (no
    /// allocation) when it fits.
    pub(crate) fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> Option<R> {
        let mut buf = StackText::default();
        let fits = match self {
            FieldValue::Str(s) => return Some(f(s)),
            FieldValue::Bool(_) | FieldValue::Null | FieldValue::List(_) | FieldValue::Object => {
                return self.as_text().map(|t| f(&t));
            }
            FieldValue::Int(i) => buf.write_int(*i),
            FieldValue::Float(x) => write_float(&mut buf, *x).is_ok(),
        };
        match buf.as_str().filter(|_| fits) {
            Some(t) => Some(f(t)),
            None => self.as_text().map(|t| f(&t)),
        }
    }

    /// The numeric value: numbers, and strings that parse as numbers.
    pub(crate) fn as_number(&self) -> Option<f64> {
        match self {
            FieldValue::Int(i) => Some(*i as f64),
            FieldValue::Float(f) => Some(*f),
            FieldValue::Str(s) => parse_number(s),
            _ => None,
        }
    }
}

/// Parses a decimal number as written in logs (`"50126"`, `" 3.5 "`); nothing else.
pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty()
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
    {
        return None;
    }
    t.parse::<f64>().ok().filter(|f| f.is_finite())
}

pub(crate) fn format_float(f: f64) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write_float(&mut s, f);
    s
}

fn write_float(w: &mut dyn std::fmt::Write, f: f64) -> std::fmt::Result {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        write!(w, "{}", f as i64)
    } else {
        write!(w, "{f}")
    }
}

/// A short text written on the stack: a number's decimal form, without allocating.
#[derive(Default)]
struct StackText {
    buf: [u8; 32],
    len: usize,
}

impl StackText {
    fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.buf.get(..self.len)?).ok()
    }

    /// Writes `i` in decimal (as `{i}` would), without the formatting machinery; whether
    /// it fit (an `i64` always does).
    fn write_int(&mut self, i: i64) -> bool {
        let mut digits = [0u8; 20];
        let mut n = i.unsigned_abs();
        let mut start = digits.len();
        loop {
            start -= 1;
            digits[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let sign: &[u8] = if i < 0 { b"-" } else { b"" };
        let end = self.len + sign.len() + digits.len() - start;
        let Some(dst) = self.buf.get_mut(self.len..end) else {
            return false;
        };
        let (s, d) = dst.split_at_mut(sign.len());
        s.copy_from_slice(sign);
        d.copy_from_slice(&digits[start..]);
        self.len = end;
        true
    }
}

impl std::fmt::Write for StackText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// An event the engine can evaluate rules on.
///
/// Implementations must be total: any path, however odd, returns `None` or a value.
pub trait Event {
    /// The value at `path`: a literal key first, then the dotted path through nested
    /// objects (fanning out over lists). `None` when absent.
    fn field(&self, path: &str) -> Option<FieldValue<'_>>;

    /// Calls `f` on every string (and number, as text) in the event until it returns `true`;
    /// returns whether it did. Used by keyword searches.
    fn any_text(&self, f: &mut dyn FnMut(&str) -> bool) -> bool;

    /// Calls `f` with each top-level field (its name, and a function giving its value) and
    /// returns `true`, when the event
    /// can list its fields cheaply; returns `false` (the default) when it cannot, and the
    /// rule-set index then looks its fields up one by one.
    ///
    /// Contract (a [`crate::RuleSet`] relies on it, and reads plain fields from these calls
    /// instead of calling [`Event::field`]):
    /// - `f` is called once with each top-level name `k` of the event and a function
    ///   returning `field(k)`;
    /// - for a path `p` without `.` or `[`, `field(p)` is `field(k)` for the name `k == p`
    ///   when there is one, else for the name equal to `p` ASCII-case-insensitively when
    ///   there is exactly one, and `None` when there is none (with several, the rule set
    ///   asks `field(p)`);
    /// - a dotted path is found only through a top-level name equal to it or to a prefix
    ///   of it ending before a `.` (ASCII-case-insensitively).
    fn visit_fields<'s>(&'s self, f: &mut dyn FnMut(&str, &dyn Fn() -> FieldValue<'s>)) -> bool {
        let _ = f;
        false
    }

    /// [`Event::field`], for an event none of whose top-level names contains a `.` (the
    /// [`crate::RuleSet`] knows, from [`Event::visit_fields`]): an implementation may skip
    /// looking for a dotted `path`, or its dotted prefixes, among the top-level names. The
    /// default calls [`Event::field`].
    fn field_in_plain_names(&self, path: &str) -> Option<FieldValue<'_>> {
        self.field(path)
    }
}

impl Event for serde_json::Value {
    fn field(&self, path: &str) -> Option<FieldValue<'_>> {
        lookup(self, path)
    }

    fn field_in_plain_names(&self, path: &str) -> Option<FieldValue<'_>> {
        // With no dotted top-level name, a dotted path can only go down from the top-level
        // name equal to its first segment (`lookup` would first try the whole path and its
        // longer prefixes as names).
        match path.split_once('.') {
            Some((head, rest)) if !path.starts_with('[') => {
                let mut found = Vec::new();
                descend(get_key(self.as_object()?, head)?, rest, &mut found, 1);
                match found.len() {
                    0 => None,
                    1 => found.pop(),
                    _ => Some(FieldValue::List(found)),
                }
            }
            _ => lookup(self, path),
        }
    }

    fn any_text(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        walk_text(self, f, 0)
    }

    fn visit_fields<'s>(&'s self, f: &mut dyn FnMut(&str, &dyn Fn() -> FieldValue<'s>)) -> bool {
        // `field` finds a plain name among the top-level keys only (exactly or ASCII
        // case-insensitively); a non-object has no fields.
        if let Some(o) = self.as_object() {
            for (k, v) in o {
                f(k, &|| convert(v, 0));
            }
        }
        true
    }
}

const MAX_DEPTH: usize = 64;

fn walk_text(v: &serde_json::Value, f: &mut dyn FnMut(&str) -> bool, depth: usize) -> bool {
    use serde_json::Value;
    if depth > MAX_DEPTH {
        return false;
    }
    match v {
        Value::Array(a) => a.iter().any(|x| walk_member(x, f, depth + 1)),
        Value::Object(o) => o.values().any(|x| walk_member(x, f, depth + 1)),
        other => walk_member(other, f, depth),
    }
}

/// [`walk_text`] with its scalar cases in line (most members are strings).
#[inline(always)]
fn walk_member(v: &serde_json::Value, f: &mut dyn FnMut(&str) -> bool, depth: usize) -> bool {
    use serde_json::Value;
    match v {
        Value::String(s) => f(s),
        Value::Bool(_) | Value::Null => false,
        Value::Number(n) => {
            let mut buf = StackText::default();
            let fits = match n.as_i64() {
                Some(i) => buf.write_int(i),
                None => write!(buf, "{n}").is_ok(),
            };
            match buf.as_str().filter(|_| fits) {
                Some(t) => f(t),
                None => f(&n.to_string()),
            }
        }
        Value::Array(_) | Value::Object(_) => walk_text(v, f, depth),
    }
}

/// A JSON value as a [`FieldValue`].
pub(crate) fn convert_value(v: &serde_json::Value) -> FieldValue<'_> {
    convert(v, 0)
}

fn convert(v: &serde_json::Value, depth: usize) -> FieldValue<'_> {
    use serde_json::Value;
    match v {
        Value::Null => FieldValue::Null,
        Value::Bool(b) => FieldValue::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => FieldValue::Int(i),
            None => FieldValue::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => FieldValue::Str(Cow::Borrowed(s)),
        Value::Array(a) if depth < MAX_DEPTH => {
            FieldValue::List(a.iter().map(|x| convert(x, depth + 1)).collect())
        }
        Value::Array(_) => FieldValue::List(Vec::new()),
        Value::Object(_) => FieldValue::Object,
    }
}

/// Finds a key in an object: exact first, then ASCII case-insensitively.
fn get_key<'a>(
    o: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'a serde_json::Value> {
    o.get(key).or_else(|| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn lookup<'a>(root: &'a serde_json::Value, path: &str) -> Option<FieldValue<'a>> {
    let obj = root.as_object()?;
    if let Some(v) = get_key(obj, path) {
        return Some(convert(v, 0));
    }
    if !path.contains('.') {
        return None;
    }
    let mut found = Vec::new();
    if selector(path).is_some() {
        descend(root, path, &mut found, 0);
    } else {
        // `descend` would look the whole path up again first.
        descend_prefixes(obj, path, &mut found, 0);
    }
    match found.len() {
        0 => None,
        1 => found.pop(),
        _ => Some(FieldValue::List(found)),
    }
}

/// Splits a selector step `[key=value]` (optionally followed by `.rest`) off `path`.
fn selector(path: &str) -> Option<(&str, &str, &str)> {
    let inner = path.strip_prefix('[')?;
    let close = inner.find(']')?;
    let (key, value) = inner[..close].split_once('=')?;
    let rest = &inner[close + 1..];
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    Some((key.trim(), value.trim(), rest))
}

/// Follows `path` from `v`, trying the longest literal key prefix first so that keys that
/// themselves contain dots are found; lists fan out. A step `[key=value]` keeps only the
/// objects (list members, or the object itself) whose `key` is the string `value` (ASCII
/// case-insensitively): it addresses name/value lists such as O365's `ExtendedProperties`
/// (`ExtendedProperties.[Name=RequestType].Value`).
fn descend<'a>(v: &'a serde_json::Value, path: &str, out: &mut Vec<FieldValue<'a>>, depth: usize) {
    use serde_json::Value;
    if depth > MAX_DEPTH {
        return;
    }
    if let Some((key, want, rest)) = selector(path) {
        let keep = |x: &&'a Value| {
            x.as_object()
                .and_then(|o| get_key(o, key))
                .and_then(Value::as_str)
                .is_some_and(|s| s.eq_ignore_ascii_case(want))
        };
        let members: Vec<&'a Value> = match v {
            Value::Array(a) => a.iter().filter(keep).collect(),
            other => std::iter::once(other).filter(keep).collect(),
        };
        for m in members {
            if rest.is_empty() {
                out.push(convert(m, depth));
            } else {
                descend(m, rest, out, depth + 1);
            }
        }
        return;
    }
    match v {
        Value::Array(a) => {
            for x in a {
                descend(x, path, out, depth + 1);
            }
        }
        Value::Object(o) => {
            if let Some(x) = get_key(o, path) {
                out.push(convert(x, depth));
                return;
            }
            descend_prefixes(o, path, out, depth);
        }
        _ => {}
    }
}

/// The object step of [`descend`] once `path` itself is not a key of `o`: the longest
/// prefix of `path` ending before a `.` that is a key, then the rest below it.
fn descend_prefixes<'a>(
    o: &'a serde_json::Map<String, serde_json::Value>,
    path: &str,
    out: &mut Vec<FieldValue<'a>>,
    depth: usize,
) {
    for (i, _) in path.rmatch_indices('.') {
        let (head, rest) = (&path[..i], &path[i + 1..]);
        if let Some(x) = get_key(o, head) {
            descend(x, rest, out, depth + 1);
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_and_literal_keys() {
        let e = json!({"a": {"b": {"c": 1}}, "x.y": "lit", "l": [{"k": "v1"}, {"k": "v2"}],
            "p": {"q.r": "dotted key inside", "q": {"r": "nested"}}, "Up": {"Low": 2}});
        assert_eq!(
            e.field("p.q.r"),
            Some(FieldValue::Str("dotted key inside".into()))
        );
        assert_eq!(e.field("up.low"), Some(FieldValue::Int(2)));
        assert_eq!(e.field("a.b.c"), Some(FieldValue::Int(1)));
        assert_eq!(e.field("x.y"), Some(FieldValue::Str("lit".into())));
        assert_eq!(
            e.field("l.k"),
            Some(FieldValue::List(vec![
                FieldValue::Str("v1".into()),
                FieldValue::Str("v2".into())
            ]))
        );
        assert_eq!(e.field("a.missing"), None);
        assert_eq!(e.field(""), None);
        assert_eq!(e.field("..."), None);
        assert_eq!(json!([1, 2]).field("a"), None);
    }

    #[test]
    fn plain_names_shortcut_finds_what_field_finds() {
        let e = json!({"a": {"b": {"c": 1}, "b.c": 2}, "Up": {"Low": [{"x": 1}, {"x": 2}]},
            "l": [{"k": "v1"}, {"k": "v2"}], "s": "x",
            "ExtendedProperties": [{"Name": "RequestType", "Value": "Cmsi:Cmsi"}]});
        for p in [
            "a.b.c",
            "a.b",
            "a.b.c.d",
            "up.low.x",
            "UP.LOW",
            "l.k",
            "s",
            "s.t",
            "missing.x",
            "a",
            "",
            ".",
            "a.",
            ".a",
            "ExtendedProperties.[Name=RequestType].Value",
            "[Name=RequestType].Value",
        ] {
            assert_eq!(e.field_in_plain_names(p), e.field(p), "{p}");
        }
        assert_eq!(json!([1]).field_in_plain_names("a.b"), None);
    }

    #[test]
    fn selectors_address_name_value_lists() {
        let e = json!({"ExtendedProperties": [{"Name": "UserAgent", "Value": "ua"},
            {"Name": "RequestType", "Value": "Cmsi:Cmsi"}],
            "events": [{"name": "x", "parameters": [{"name": "NEW_VALUE", "value": "false"}]},
                       {"name": "y", "parameters": [{"name": "OTHER", "value": "1"}]}],
            "one": {"k": "a", "v": 1}});
        assert_eq!(
            e.field("ExtendedProperties.[Name=RequestType].Value"),
            Some(FieldValue::Str("Cmsi:Cmsi".into()))
        );
        assert_eq!(
            e.field("extendedproperties.[name=requesttype].value"),
            Some(FieldValue::Str("Cmsi:Cmsi".into()))
        );
        assert_eq!(e.field("ExtendedProperties.[Name=Missing].Value"), None);
        assert_eq!(
            e.field("events.parameters.[name=new_value].value"),
            Some(FieldValue::Str("false".into()))
        );
        assert_eq!(e.field("one.[k=a].v"), Some(FieldValue::Int(1)));
        assert_eq!(e.field("one.[k=b].v"), None);
        assert_eq!(e.field("one.[k=a"), None);
        assert_eq!(e.field("one.[k].v"), None);
        assert_eq!(
            e.field("ExtendedProperties.[Name=RequestType]"),
            Some(FieldValue::Object)
        );
    }

    #[test]
    fn integers_write_as_display_does() {
        for i in [0, 7, -7, 10, 4624, -50126, i64::MAX, i64::MIN, i64::MIN + 1] {
            let mut b = StackText::default();
            assert!(b.write_int(i));
            assert_eq!(b.as_str(), Some(i.to_string().as_str()));
        }
        let mut texts = Vec::new();
        json!({"a": [1, -2, 3.5, "x", true, null, {"b": 18446744073709551615u64}]}).any_text(
            &mut |t| {
                texts.push(t.to_string());
                false
            },
        );
        assert_eq!(texts, ["1", "-2", "3.5", "x", "18446744073709551615"]);
    }

    #[test]
    fn numbers_parse_from_strings() {
        assert_eq!(parse_number("50126"), Some(50126.0));
        assert_eq!(parse_number("0x10"), None);
        assert_eq!(parse_number("inf"), None);
    }
}
