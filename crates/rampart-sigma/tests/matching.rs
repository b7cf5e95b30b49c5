//! Focused matching tests: one per modifier, wildcard and escape edge, typed comparison,
//! null/exists, keyword search and condition precedence. Each builds a rule from a
//! detection block and checks events against it.

use rampart_sigma::{CompileOptions, ErrorKind, Rule, load_str};
use serde_json::{Value, json};
use std::collections::HashMap;

fn rule_with(detection: &str, opts: &CompileOptions) -> Result<Rule, rampart_sigma::RuleError> {
    let indented: String = detection.lines().map(|l| format!("    {l}\n")).collect();
    let src = format!("title: t\nlogsource:\n    product: test\ndetection:\n{indented}");
    let mut l = load_str(&src, None, opts);
    match l.errors.pop() {
        Some(e) => Err(e),
        None => Ok(l.rules.remove(0)),
    }
}

fn rule(detection: &str) -> Rule {
    match rule_with(detection, &CompileOptions::default()) {
        Ok(r) => r,
        Err(e) => panic!("rule does not compile: {e}\n{detection}"),
    }
}

fn reject(detection: &str) -> ErrorKind {
    match rule_with(detection, &CompileOptions::default()) {
        Ok(_) => panic!("rule compiled but should not:\n{detection}"),
        Err(e) => e.kind,
    }
}

/// Asserts which events match.
fn check(detection: &str, cases: &[(Value, bool)]) {
    let r = rule(detection);
    for (e, want) in cases {
        assert_eq!(r.matches(e), *want, "event {e} with\n{detection}");
    }
}

#[test]
fn plain_values_are_case_insensitive_whole_matches() {
    check(
        "sel:\n    Image: 'C:\\Windows\\cmd.exe'\ncondition: sel",
        &[
            (json!({"Image": "c:\\windows\\CMD.EXE"}), true),
            (json!({"Image": "c:\\windows\\cmd.exe2"}), false),
            (json!({}), false),
        ],
    );
}

#[test]
fn contains_startswith_endswith() {
    check(
        "sel:\n    A|contains: mid\n    B|startswith: pre\n    C|endswith: '\\suf'\ncondition: sel",
        &[
            (json!({"A": "xMIDx", "B": "PREfix", "C": "a\\SUF"}), true),
            (json!({"A": "xx", "B": "prefix", "C": "a\\suf"}), false),
            (json!({"A": "mid", "B": "xpre", "C": "a\\suf"}), false),
            (json!({"A": "mid", "B": "pre", "C": "suf"}), false),
        ],
    );
}

#[test]
fn list_values_or_and_all() {
    check(
        "sel:\n    A|contains:\n        - one\n        - two\ncondition: sel",
        &[(json!({"A": "two"}), true), (json!({"A": "three"}), false)],
    );
    check(
        "sel:\n    A|contains|all:\n        - one\n        - two\ncondition: sel",
        &[
            (json!({"A": "two one"}), true),
            (json!({"A": "one"}), false),
        ],
    );
}

#[test]
fn list_of_maps_is_or_of_ands() {
    check(
        "sel:\n    - A: 1\n      B: 2\n    - C: 3\ncondition: sel",
        &[
            (json!({"A": 1, "B": 2}), true),
            (json!({"A": 1}), false),
            (json!({"C": "3"}), true),
        ],
    );
}

#[test]
fn wildcards_and_escapes() {
    check(
        "sel:\n    A: 'a*c?e'\ncondition: sel",
        &[
            (json!({"A": "abbbcde"}), true),
            (json!({"A": "ace"}), false),
        ],
    );
    check(
        "sel:\n    A: 'lit\\*eral\\?'\ncondition: sel",
        &[
            (json!({"A": "lit*eral?"}), true),
            (json!({"A": "litXeralY"}), false),
        ],
    );
    check(
        "sel:\n    A: 'C:\\\\*'\ncondition: sel",
        &[(json!({"A": "C:\\x"}), true), (json!({"A": "C:x"}), false)],
    );
    check(
        "sel:\n    A: 'C:\\Win\\'\ncondition: sel",
        &[(json!({"A": "C:\\Win\\"}), true)],
    );
}

#[test]
fn numbers_and_strings_compare_across_types() {
    let d = "sel:\n    ResultType: 50126\ncondition: sel";
    check(
        d,
        &[
            (json!({"ResultType": 50126}), true),
            (json!({"ResultType": "50126"}), true),
            (json!({"ResultType": "050126"}), true),
            (json!({"ResultType": 50126.0}), true),
            (json!({"ResultType": "50127"}), false),
            (json!({"ResultType": [0, "50126"]}), true),
        ],
    );
    check(
        "sel:\n    ResultType: '50126'\ncondition: sel",
        &[
            (json!({"ResultType": 50126}), true),
            (json!({"ResultType": "50126"}), true),
        ],
    );
    check(
        "sel:\n    isProxy: 'true'\n    ok: false\ncondition: sel",
        &[
            (json!({"isProxy": true, "ok": false}), true),
            (json!({"isProxy": "True", "ok": "false"}), true),
            (json!({"isProxy": false, "ok": false}), false),
        ],
    );
}

#[test]
fn null_empty_and_exists() {
    check(
        "sel:\n    A: null\ncondition: sel",
        &[
            (json!({}), true),
            (json!({"A": null}), true),
            (json!({"A": ""}), false),
            (json!({"A": "x"}), false),
        ],
    );
    check(
        "sel:\n    A: []\ncondition: sel",
        &[(json!({}), true), (json!({"A": "x"}), false)],
    );
    check(
        "sel:\n    A: ''\ncondition: sel",
        &[
            (json!({"A": ""}), true),
            (json!({}), false),
            (json!({"A": null}), false),
        ],
    );
    check(
        "sel:\n    A|exists: true\ncondition: sel",
        &[(json!({"A": null}), true), (json!({}), false)],
    );
    check(
        "sel:\n    A|exists: false\ncondition: sel",
        &[(json!({"A": 1}), false), (json!({}), true)],
    );
    // A leaf on a missing field is false, so `not` of it is true.
    check(
        "sel:\n    A: x\ncondition: not sel",
        &[(json!({}), true), (json!({"A": "x"}), false)],
    );
    assert!(matches!(
        reject("sel:\n    A|exists|contains: true\ncondition: sel"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        reject("sel:\n    - null\ncondition: sel"),
        ErrorKind::InvalidValue { .. }
    ));
}

#[test]
fn keywords_search_every_string() {
    check(
        "keywords:\n    - 'evil'\n    - 'bad*thing'\ncondition: keywords",
        &[
            (json!({"msg": "an EVIL act"}), true),
            (json!({"a": {"b": ["x", "bad other thing"]}}), true),
            (json!({"msg": "fine"}), false),
        ],
    );
    check(
        "keywords:\n    '|all':\n        - 'one'\n        - 'two'\ncondition: keywords",
        &[
            (json!({"a": "one", "b": "two"}), true),
            (json!({"a": "one"}), false),
        ],
    );
}

#[test]
fn cased() {
    check(
        "sel:\n    A|cased: AbC\ncondition: sel",
        &[(json!({"A": "AbC"}), true), (json!({"A": "abc"}), false)],
    );
    check(
        "sel:\n    A|contains|cased: AbC\ncondition: sel",
        &[
            (json!({"A": "xAbCx"}), true),
            (json!({"A": "xabcx"}), false),
        ],
    );
}

#[test]
fn regex_with_flags() {
    check(
        "sel:\n    A|re: '^ab+c$'\ncondition: sel",
        &[
            (json!({"A": "abbbc"}), true),
            (json!({"A": "ABC"}), false),
            (json!({"A": "xabc"}), false),
        ],
    );
    // Search semantics: unanchored patterns match a substring.
    check(
        "sel:\n    A|re: 'b+'\ncondition: sel",
        &[(json!({"A": "abc"}), true)],
    );
    check(
        "sel:\n    A|re|i: '^abc$'\ncondition: sel",
        &[(json!({"A": "ABC"}), true)],
    );
    check(
        "sel:\n    A|re|m: '^b$'\ncondition: sel",
        &[(json!({"A": "a\nb\nc"}), true)],
    );
    check(
        "sel:\n    A|re|s: 'a.c'\ncondition: sel",
        &[(json!({"A": "a\nc"}), true)],
    );
    check(
        "sel:\n    A|re: 'a.c'\ncondition: sel",
        &[(json!({"A": "a\nc"}), false)],
    );
    // PCRE-only look-around falls back to fancy-regex.
    check(
        "sel:\n    A|re: 'foo(?!bar)'\ncondition: sel",
        &[
            (json!({"A": "foobaz"}), true),
            (json!({"A": "foobar"}), false),
        ],
    );
    // Regex matches numbers through their text.
    check(
        "sel:\n    A|re: '^4[0-9]+$'\ncondition: sel",
        &[(json!({"A": 4624}), true)],
    );
    assert!(matches!(
        reject("sel:\n    A|re: '(unclosed'\ncondition: sel"),
        ErrorKind::Regex { .. }
    ));
    assert!(matches!(
        reject("sel:\n    A|contains|re: 'x'\ncondition: sel"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        reject("sel:\n    A|i: 'x'\ncondition: sel"),
        ErrorKind::InvalidValue { .. }
    ));
}

#[test]
fn cidr() {
    check(
        "sel:\n    ip|cidr:\n        - 10.0.0.0/8\n        - '2001:db8::/32'\ncondition: sel",
        &[
            (json!({"ip": "10.1.2.3"}), true),
            (json!({"ip": "11.1.2.3"}), false),
            (json!({"ip": "2001:db8::1"}), true),
            (json!({"ip": "not an ip"}), false),
            (json!({"ip": 10}), false),
        ],
    );
    assert!(matches!(
        reject("sel:\n    ip|cidr: 10.0.0.0/33\ncondition: sel"),
        ErrorKind::InvalidValue { .. }
    ));
}

#[test]
fn numeric_comparisons() {
    let d = "sel:\n    n|gt: 5\n    m|lte: 2.5\ncondition: sel";
    check(
        d,
        &[
            (json!({"n": 6, "m": 2.5}), true),
            (json!({"n": "6", "m": "1"}), true),
            (json!({"n": 5, "m": 1}), false),
            (json!({"n": "x", "m": 1}), false),
        ],
    );
    check(
        "sel:\n    n|gte: 5\ncondition: sel",
        &[(json!({"n": 5}), true), (json!({"n": 4}), false)],
    );
    check(
        "sel:\n    n|lt: 5\ncondition: sel",
        &[(json!({"n": -1}), true), (json!({"n": 5}), false)],
    );
    assert!(matches!(
        reject("sel:\n    n|gt: abc\ncondition: sel"),
        ErrorKind::InvalidValue { .. }
    ));
}

#[test]
fn neq_negates_the_item() {
    check(
        "sel:\n    A|neq:\n        - x\n        - y\ncondition: sel",
        &[
            (json!({"A": "z"}), true),
            (json!({"A": "x"}), false),
            (json!({"A": "Y"}), false),
        ],
    );
}

#[test]
fn fieldref() {
    check(
        "sel:\n    A|fieldref: B\ncondition: sel",
        &[
            (json!({"A": "Same", "B": "same"}), true),
            (json!({"A": "x", "B": "y"}), false),
            (json!({"A": "x"}), false),
            (json!({"A": 1, "B": "1"}), true),
        ],
    );
    check(
        "sel:\n    A|fieldref|contains: B\ncondition: sel",
        &[
            (json!({"A": "xyz", "B": "y"}), true),
            (json!({"A": "xz", "B": "y"}), false),
        ],
    );
    check(
        "sel:\n    A|fieldref|startswith: B\ncondition: sel",
        &[
            (json!({"A": "yx", "B": "y"}), true),
            (json!({"A": "xy", "B": "y"}), false),
        ],
    );
    check(
        "sel:\n    A|fieldref|endswith: B\ncondition: sel",
        &[
            (json!({"A": "xy", "B": "y"}), true),
            (json!({"A": "yx", "B": "y"}), false),
        ],
    );
    check(
        "sel:\n    A|fieldref|neq: B\ncondition: sel",
        &[
            (json!({"A": "x", "B": "y"}), true),
            (json!({"A": "x", "B": "x"}), false),
        ],
    );
}

#[test]
fn windash() {
    check(
        "sel:\n    CommandLine|windash|contains: ' -enc '\ncondition: sel",
        &[
            (json!({"CommandLine": "powershell /enc AAA"}), true),
            (json!({"CommandLine": "powershell \u{2013}enc AAA"}), true),
            (json!({"CommandLine": "powershell -enc AAA"}), true),
            (json!({"CommandLine": "powershell +enc AAA"}), false),
        ],
    );
}

#[test]
fn base64_and_base64offset() {
    check(
        "sel:\n    A|base64: 'foobar'\ncondition: sel",
        &[
            (json!({"A": "Zm9vYmFy"}), true),
            (json!({"A": "zm9vymfy"}), true),
        ],
    );
    let d = "sel:\n    A|base64offset|contains: 'foobar'\ncondition: sel";
    check(
        d,
        &[
            // base64 of "foobar", " foobar", "  foobar" inside longer text
            (json!({"A": "xxZm9vYmFyxx"}), true),
            (json!({"A": "IGZvb2Jhcg=="}), true),
            (json!({"A": "ICBmb29iYXI="}), true),
            (json!({"A": "Zm9vYmF"}), false),
        ],
    );
    assert!(matches!(
        reject("sel:\n    A|base64: 'foo*'\ncondition: sel"),
        ErrorKind::InvalidValue { .. }
    ));
    assert!(matches!(
        reject("sel:\n    A|contains|base64: 'foo'\ncondition: sel"),
        ErrorKind::InvalidValue { .. }
    ));
}

#[test]
fn utf16_encodings_before_base64() {
    // "A" as UTF-16LE is 41 00 → "QQA="; as UTF-16BE 00 41 → "AEE="; with BOM FF FE 41 00 → "//5BAA==".
    check(
        "sel:\n    A|wide|base64: 'A'\ncondition: sel",
        &[(json!({"A": "QQA="}), true)],
    );
    check(
        "sel:\n    A|utf16le|base64: 'A'\ncondition: sel",
        &[(json!({"A": "QQA="}), true)],
    );
    check(
        "sel:\n    A|utf16be|base64: 'A'\ncondition: sel",
        &[(json!({"A": "AEE="}), true)],
    );
    check(
        "sel:\n    A|utf16|base64: 'A'\ncondition: sel",
        &[(json!({"A": "//5BAA=="}), true)],
    );
    assert!(matches!(
        reject("sel:\n    A|wide: 'A'\ncondition: sel"),
        ErrorKind::InvalidValue { .. }
    ));
}

#[test]
fn expand_placeholders() {
    let d = "sel:\n    Host|expand: '%servers%'\ncondition: sel";
    // Strict: rejected, naming the placeholder.
    let strict = CompileOptions::default()
        .with_unresolved_placeholders(rampart_sigma::UnresolvedPlaceholders::Reject);
    assert!(matches!(
        rule_with(d, &strict).map(|_| ()).unwrap_err().kind,
        ErrorKind::UnresolvedPlaceholder(ref n) if n == "servers"
    ));
    // Default: loaded inactive, naming what to configure; it matches nothing, not even the
    // placeholder's own text.
    let r = rule(d);
    assert!(!r.is_active());
    assert_eq!(r.unresolved_placeholders(), ["servers".to_string()]);
    assert!(!r.matches(&json!({"Host": "%servers%"})));
    assert!(!r.matches(&json!({"Host": "srv1"})));
    // A placeholder in an exclusion does not turn the rule into "match everything".
    let r = rule(
        "sel:\n    A: 1\nflt:\n    Host|expand: '%admins%'\n    B|expand: '%servers%'\ncondition: sel and not flt",
    );
    assert!(!r.is_active());
    assert_eq!(
        r.unresolved_placeholders(),
        ["admins".to_string(), "servers".to_string()]
    );
    assert!(!r.matches(&json!({"A": 1, "Host": "x"})));
    // Other errors are still reported for an inactive-to-be rule.
    assert!(matches!(
        reject("sel:\n    Host|expand|foo: '%servers%'\ncondition: sel"),
        ErrorKind::UnknownModifier { .. }
    ));
    let mut ph = HashMap::new();
    ph.insert(
        "servers".to_string(),
        vec!["srv1".to_string(), "db*".to_string()],
    );
    let opts = CompileOptions::with_placeholders(ph);
    let r = rule_with(d, &opts).expect("compiles with values");
    assert!(r.is_active());
    assert!(r.matches(&json!({"Host": "SRV1"})));
    assert!(r.matches(&json!({"Host": "db02"})));
    assert!(!r.matches(&json!({"Host": "web"})));
    // `\%` is a literal percent sign.
    let r = rule_with("sel:\n    A|expand: '50\\%'\ncondition: sel", &opts).expect("compiles");
    assert!(r.matches(&json!({"A": "50%"})));
}

#[test]
fn time_parts() {
    check(
        "sel:\n    t|hour: 13\ncondition: sel",
        &[
            (json!({"t": "2026-01-02T13:04:05Z"}), true),
            (json!({"t": "2026-01-02T13:04:05+02:00"}), false),
            (json!({"t": "2026-01-02 13:04:05.123"}), true),
            (json!({"t": "not a time"}), false),
        ],
    );
    check(
        "sel:\n    t|month: 1\ncondition: sel",
        &[(json!({"t": "2026-01-02T13:04:05Z"}), true)],
    );
    check(
        "sel:\n    t|year: 2026\ncondition: sel",
        &[(json!({"t": "2026-01-02T13:04:05Z"}), true)],
    );
    check(
        "sel:\n    t|day: 2\ncondition: sel",
        &[(json!({"t": "2026-01-02T13:04:05Z"}), true)],
    );
    check(
        "sel:\n    t|minute: 4\ncondition: sel",
        &[(json!({"t": "2026-01-02T13:04:05Z"}), true)],
    );
    check(
        "sel:\n    t|week: 1\ncondition: sel",
        &[(json!({"t": "2026-01-02T13:04:05Z"}), true)],
    );
    check(
        "sel:\n    t|hour|gte: 20\ncondition: sel",
        &[
            (json!({"t": "2026-01-02T21:00:00Z"}), true),
            (json!({"t": "2026-01-02T13:00:00Z"}), false),
        ],
    );
}

#[test]
fn unknown_modifier_is_rejected_with_line() {
    let src = "title: t\nlogsource:\n    product: x\ndetection:\n    sel:\n        A|nope: 1\n    condition: sel\n";
    let mut l = load_str(
        src,
        Some(std::path::Path::new("r.yml")),
        &CompileOptions::default(),
    );
    let e = l.errors.pop().expect("rejected");
    assert!(
        matches!(e.kind, ErrorKind::UnknownModifier { ref modifier, .. } if modifier == "nope")
    );
    assert_eq!(e.line, Some(6));
    assert!(
        e.to_string()
            .starts_with("r.yml:6: unknown modifier `nope`"),
        "{e}"
    );
}

#[test]
fn condition_precedence() {
    // a or b and c == a or (b and c)
    let d = "a:\n    A: 1\nb:\n    B: 1\nc:\n    C: 1\ncondition: a or b and c";
    check(
        d,
        &[
            (json!({"A": 1}), true),
            (json!({"B": 1}), false),
            (json!({"B": 1, "C": 1}), true),
        ],
    );
    // not a and b == (not a) and b
    let d = "a:\n    A: 1\nb:\n    B: 1\ncondition: not a and b";
    check(
        d,
        &[
            (json!({"B": 1}), true),
            (json!({"A": 1, "B": 1}), false),
            (json!({}), false),
        ],
    );
    let d = "a:\n    A: 1\nb:\n    B: 1\ncondition: not (a and b)";
    check(
        d,
        &[(json!({"A": 1}), true), (json!({"A": 1, "B": 1}), false)],
    );
}

#[test]
fn of_selectors() {
    let sels = "sel_a:\n    A: 1\nsel_b:\n    B: 1\nfilter:\n    F: 1\n_hidden:\n    H: 1\n";
    check(
        &format!("{sels}condition: 1 of sel_*"),
        &[(json!({"B": 1}), true), (json!({"F": 1}), false)],
    );
    check(
        &format!("{sels}condition: all of sel_* and not filter"),
        &[
            (json!({"A": 1, "B": 1}), true),
            (json!({"A": 1, "B": 1, "F": 1}), false),
            (json!({"A": 1}), false),
        ],
    );
    // `them` skips identifiers starting with `_`.
    check(
        &format!("{sels}condition: all of them"),
        &[(json!({"A": 1, "B": 1, "F": 1}), true)],
    );
    check(
        &format!("{sels}condition: 2 of them"),
        &[
            (json!({"A": 1, "F": 1}), true),
            (json!({"A": 1, "H": 1}), false),
        ],
    );
    check(
        &format!("{sels}condition: any of sel_a"),
        &[(json!({"A": 1}), true)],
    );
    // `not 1 of filter_*` is AND of NOTs.
    let d = "sel:\n    A: 1\nfilter_1:\n    F: 1\nfilter_2:\n    G: 1\ncondition: sel and not 1 of filter_*";
    check(
        d,
        &[(json!({"A": 1}), true), (json!({"A": 1, "G": 1}), false)],
    );
    assert!(matches!(
        reject(&format!("{sels}condition: 1 of nomatch_*")),
        ErrorKind::Condition(_)
    ));
    assert!(matches!(
        reject(&format!("{sels}condition: sel_a and unknown")),
        ErrorKind::Condition(_)
    ));
}

#[test]
fn condition_list_is_or() {
    check(
        "a:\n    A: 1\nb:\n    B: 1\ncondition:\n    - a\n    - b",
        &[(json!({"B": 1}), true), (json!({}), false)],
    );
}

#[test]
fn global_action_collections() {
    let src = "action: global\ntitle: shared\nlogsource:\n    product: x\ndetection:\n    condition: sel\n---\nid: one\ndetection:\n    sel:\n        A: 1\n---\nid: two\ndetection:\n    sel:\n        A: 2\n";
    let l = load_str(src, None, &CompileOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.rules.len(), 2);
    assert_eq!(l.rules[0].meta().title, "shared");
    assert!(l.rules[0].matches(&json!({"A": 1})));
    assert!(l.rules[1].matches(&json!({"A": 2})));
    assert!(!l.rules[1].matches(&json!({"A": 1})));
}

#[test]
fn one_bad_document_does_not_stop_the_rest() {
    let src = "title: ok\nlogsource:\n    product: x\ndetection:\n    sel:\n        A: 1\n    condition: sel\n---\ntitle: [unclosed\n---\ntitle: no detection\nlogsource:\n    product: x\n";
    let l = load_str(
        src,
        Some(std::path::Path::new("f.yml")),
        &CompileOptions::default(),
    );
    assert_eq!(l.rules.len(), 1);
    assert_eq!(l.errors.len(), 2);
    assert!(matches!(l.errors[0].kind, ErrorKind::Yaml(_)));
    assert_eq!(l.errors[0].document, 1);
    assert!(
        l.errors[0].line.is_some_and(|n| n >= 9),
        "{:?}",
        l.errors[0]
    );
    assert!(matches!(l.errors[1].kind, ErrorKind::Structure(_)));
}

#[test]
fn matching_is_total_on_odd_events() {
    let r = rule(
        "sel:\n    A|contains: x\n    B.c.d: 1\n    E|re: 'a'\n    F|cidr: 10.0.0.0/8\n    G|gt: 1\nk:\n    - kw\ncondition: sel or k",
    );
    for e in [
        json!(null),
        json!([]),
        json!("str"),
        json!(42),
        json!({"A": {"nested": "x"}}),
        json!({"A": [[["x"]]], "B": [{"c": [{"d": "1"}]}]}),
        json!({"B": {"c": null}, "F": ["10.1.1.1"], "G": [true, "2"]}),
        json!({"": "", ".": {".": "."}}),
    ] {
        let _ = r.matches(&e);
    }
    let mut deep = json!("kw");
    for _ in 0..500 {
        deep = json!({"a": [deep]});
    }
    let _ = r.matches(&deep);
    assert!(r.matches(
        &json!({"A": ["y", "x"], "B": {"c": {"d": 1}}, "E": "a", "F": "10.0.0.1", "G": 2})
    ));
}

#[test]
fn error_lines_point_into_the_detection() {
    let src = "title: t\ndescription: mentions A|re and condition\nlogsource:\n    product: x\ndetection:\n    sel:\n        - B: 1\n        - A|re: '(x'\n    condition: sel\n";
    let l = load_str(src, None, &CompileOptions::default());
    assert_eq!(l.errors.len(), 1);
    assert!(matches!(l.errors[0].kind, ErrorKind::Regex { .. }));
    assert_eq!(l.errors[0].line, Some(8));

    let src = "title: t\nlogsource:\n    product: x\ndetection:\n    sel:\n        A: 1\n    condition: sel and (\n";
    let l = load_str(src, None, &CompileOptions::default());
    assert!(matches!(l.errors[0].kind, ErrorKind::Condition(_)));
    assert_eq!(l.errors[0].line, Some(7));

    // In the second document of a file, lines count from the top of the file.
    let src = "title: a\nlogsource:\n    product: x\ndetection:\n    sel:\n        A: 1\n    condition: sel\n---\ntitle: b\nlogsource:\n    product: x\ndetection:\n    sel:\n        A|bogus: 1\n    condition: sel\n";
    let l = load_str(src, None, &CompileOptions::default());
    assert_eq!(l.rules.len(), 1);
    assert_eq!(l.errors[0].line, Some(14));
    assert_eq!(l.errors[0].document, 1);
}

#[test]
fn field_maps_apply_by_logsource_and_coalesce() {
    use rampart_sigma::FieldMap;
    let opts = CompileOptions::default()
        .with_field_map(
            FieldMap::new()
                .product("other")
                .map("ResultType", ["never.used"]),
        )
        .with_field_map(
            FieldMap::new()
                .product("TEST")
                .map("ResultType", ["properties.status.errorCode", "result_type"])
                .map("Peer", ["peer.name"]),
        );
    let r = rule_with("sel:\n    ResultType: 50126\ncondition: sel", &opts).expect("compiles");
    assert!(r.matches(&json!({"properties": {"status": {"errorCode": 50126}}})));
    assert!(r.matches(&json!({"result_type": "50126"})));
    // The first path present is the value: it is not ORed with the next.
    assert!(!r.matches(&json!({"properties": {"status": {"errorCode": 0}}, "result_type": 50126})));
    // The unmapped Sigma name is not read once a mapping exists.
    assert!(!r.matches(&json!({"ResultType": 50126})));

    let r = rule_with("sel:\n    ResultType: null\ncondition: sel", &opts).expect("compiles");
    assert!(r.matches(&json!({})));
    assert!(!r.matches(&json!({"result_type": 1})));

    // fieldref targets are mapped too; unmapped fields keep their names.
    let r = rule_with("sel:\n    User|fieldref: Peer\ncondition: sel", &opts).expect("compiles");
    assert!(r.matches(&json!({"User": "a", "peer": {"name": "A"}})));

    // A mapping for another product does not apply.
    let other = CompileOptions::default()
        .with_field_map(FieldMap::new().product("other").map("ResultType", ["x"]));
    let r = rule_with("sel:\n    ResultType: 1\ncondition: sel", &other).expect("compiles");
    assert!(r.matches(&json!({"ResultType": 1})));
}

#[test]
fn filters_follow_pysigma_semantics() {
    use rampart_sigma::apply_filters;
    let rules_src = "title: a\nid: rule-a\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        Image|endswith: '\\x.exe'\n    condition: sel\n---\ntitle: b\nname: rule_b\nlogsource:\n    product: windows\n    category: process_creation\ndetection:\n    sel:\n        Image|endswith: '\\x.exe'\n    condition: sel\n---\ntitle: c\nid: rule-c\nlogsource:\n    product: linux\ndetection:\n    sel:\n        Image|endswith: '\\x.exe'\n    condition: sel\n";
    let filters_src = "title: exclude svc\nlogsource:\n    product: windows\nfilter:\n    rules:\n        - rule-a\n        - rule_b\n        - rule-c\n    selection:\n        User|startswith: 'svc_'\n    condition: not selection\n---\ntitle: any\nlogsource:\n    product: windows\n    category: process_creation\nfilter:\n    rules: any\n    sel_1:\n        Host: 'lab*'\n    condition: not 1 of sel_*\n";
    let opts = CompileOptions::default();
    let mut rules = load_str(rules_src, None, &opts).rules;
    let loaded = load_str(filters_src, None, &opts);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert_eq!(loaded.filters.len(), 2);
    // rule-a and rule_b (by name) get both filters; rule-c's log source is outside both.
    assert_eq!(apply_filters(&mut rules, &loaded.filters), 4);
    assert_eq!(rules[2].filter_count(), 0);
    let hit = json!({"Image": "C:\\x.exe", "User": "alice", "Host": "pc1"});
    let svc = json!({"Image": "C:\\x.exe", "User": "svc_backup", "Host": "pc1"});
    let lab = json!({"Image": "C:\\x.exe", "User": "alice", "Host": "LAB-7"});
    for r in &rules[..2] {
        assert!(r.matches(&hit));
        assert!(!r.matches(&svc));
        assert!(!r.matches(&lab));
    }
    assert!(rules[2].matches(&svc));
    // A filter without `rules` is rejected with a reason.
    let bad = load_str(
        "title: f\nlogsource:\n    product: windows\nfilter:\n    sel:\n        A: 1\n    condition: sel\n",
        None,
        &opts,
    );
    assert!(matches!(bad.errors[0].kind, ErrorKind::Structure(_)));
}
