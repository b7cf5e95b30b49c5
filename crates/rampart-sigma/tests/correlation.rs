//! Correlation rules: the spec's examples load and behave as written; event time with an
//! allowed lateness (out-of-order events correlate, later ones are counted as late), tenant
//! isolation, `generate`, chaining, aliases, eviction.

use jiff::{SignedDuration, Timestamp};
use rampart_sigma::{
    CmpOp, CompileOptions, CorrelationHit, CorrelationType, Correlator, CorrelatorConfig,
    ErrorKind, Loaded, load_file, load_str,
};
use serde_json::{Value, json};

fn t0() -> Timestamp {
    "2026-03-01T10:00:00Z".parse().unwrap()
}

fn at(secs: i64) -> Timestamp {
    t0() + SignedDuration::from_secs(secs)
}

fn load(src: &str) -> Loaded {
    let l = load_str(src, None, &CompileOptions::default());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    l
}

fn correlator(l: Loaded, lateness_secs: i64) -> (Correlator<usize>, Vec<rampart_sigma::Rule>) {
    let (c, errors) = Correlator::new(
        &l.rules,
        l.correlations,
        &[],
        CorrelatorConfig::default().with_lateness(SignedDuration::from_secs(lateness_secs)),
    );
    assert!(errors.is_empty(), "{errors:?}");
    (c, l.rules)
}

/// Runs events through the base rules and the correlator; returns every hit, flush included.
fn run(
    c: &mut Correlator<usize>,
    rules: &[rampart_sigma::Rule],
    events: &[(&str, i64, Value)],
) -> Vec<CorrelationHit<usize>> {
    let mut hits = Vec::new();
    for (i, (tenant, secs, ev)) in events.iter().enumerate() {
        let matched: Vec<usize> = rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(ev))
            .map(|(k, _)| k)
            .collect();
        hits.extend(c.observe(tenant, at(*secs), ev, &matched, i).hits);
    }
    hits.extend(c.flush());
    hits
}

/// Our own base rule carrying the id the spec's example correlations reference.
const FAILED_LOGIN_BY_ID: &str = "title: Failed login (test)\n\
id: 5638f7c0-ac70-491d-8465-2a65075e0d86\n\
logsource: {product: windows, service: security}\n\
detection:\n  sel: {EventID: 4625}\n  condition: sel\n";

fn spec_example(name: &str) -> Option<String> {
    let dir = rampart_testkit::shared("sigma/specification/tests/schema/correlation")?;
    Some(std::fs::read_to_string(dir.join(name)).unwrap())
}

#[test]
fn spec_correlation_examples_load_as_written() {
    let Some(dir) = rampart_testkit::shared("sigma/specification/tests/schema/correlation") else {
        return;
    };
    let expected = [
        ("event_count.yml", CorrelationType::EventCount, 1, 1, "1h"),
        (
            "event_count_ecs.yml",
            CorrelationType::EventCount,
            1,
            1,
            "1h",
        ),
        ("temporal.yml", CorrelationType::Temporal, 3, 2, "5m"),
        (
            "temporal_ordered.yml",
            CorrelationType::TemporalOrdered,
            3,
            2,
            "5m",
        ),
        ("value_avg.yml", CorrelationType::ValueAvg, 1, 2, "24h"),
        ("value_count.yml", CorrelationType::ValueCount, 1, 2, "1d"),
        (
            "value_percentile.yml",
            CorrelationType::ValuePercentile,
            1,
            1,
            "24h",
        ),
        ("value_sum.yml", CorrelationType::ValueSum, 1, 2, "1h"),
    ];
    for (file, kind, rules, group_by, span) in expected {
        let l = load_file(&dir.join(file), &CompileOptions::default());
        assert!(l.errors.is_empty(), "{file}: {:?}", l.errors);
        assert_eq!(l.correlations.len(), 1, "{file}");
        let c = &l.correlations[0];
        assert_eq!(c.kind, kind, "{file}");
        assert_eq!(c.rules.len(), rules, "{file}");
        assert_eq!(c.group_by.len(), group_by, "{file}");
        assert_eq!(
            Some(c.timespan),
            rampart_sigma::parse_timespan(span),
            "{file}"
        );
        assert!(!c.generate, "{file}");
        assert_eq!(c.file(), Some(dir.join(file).as_path()));
    }
    // Temporal types default to "all referenced rules".
    let l = load_file(&dir.join("temporal.yml"), &CompileOptions::default());
    assert_eq!(l.correlations[0].condition.ops, vec![(CmpOp::Gte, 3.0)]);
    let l = load_file(&dir.join("value_count.yml"), &CompileOptions::default());
    assert_eq!(l.correlations[0].condition.field, vec!["User".to_string()]);
    assert_eq!(l.correlations[0].condition.ops, vec![(CmpOp::Gte, 100.0)]);
}

#[test]
fn spec_event_count_fires_at_the_hundredth_failure_per_host() {
    let Some(src) = spec_example("event_count.yml") else {
        return;
    };
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{FAILED_LOGIN_BY_ID}")), 0);
    // 99 failures on host A within the hour, and a success: nothing.
    let mut events: Vec<(&str, i64, Value)> = (0..99)
        .map(|i| ("t", i * 30, json!({"EventID": 4625, "ComputerName": "A"})))
        .collect();
    events.push(("t", 3000, json!({"EventID": 4624, "ComputerName": "A"})));
    // 60 failures on B: nothing.
    events.extend((0..60).map(|i| ("t", 3000 + i, json!({"EventID": 4625, "ComputerName": "B"}))));
    assert!(run(&mut c, &rules, &events).is_empty());
    // The 100th failure on A within the hour fires once, listing the 100 events.
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{FAILED_LOGIN_BY_ID}")), 0);
    events.push(("t", 3500, json!({"EventID": 4625, "ComputerName": "A"})));
    let hits = run(&mut c, &rules, &events);
    assert_eq!(hits.len(), 1, "{hits:?}");
    let h = &hits[0];
    assert_eq!(h.group, vec![("ComputerName".into(), "A".into())]);
    assert_eq!(h.value, 100.0);
    assert_eq!(h.events.len(), 100);
    assert_eq!(h.first, at(0));
    assert_eq!(h.last, at(3500));
    assert_eq!(
        c.correlations()[h.correlation].meta().title,
        "Many failed logins"
    );
    // The same 100 failures spread over more than an hour: nothing.
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{FAILED_LOGIN_BY_ID}")), 0);
    let spread: Vec<(&str, i64, Value)> = (0..100)
        .map(|i| ("t", i * 40, json!({"EventID": 4625, "ComputerName": "A"})))
        .collect();
    assert!(run(&mut c, &rules, &spread).is_empty());
}

#[test]
fn spec_value_count_counts_distinct_users_per_host_pair() {
    let Some(src) = spec_example("value_count.yml") else {
        return;
    };
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{FAILED_LOGIN_BY_ID}")), 0);
    // 150 failures but only 99 distinct users: nothing.
    let ev = |u: i64| json!({"EventID": 4625, "ComputerName": "dc1", "WorkstationName": "ws7", "User": format!("u{u}")});
    let mut events: Vec<(&str, i64, Value)> = (0..150).map(|i| ("t", i, ev(i % 99))).collect();
    assert!(run(&mut c, &rules, &events).is_empty());
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{FAILED_LOGIN_BY_ID}")), 0);
    events.push(("t", 200, ev(1000)));
    let hits = run(&mut c, &rules, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 100.0);
    assert_eq!(
        hits[0].group,
        vec![
            ("ComputerName".into(), "dc1".into()),
            ("WorkstationName".into(), "ws7".into())
        ]
    );
}

const RECON: &str = "title: a\nname: recon_cmd_a\nlogsource: {category: process_creation}\ndetection:\n  s: {Image|endswith: '\\whoami.exe'}\n  condition: s\n\
---\ntitle: b\nname: recon_cmd_b\nlogsource: {category: process_creation}\ndetection:\n  s: {Image|endswith: '\\net.exe'}\n  condition: s\n\
---\ntitle: c\nname: recon_cmd_c\nlogsource: {category: process_creation}\ndetection:\n  s: {Image|endswith: '\\nltest.exe'}\n  condition: s\n";

fn recon(image: &str, user: &str) -> Value {
    json!({"Image": format!("C:\\Windows\\System32\\{image}"), "ComputerName": "pc1", "User": user})
}

#[test]
fn spec_temporal_needs_all_rules_in_the_timespan_in_any_order() {
    let Some(src) = spec_example("temporal.yml") else {
        return;
    };
    let events = [
        ("t", 0, recon("nltest.exe", "bob")),
        ("t", 10, recon("whoami.exe", "bob")),
        ("t", 20, recon("whoami.exe", "alice")),
        ("t", 250, recon("net.exe", "bob")),
    ];
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{RECON}")), 0);
    let hits = run(&mut c, &rules, &events);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(
        hits[0].group,
        vec![
            ("ComputerName".into(), "pc1".into()),
            ("User".into(), "bob".into())
        ]
    );
    assert_eq!(hits[0].events, vec![0, 1, 3]);
    // The third command after the 5 minutes: nothing.
    let mut late = events.clone();
    late[3].1 = 301;
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{RECON}")), 0);
    assert!(run(&mut c, &rules, &late).is_empty());
    // The base rules only serve the correlation (generate defaults to false).
    assert!((0..3).all(|i| !c.reports_alone(i)));
}

#[test]
fn spec_temporal_ordered_needs_the_order_of_rules() {
    let Some(src) = spec_example("temporal_ordered.yml") else {
        return;
    };
    let unordered = [
        ("t", 0, recon("nltest.exe", "bob")),
        ("t", 10, recon("whoami.exe", "bob")),
        ("t", 20, recon("net.exe", "bob")),
    ];
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{RECON}")), 0);
    assert!(run(&mut c, &rules, &unordered).is_empty());
    let ordered = [
        ("t", 0, recon("nltest.exe", "bob")),
        ("t", 10, recon("whoami.exe", "bob")),
        ("t", 20, recon("net.exe", "bob")),
        ("t", 30, recon("nltest.exe", "bob")),
    ];
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{RECON}")), 0);
    let hits = run(&mut c, &rules, &ordered);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].events, vec![1, 2, 3]);
    assert_eq!(hits[0].value, 3.0);
}

#[test]
fn spec_value_sum_and_value_avg_aggregate_the_numeric_field() {
    let (Some(sum), Some(avg)) = (spec_example("value_sum.yml"), spec_example("value_avg.yml"))
    else {
        return;
    };
    let base = "title: web\nname: website_access\nid: rule_a_id\nlogsource: {category: proxy}\ndetection:\n  s: {cs-method: POST}\n  condition: s\n";
    let post = |bytes: Value| json!({"cs-method": "POST", "SourceIP": "10.0.0.5", "User": "bob", "bytes_sent": bytes, "BytesOut": bytes});
    let (mut c, rules) = correlator(load(&format!("{sum}\n---\n{base}")), 0);
    let events = [
        ("t", 0, post(json!(400_000))),
        ("t", 60, post(json!("400000"))),
        ("t", 120, post(json!("not a number"))),
        ("t", 180, post(json!(200_001))),
    ];
    let hits = run(&mut c, &rules, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 1_000_001.0);
    assert_eq!(c.stats().missing_value_field, 1);
    // value_avg fires at window close: avg(300, 800) = 550 > 500.
    let (mut c, rules) = correlator(load(&format!("{avg}\n---\n{base}")), 0);
    let events = [("t", 0, post(json!(300))), ("t", 60, post(json!(800)))];
    let hits = run(&mut c, &rules, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 550.0);
    let (mut c, rules) = correlator(load(&format!("{avg}\n---\n{base}")), 0);
    let events = [("t", 0, post(json!(300))), ("t", 60, post(json!(600)))];
    assert!(run(&mut c, &rules, &events).is_empty());
}

#[test]
fn value_percentile_uses_the_percentile_key_and_close_windows() {
    let src = "title: p90 of bytes\ncorrelation:\n  type: value_percentile\n  rules: [web]\n  group-by: [User]\n  timespan: 1h\n  condition: {field: Bytes, percentile: 90, gte: 900}\n\
---\ntitle: web\nname: web\nlogsource: {category: proxy}\ndetection:\n  s: {Bytes|exists: true}\n  condition: s\n";
    let (mut c, rules) = correlator(load(src), 0);
    let events: Vec<(&str, i64, Value)> = (1..=10)
        .map(|i| ("t", i, json!({"User": "bob", "Bytes": i * 100})))
        .collect();
    let hits = run(&mut c, &rules, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].value, 910.0);
    // The spec's own example aggregates `Image`, which is not numeric: it loads, and every
    // event is counted as having no numeric value, so it never fires.
    let Some(spec) = spec_example("value_percentile.yml") else {
        return;
    };
    let base = "title: proc\nname: process_creation\nlogsource: {category: process_creation}\ndetection:\n  s: {Image|exists: true}\n  condition: s\n";
    let (mut c, rules) = correlator(load(&format!("{spec}\n---\n{base}")), 0);
    let events = [("t", 0, json!({"Image": "C:\\a.exe", "ComputerName": "pc"}))];
    assert!(run(&mut c, &rules, &events).is_empty());
    assert_eq!(c.stats().missing_value_field, 1);
}

/// The spec's worked example "Failed Logins Followed by Successful Login", read from the
/// spec text itself: a chain (temporal_ordered over an event_count) in one multi-doc file.
fn spec_worked_example() -> Option<String> {
    let p = rampart_testkit::shared(
        "sigma/specification/specification/sigma-correlation-rules-specification.md",
    )?;
    let md = std::fs::read_to_string(p).unwrap();
    // `None` only when ../shared is absent: a spec without the example fails the test.
    let from = md
        .find("### Failed Logins Followed by Successful Login")
        .expect("the worked example's heading in the spec");
    let rest = &md[from..];
    let start = rest.find("```yml\n").expect("its yml block") + "```yml\n".len();
    let end = rest[start..].find("```").expect("the end of its yml block");
    Some(rest[start..start + end].to_string())
}

#[test]
fn spec_worked_example_chains_failed_logins_into_a_success() {
    let Some(src) = spec_worked_example() else {
        return;
    };
    let l = load(&src);
    assert_eq!(l.correlations.len(), 2);
    assert_eq!(l.rules.len(), 2);
    let fail = |u: &str| json!({"EventID": 4625, "User": u});
    let ok = |u: &str| json!({"EventID": 4624, "User": u});
    // 10 failures for bob in 5 minutes, then a success 2 minutes later: one hit, of the
    // outer correlation only (the inner one is intermediate), listing all 11 events.
    let mut events: Vec<(&str, i64, Value)> = (0..10).map(|i| ("t", i * 30, fail("bob"))).collect();
    events.push(("t", 420, ok("bob")));
    events.push(("t", 430, ok("alice")));
    let (mut c, rules) = correlator(load(&src), 0);
    let hits = run(&mut c, &rules, &events);
    assert_eq!(hits.len(), 1, "{hits:?}");
    let h = &hits[0];
    assert_eq!(
        c.correlations()[h.correlation].meta().id.as_deref(),
        Some("b180ead8-d58f-40b2-ae54-c8940995b9b6")
    );
    assert_eq!(
        c.correlations()[h.correlation].meta().level.as_deref(),
        Some("high")
    );
    assert_eq!(h.group, vec![("User".into(), "bob".into())]);
    assert_eq!(h.events, (0..=10).collect::<Vec<_>>());
    // Neither base rule reports alone (generate: false).
    assert!(!c.reports_alone(0) && !c.reports_alone(1));
    // 9 failures then a success: nothing.
    let mut nine: Vec<(&str, i64, Value)> = (0..9).map(|i| ("t", i * 30, fail("bob"))).collect();
    nine.push(("t", 420, ok("bob")));
    let (mut c, rules) = correlator(load(&src), 0);
    assert!(run(&mut c, &rules, &nine).is_empty());
    // The success before the failures: nothing (ordered).
    let mut before: Vec<(&str, i64, Value)> = vec![("t", 0, ok("bob"))];
    before.extend((0..10).map(|i| ("t", 10 + i * 30, fail("bob"))));
    let (mut c, rules) = correlator(load(&src), 0);
    assert!(run(&mut c, &rules, &before).is_empty());
}

#[test]
fn out_of_order_events_within_the_lateness_correlate_as_if_sorted() {
    let Some(src) = spec_worked_example() else {
        return;
    };
    // Arrival order: the success first, then the failures shuffled, all within 10 minutes of
    // the latest event time seen.
    let mut events: Vec<(&str, i64, Value)> =
        vec![("t", 420, json!({"EventID": 4624, "User": "bob"}))];
    for i in [3, 7, 0, 9, 1, 5, 2, 8, 4, 6] {
        events.push(("t", i * 30, json!({"EventID": 4625, "User": "bob"})));
    }
    let (mut c, rules) = correlator(load(&src), 600);
    let hits = run(&mut c, &rules, &events);
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(c.stats().late_events, 0);
    assert_eq!(hits[0].first, at(0));
    assert_eq!(hits[0].last, at(420));
}

#[test]
fn events_later_than_the_lateness_are_counted_and_reported_not_correlated() {
    let Some(src) = spec_worked_example() else {
        return;
    };
    let (mut c, rules) = correlator(load(&src), 60);
    let fail = json!({"EventID": 4625, "User": "bob"});
    // A success at 20 min, then failures from minute 0: more than 60 s behind.
    let ok = json!({"EventID": 4624, "User": "bob"});
    let o = c.observe("t", at(1200), &ok, &[1], 0);
    assert!(!o.late && o.hits.is_empty());
    let mut late = 0;
    for i in 0..10 {
        let o = c.observe("t", at(i * 30), &fail, &[0], 1 + i as usize);
        late += usize::from(o.late);
        assert!(o.hits.is_empty());
    }
    assert_eq!(late, 10);
    assert_eq!(c.stats().late_events, 10);
    assert!(c.flush().is_empty());
    // An event that matched no referenced rule is never "late".
    let o = c.observe("t", at(0), &json!({"EventID": 1}), &[], 99);
    assert!(!o.late);
    let _ = rules;
}

#[test]
fn tenants_never_correlate_together() {
    let Some(src) = spec_example("event_count.yml") else {
        return;
    };
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{FAILED_LOGIN_BY_ID}")), 0);
    let ev = json!({"EventID": 4625, "ComputerName": "A"});
    let events: Vec<(&str, i64, Value)> = (0..198)
        .map(|i| (if i % 2 == 0 { "acme" } else { "globex" }, i, ev.clone()))
        .collect();
    assert!(run(&mut c, &rules, &events).is_empty());
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{FAILED_LOGIN_BY_ID}")), 0);
    let mut events = events;
    events.extend((0..2).map(|i| ("acme", 300 + i, ev.clone())));
    let hits = run(&mut c, &rules, &events);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].tenant, "acme");
    assert!(hits[0].events.iter().all(|i| *i % 2 == 0 || *i >= 198));
}

#[test]
fn generate_true_keeps_the_referenced_rules_reporting() {
    let src = "title: many\ncorrelation:\n  type: event_count\n  rules: [f]\n  group-by: [User]\n  timespan: 1m\n  condition: {gte: 2}\n  generate: true\n\
---\ntitle: f\nname: f\nlogsource: {product: x}\ndetection:\n  s: {a: 1}\n  condition: s\n\
---\ntitle: g\nname: g\nlogsource: {product: x}\ndetection:\n  s: {a: 2}\n  condition: s\n";
    let (c, _) = correlator(load(src), 0);
    assert!(c.reports_alone(0));
    assert!(c.reports_alone(1));
    assert!(c.is_referenced(0) && !c.is_referenced(1));
    assert!(c.correlations()[0].generate);
}

#[test]
fn state_is_evicted_once_no_event_can_join_it() {
    let Some(src) = spec_example("event_count.yml") else {
        return;
    };
    let (mut c, rules) = correlator(load(&format!("{src}\n---\n{FAILED_LOGIN_BY_ID}")), 300);
    let _ = rules;
    // One failure per host every minute for 10 hours, 50 hosts: never 100 per host per hour.
    let mut max_held = 0;
    for m in 0..600 {
        for h in 0..50 {
            let ev = json!({"EventID": 4625, "ComputerName": format!("h{h}")});
            let o = c.observe("t", at(m * 60), &ev, &[0], 0);
            assert!(o.hits.is_empty());
        }
        max_held = max_held.max(c.held_events());
    }
    // At most timespan + lateness (65 minutes) of events per host.
    assert!(max_held <= 50 * 66, "{max_held}");
    assert!(c.stats().evicted > 20_000, "{:?}", c.stats());
    // Time moves on with an unrelated event: everything is evicted.
    c.advance("t", at(600 * 60 + 7200));
    assert_eq!(c.held_events(), 0);
}

#[test]
fn upper_bounds_fire_when_the_window_closes() {
    let src = "title: few\ncorrelation:\n  type: event_count\n  rules: [f]\n  group-by: [User]\n  timespan: 10m\n  condition: {lt: 3}\n\
---\ntitle: f\nname: f\nlogsource: {product: x}\ndetection:\n  s: {a: 1}\n  condition: s\n";
    let (mut c, _) = correlator(load(src), 60);
    let ev = |u: &str| json!({"a": 1, "User": u});
    for (i, (u, s)) in [
        ("eve", 0),
        ("bob", 0),
        ("eve", 50),
        ("eve", 90),
        ("bob", 100),
    ]
    .iter()
    .enumerate()
    {
        assert!(c.observe("t", at(*s), &ev(u), &[0], i).hits.is_empty());
    }
    // Nothing until the watermark (latest - 60 s) passes the end of bob's window (600 s).
    assert!(c.advance("t", at(650)).is_empty());
    let hits = c.advance("t", at(700));
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].group, vec![("User".into(), "bob".into())]);
    assert_eq!(hits[0].value, 2.0);
    assert!(c.flush().is_empty());
}

#[test]
fn aliases_join_different_fields_of_different_rules() {
    let src = "title: alias\ncorrelation:\n  type: temporal\n  rules: [internal_error, new_network_connection]\n  group-by: [internal_ip, remote_ip]\n  timespan: 10s\n  aliases:\n    internal_ip:\n      internal_error: destination.ip\n      new_network_connection: source.ip\n    remote_ip:\n      internal_error: source.ip\n      new_network_connection: destination.ip\n\
---\ntitle: e\nname: internal_error\nlogsource: {category: webserver}\ndetection:\n  s: {http.response.status_code: 500}\n  condition: s\n\
---\ntitle: n\nname: new_network_connection\nlogsource: {category: network_connection}\ndetection:\n  s: {event.category: network, event.type: connection, event.outcome: success}\n  condition: s\n";
    let err = json!({"http": {"response": {"status_code": 500}}, "source": {"ip": "203.0.113.9"}, "destination": {"ip": "10.0.0.2"}});
    let conn = |src: &str, dst: &str| json!({"event": {"category": "network", "type": "connection", "outcome": "success"}, "source": {"ip": src}, "destination": {"ip": dst}});
    let (mut c, rules) = correlator(load(src), 0);
    let hits = run(
        &mut c,
        &rules,
        &[
            ("t", 0, err.clone()),
            ("t", 5, conn("10.0.0.2", "203.0.113.9")),
        ],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0].group,
        vec![
            ("internal_ip".into(), "10.0.0.2".into()),
            ("remote_ip".into(), "203.0.113.9".into())
        ]
    );
    // Reversed addresses in the connection: different group, nothing.
    let (mut c, rules) = correlator(load(src), 0);
    let hits = run(
        &mut c,
        &rules,
        &[("t", 0, err), ("t", 5, conn("203.0.113.9", "10.0.0.2"))],
    );
    assert!(hits.is_empty());
}

#[test]
fn missing_group_by_fields_are_counted_not_grouped() {
    let Some(src) = spec_example("event_count.yml") else {
        return;
    };
    let (mut c, _) = correlator(load(&format!("{src}\n---\n{FAILED_LOGIN_BY_ID}")), 0);
    for i in 0..150 {
        let o = c.observe("t", at(i), &json!({"EventID": 4625}), &[0], 0);
        assert!(o.hits.is_empty());
    }
    assert_eq!(c.stats().missing_group_field, 150);
    assert_eq!(c.held_events(), 0);
}

#[test]
fn bad_correlations_are_rejected_with_file_line_and_reason() {
    let src = "title: ok rule\nname: r\nlogsource: {product: x}\ndetection:\n  s: {a: 1}\n  condition: s\n\
---\ntitle: bad span\ncorrelation:\n  type: event_count\n  rules: [r]\n  timespan: 5 minutes\n  condition: {gte: 2}\n\
---\ntitle: no condition\ncorrelation:\n  type: event_count\n  rules: [r]\n  timespan: 5m\n\
---\ntitle: value_count without field\ncorrelation:\n  type: value_count\n  rules: [r]\n  timespan: 5m\n  condition: {gte: 2}\n\
---\ntitle: unknown ref\nid: u1\ncorrelation:\n  type: event_count\n  rules: [nope]\n  timespan: 5m\n  condition: {gte: 2}\n\
---\ntitle: cycle a\nname: ca\ncorrelation:\n  type: event_count\n  rules: [cb]\n  timespan: 5m\n  condition: {gte: 2}\n\
---\ntitle: cycle b\nname: cb\ncorrelation:\n  type: event_count\n  rules: [ca]\n  timespan: 5m\n  condition: {gte: 2}\n\
---\ntitle: on top of unknown\ncorrelation:\n  type: event_count\n  rules: [u1]\n  timespan: 5m\n  condition: {gte: 2}\n";
    let path = std::path::Path::new("mr_bad.yml");
    let l = load_str(src, Some(path), &CompileOptions::default());
    assert_eq!(l.rules.len(), 1);
    let lines: Vec<(usize, String)> = l
        .errors
        .iter()
        .map(|e| (e.line.unwrap_or(0), e.to_string()))
        .collect();
    assert_eq!(l.errors.len(), 3, "{lines:?}");
    assert!(
        lines[0]
            .1
            .contains("mr_bad.yml:12: invalid timespan `5 minutes`"),
        "{lines:?}"
    );
    assert!(lines[1].1.contains("needs a condition"), "{lines:?}");
    assert!(lines[2].1.contains("needs `condition.field`"), "{lines:?}");
    assert!(
        l.errors
            .iter()
            .all(|e| matches!(e.kind, ErrorKind::Structure(_)))
    );
    let (c, errors) =
        Correlator::<u64>::new(&l.rules, l.correlations, &[], CorrelatorConfig::default());
    let msgs: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 4, "{msgs:?}");
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("mr_bad.yml:28:") && m.contains("unknown rule `nope`")),
        "{msgs:?}"
    );
    assert_eq!(
        msgs.iter().filter(|m| m.contains("cycle")).count(),
        3,
        "{msgs:?}"
    );
    // The rule the rejected correlations reference still reports alone.
    assert!(c.reports_alone(0));
}

#[test]
fn correlators_can_move_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Correlator<u64>>();
    assert_send_sync::<Correlator<(std::path::PathBuf, usize)>>();
    assert_send_sync::<rampart_sigma::CorrelationRule>();
}

#[test]
fn eq_and_neq_are_checked_once_per_closed_window() {
    let src = |cond: &str| {
        format!(
            "title: exact\ncorrelation:\n  type: value_count\n  rules: [f]\n  group-by: [Host]\n  timespan: 1m\n  condition: {{field: [User, Domain], {cond}}}\n\
---\ntitle: f\nname: f\nlogsource: {{product: x}}\ndetection:\n  s: {{a: 1}}\n  condition: s\n"
        )
    };
    let ev = |u: &str, d: &str| json!({"a": 1, "Host": "h", "User": u, "Domain": d});
    // Three distinct (User, Domain) tuples in the minute (bob@A twice, bob@B, eve@A).
    let events = [
        ("t", 0, ev("bob", "A")),
        ("t", 10, ev("bob", "A")),
        ("t", 20, ev("bob", "B")),
        ("t", 30, ev("eve", "A")),
        ("t", 30, json!({"a": 1, "Host": "h", "User": "x"})),
    ];
    for (cond, fires) in [
        ("eq: 3", true),
        ("eq: 2", false),
        ("neq: 3", false),
        ("neq: 4", true),
    ] {
        let (mut c, rules) = correlator(load(&src(cond)), 0);
        let hits = run(&mut c, &rules, &events);
        assert_eq!(hits.len(), usize::from(fires), "{cond}: {hits:?}");
        if fires {
            assert_eq!(hits[0].value, 3.0);
            assert_eq!(hits[0].events.len(), 5, "the whole window is the evidence");
        }
        assert_eq!(c.stats().missing_value_field, 1);
    }
}

#[test]
fn intermediate_correlations_report_only_when_generate_is_true() {
    let src = |generate: bool| {
        format!(
            "title: outer\ncorrelation:\n  type: temporal_ordered\n  rules: [inner, ok]\n  group-by: [User]\n  timespan: 10m\n  generate: {generate}\n\
---\ntitle: inner\nname: inner\ncorrelation:\n  type: event_count\n  rules: [fail]\n  group-by: [User]\n  timespan: 10m\n  condition: {{gte: 2}}\n\
---\ntitle: fail\nname: fail\nlogsource: {{product: x}}\ndetection:\n  s: {{r: fail}}\n  condition: s\n\
---\ntitle: ok\nname: ok\nlogsource: {{product: x}}\ndetection:\n  s: {{r: ok}}\n  condition: s\n"
        )
    };
    let events = [
        ("t", 0, json!({"r": "fail", "User": "bob"})),
        ("t", 10, json!({"r": "fail", "User": "bob"})),
        ("t", 20, json!({"r": "ok", "User": "bob"})),
    ];
    let titles = |generate: bool| {
        let (mut c, rules) = correlator(load(&src(generate)), 0);
        let hits = run(&mut c, &rules, &events);
        let mut t: Vec<String> = hits
            .iter()
            .map(|h| c.correlations()[h.correlation].meta().title.clone())
            .collect();
        t.sort();
        (t, c.reports_alone(0), c.reports_alone(1))
    };
    assert_eq!(titles(false), (vec!["outer".to_string()], false, false));
    // generate: true on the outer one: the inner correlation's hits and the `ok` rule's
    // matches are reported too; `fail` is referenced only by `inner` (generate false).
    assert_eq!(
        titles(true),
        (vec!["inner".to_string(), "outer".to_string()], false, true)
    );
}
