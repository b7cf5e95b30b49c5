//! Sample records from `../shared/samples` and in-place edits of them. Shared by
//! `tests/pipelines.rs` and `tests/rampart_rules.rs`.
#![allow(dead_code)]

use serde_json::Value;

/// The records of a sample file: a JSON document (an object, an array, or a Graph
/// `{"value": [...]}` page) or JSON lines. `None` when ../shared is absent; a sample with no
/// record fails.
pub fn records(rel: &str) -> Option<Vec<Value>> {
    let path = rampart_testkit::shared(&format!("samples/{rel}"))?;
    let text = std::fs::read_to_string(&path).expect("readable sample");
    let out = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(v)) => v,
        Ok(Value::Object(mut o)) => match o.remove("value") {
            Some(Value::Array(v)) => v,
            Some(other) => {
                o.insert("value".into(), other);
                vec![Value::Object(o)]
            }
            None => vec![Value::Object(o)],
        },
        Ok(other) => vec![other],
        Err(_) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect(),
    };
    assert!(!out.is_empty(), "{rel} holds no record");
    Some(out)
}

/// The first record of a sample that passes `pred`. `None` when ../shared is absent; a
/// sample without such a record fails (a test must not pass by skipping).
pub fn first(rel: &str, pred: impl Fn(&Value) -> bool) -> Option<Value> {
    let r = records(rel)?;
    Some(
        r.into_iter()
            .find(|v| pred(v))
            .unwrap_or_else(|| panic!("{rel}: no record as expected")),
    )
}

/// Sets `v` at JSON pointer `ptr` (the parent must exist).
pub fn set(e: &mut Value, ptr: &str, v: Value) {
    let (parent, key) = ptr.rsplit_once('/').expect("a pointer");
    let p = if parent.is_empty() {
        Some(&mut *e)
    } else {
        e.pointer_mut(parent)
    };
    match p {
        Some(Value::Object(o)) => {
            o.insert(key.to_string(), v);
        }
        _ => panic!("no object at {parent}"),
    }
}
