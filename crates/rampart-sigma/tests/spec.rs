//! The Sigma specification's own examples (`specification/tests/schema`) behave as written:
//! rules load with their metadata and match the events they describe; filters apply as pySigma
//! applies them. The correlation examples are in `tests/correlation.rs`.

use rampart_sigma::{CompileOptions, FilterTargets, apply_filters, load_file, load_str};
use serde_json::json;

#[test]
fn spec_rule_examples_load_and_match() {
    let Some(dir) = rampart_testkit::shared("sigma/specification/tests/schema/rules") else {
        return;
    };
    let l = load_file(&dir.join("rule_1.yml"), &CompileOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let r = &l.rules[0];
    let m = r.meta();
    assert_eq!(m.title, "A Title");
    assert_eq!(
        m.id.as_deref(),
        Some("545a5da6-f103-4919-a519-e9aec1026ee4")
    );
    assert_eq!(m.author.as_deref(), Some("SomeOne"));
    assert_eq!(m.level.as_deref(), Some("high"));
    assert_eq!(m.status.as_deref(), Some("test"));
    assert_eq!(m.date.as_deref(), Some("2017-05-09"));
    assert_eq!(m.modified.as_deref(), Some("2023-04-14"));
    assert_eq!(
        m.description.as_deref(),
        Some("a very good information string that need to be written")
    );
    assert_eq!(m.tags.len(), 3);
    assert_eq!(m.references.len(), 2);
    assert_eq!(m.falsepositives, vec!["a string".to_string()]);
    assert_eq!(m.logsource.product.as_deref(), Some("windows"));
    assert_eq!(m.logsource.service.as_deref(), Some("application"));
    assert!(r.matches(&json!({"Provider_Name": "application error"})));
    assert!(!r.matches(&json!({"Provider_Name": "Application Error 2"})));
    assert!(!r.matches(&json!({})));

    let l = load_file(&dir.join("rule_ecs.yml"), &CompileOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.rules.len(), 1);
    let r = &l.rules[0];
    assert!(r.matches(&json!({"dns": {"question": {"name": "SigmaHQ"}}})));
    assert!(r.matches(&json!({"dns.question.name": "sigmahq"})));
    assert!(!r.matches(&json!({"dns": {"question": {"name": "sigmahq.io"}}})));
}

#[test]
fn spec_filter_examples_apply_with_pysigma_semantics() {
    let Some(dir) = rampart_testkit::shared("sigma/specification/tests/schema/filter") else {
        return;
    };
    let l = load_file(&dir.join("filter_1.yml"), &CompileOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.filters.len(), 1);
    let f = &l.filters[0];
    assert_eq!(f.title, "Filter Administrator account");
    assert_eq!(
        f.targets,
        FilterTargets::Rules(vec![
            "6f3e2987-db24-4c78-a860-b4f4095a7095".into(),
            "df0841c0-9846-4e9f-ad8a-7df91571771b".into()
        ])
    );
    // A targeted process_creation rule: the filter's `condition: selection` keeps only
    // events of `adm_` users (pySigma: `(rule) and (filter)`).
    let mut rules = load_str(
        "title: rar\nid: 6f3e2987-db24-4c78-a860-b4f4095a7095\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    sel:\n        Image|endswith: '\\rar.exe'\n    condition: sel\n",
        None,
        &CompileOptions::default(),
    )
    .rules;
    assert_eq!(apply_filters(&mut rules, &l.filters), 1);
    let r = &rules[0];
    assert!(r.matches(&json!({"Image": "C:\\rar.exe", "User": "adm_bob"})));
    assert!(!r.matches(&json!({"Image": "C:\\rar.exe", "User": "bob"})));

    let l = load_file(&dir.join("filter_ecs.yml"), &CompileOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    assert_eq!(l.filters.len(), 1);
}
