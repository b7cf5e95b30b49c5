//! Windows event logs in their JSON rendering (`{"Event": {"System": …, "EventData": …}}`,
//! as EVTX-to-JSON tools write them and as in SigmaHQ's regression data), read under the
//! field names Sigma's Windows rules use.
//!
//! Names resolve, in order, to:
//! 1. `EventData.<name>`: exact, then ASCII case-insensitively, then with spaces stripped from
//!    the event's names (the spec's rule: `Threat Name` is `ThreatName`);
//! 2. `UserData.<name>` or `UserData.<element>.<name>`;
//! 3. `System.<name>` (`EventID`, `Channel`, `Computer`, …), a `#text` taken as the value;
//! 4. `<Tag>_<Attribute>` for XML attributes: `Provider_Name` is
//!    `System.Provider.#attributes.Name` (also under `EventData` and `UserData`);
//! 5. otherwise the name as a dotted path from the top of the document.

use serde_json::{Map, Value};

use crate::event::{Event, FieldValue, convert_value};

/// A Windows event in JSON rendering, as an [`Event`].
#[derive(Debug, Clone, Copy)]
pub struct WinEventJson<'a> {
    root: &'a Value,
    event: Option<&'a Map<String, Value>>,
}

impl<'a> WinEventJson<'a> {
    /// Wraps a document holding `Event` at its top (or the `Event` object itself).
    pub fn new(root: &'a Value) -> Self {
        let event = root
            .get("Event")
            .and_then(Value::as_object)
            .or_else(|| root.as_object().filter(|o| o.contains_key("System")));
        WinEventJson { root, event }
    }

    fn section(&self, name: &str) -> Option<&'a Map<String, Value>> {
        self.event?.get(name)?.as_object()
    }
}

fn strip_spaces_eq(key: &str, name: &str) -> bool {
    key.contains(' ') && key.chars().filter(|c| !c.is_whitespace()).eq(name.chars())
}

fn find<'v>(o: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    o.get(name)
        .or_else(|| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .or_else(|| {
            o.iter()
                .find(|(k, _)| strip_spaces_eq(k, name))
                .map(|(_, v)| v)
        })
}

/// A `#text` node's text, or the value itself.
fn text_of(v: &Value) -> &Value {
    match v {
        Value::Object(o) => o.get("#text").unwrap_or(v),
        _ => v,
    }
}

/// `Tag_Attribute` → `<Tag>.#attributes.<Attribute>` in `o`.
fn attribute<'v>(o: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    name.match_indices('_').find_map(|(i, _)| {
        let (tag, attr) = (&name[..i], &name[i + 1..]);
        find(o, tag)?
            .get("#attributes")?
            .as_object()
            .and_then(|a| find(a, attr))
    })
}

impl<'a> Event for WinEventJson<'a> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        let as_field = |v: &'a Value| convert_value(text_of(v));
        if let Some(v) = self.section("EventData").and_then(|ed| find(ed, name)) {
            return Some(as_field(v));
        }
        if let Some(ud) = self.section("UserData") {
            if let Some(v) = find(ud, name) {
                return Some(as_field(v));
            }
            for child in ud.values().filter_map(Value::as_object) {
                if let Some(v) = find(child, name) {
                    return Some(as_field(v));
                }
            }
        }
        if let Some(sys) = self.section("System") {
            if let Some(v) = find(sys, name) {
                return Some(as_field(v));
            }
            if let Some(v) = attribute(sys, name) {
                return Some(as_field(v));
            }
        }
        for section in ["EventData", "UserData"] {
            if let Some(v) = self.section(section).and_then(|s| attribute(s, name)) {
                return Some(as_field(v));
            }
        }
        self.root.field(name)
    }

    fn any_text(&self, f: &mut dyn FnMut(&str) -> bool) -> bool {
        self.root.any_text(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_sigma_names() {
        let doc = json!({"Event": {
            "System": {
                "Provider": {"#attributes": {"Name": "Microsoft-Windows-Sysmon"}},
                "EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational",
                "Execution": {"#attributes": {"ProcessID": 42}},
                "Level": {"#text": "4"}
            },
            "EventData": {"Image": "C:\\x.exe", "Threat Name": "EICAR", "#attributes": {"Name": "ed"}},
            "UserData": {"Op": {"Operation": "clear", "ResultCode": "0x1"}}
        }});
        let e = WinEventJson::new(&doc);
        assert_eq!(e.field("Image"), Some(FieldValue::Str("C:\\x.exe".into())));
        assert_eq!(e.field("image"), Some(FieldValue::Str("C:\\x.exe".into())));
        assert_eq!(e.field("ThreatName"), Some(FieldValue::Str("EICAR".into())));
        assert_eq!(e.field("EventID"), Some(FieldValue::Int(1)));
        assert_eq!(
            e.field("Provider_Name"),
            Some(FieldValue::Str("Microsoft-Windows-Sysmon".into()))
        );
        assert_eq!(e.field("Execution_ProcessID"), Some(FieldValue::Int(42)));
        assert_eq!(e.field("Level"), Some(FieldValue::Str("4".into())));
        assert_eq!(e.field("Operation"), Some(FieldValue::Str("clear".into())));
        assert_eq!(
            e.field("Event.System.Channel"),
            Some(FieldValue::Str(
                "Microsoft-Windows-Sysmon/Operational".into()
            ))
        );
        assert_eq!(e.field("Missing"), None);
        assert_eq!(e.field("_"), None);
        assert_eq!(e.field("Provider_"), None);
        assert!(e.any_text(&mut |t| t == "clear"));
        // Not a Windows event: falls back to plain lookup, never panics.
        let other = json!([1, 2]);
        assert_eq!(WinEventJson::new(&other).field("EventID"), None);
    }
}
