//! End-to-end tests of the `rampart` binary.
//!
//! - `seed_story_*`: the seed story, generated and hunted, scored against its labels.
//! - `evaluation_world_*`: the harder labelled world: precision at full recall.
//! - `cli_*`: exit codes, error messages, dead letters, output formats, GeoIP.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn rampart(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env_remove("RAMPART_LOG")
        .output()
        .expect("the rampart binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Standard output as one JSON value per line.
fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// `rampart rules test --format json RULE EVENTS`: the matches, one JSON value each.
fn rules_test_json(rule: &Path, events: &Path) -> Vec<Value> {
    let out = rampart(&[
        "rules",
        "test",
        "--format",
        "json",
        rule.to_str().unwrap(),
        events.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    json_lines(&out)
}

/// A small Sigma rule for the `rules` commands.
const MFA_RULE: &str = "title: MFA denied\nid: 11111111-1111-4111-8111-111111111111\nauthor: Rampart\nlogsource:\n  product: azure\n  service: signinlogs\ndetection:\n  sel:\n    ResultType: 500121\n  condition: sel\n";

/// Generates a world into a temp dir and hunts it as its README says, with JSON output.
fn generate_and_hunt(world: &str, dir: &Path) -> (Vec<Value>, Value, String) {
    let out = rampart(&["demo-data", "--world", world, dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "demo-data failed: {}",
        text(&out.stderr)
    );
    let labels: Value =
        serde_json::from_slice(&std::fs::read(dir.join("labels.json")).unwrap()).unwrap();
    let mut args: Vec<String> = vec![
        "hunt".into(),
        "--format".into(),
        "json".into(),
        "--config".into(),
        dir.join("rampart.toml").display().to_string(),
        "--indicators".into(),
        dir.join("campaign.csv").display().to_string(),
    ];
    for entry in std::fs::read_dir(dir.join("exports")).unwrap() {
        let entry = entry.unwrap();
        let slug = entry.file_name().to_string_lossy().into_owned();
        args.push(format!("{slug}={}", entry.path().display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = rampart(&args);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "hunt failed: {stderr}");
    let findings = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is a JSON finding"))
        .collect();
    (findings, labels, stderr)
}

const SEVERITIES: [&str; 5] = ["info", "low", "medium", "high", "critical"];

fn rank(f: &Value) -> (usize, u64) {
    let sev = SEVERITIES
        .iter()
        .position(|s| f["severity"] == *s)
        .expect("a known severity");
    (sev, f["score"].as_u64().unwrap_or(0))
}

struct Score {
    attacks: usize,
    caught: usize,
    /// Precision over the findings, ranked by severity then score, down to the point
    /// where every attack is caught.
    precision_at_full_recall: Option<f64>,
    missed: Vec<String>,
    false_positives: Vec<String>,
    weak_proven: Vec<String>,
}

/// Scores findings against labels as `labels.json` defines them: an attack (one
/// `attack_id`, one or more records) is caught when a finding lists one of its records
/// among its `event_ids`; a finding is a true positive when it lists an attack record.
fn score(findings: &[Value], labels: &Value) -> Score {
    let records: HashMap<&str, &Value> = labels["attacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["record_id"].as_str().unwrap(), a))
        .collect();
    let attack_ids: HashSet<&str> = records
        .values()
        .map(|a| a["attack_id"].as_str().unwrap())
        .collect();
    let ids = |f: &Value| -> Vec<String> {
        f["event_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let attacks_of = |f: &Value| -> HashSet<&str> {
        ids(f)
            .iter()
            .filter_map(|i| records.get(i.as_str()))
            .map(|a| a["attack_id"].as_str().unwrap())
            .collect()
    };
    let caught: HashSet<&str> = findings.iter().flat_map(attacks_of).collect();
    let mut ranked: Vec<&Value> = findings.iter().collect();
    ranked.sort_by_key(|f| std::cmp::Reverse(rank(f)));
    let mut seen = HashSet::new();
    let mut precision = None;
    let (mut n, mut tp) = (0usize, 0usize);
    for f in &ranked {
        let hit = attacks_of(f);
        n += 1;
        tp += usize::from(!hit.is_empty());
        seen.extend(hit);
        if seen.len() == attack_ids.len() {
            precision = Some(tp as f64 / n as f64);
            break;
        }
    }
    let describe = |a: &Value| {
        format!(
            "{} {} {} {} {} {}",
            a["attack_id"], a["kind"], a["tenant"], a["user"], a["time"], a["outcome"]
        )
    };
    let mut missed: Vec<String> = records
        .values()
        .filter(|a| !caught.contains(a["attack_id"].as_str().unwrap()))
        .map(|a| describe(a))
        .collect();
    missed.sort();
    missed.dedup();
    let false_positives = findings
        .iter()
        .filter(|f| attacks_of(f).is_empty())
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["severity"], f["kind"], f["user"], f["title"]
            )
        })
        .collect();
    // Every password-proven attack record must be in a finding rated high or above.
    let weak_proven = records
        .values()
        .filter(|a| a["password_proven"] == true)
        .filter(|a| {
            !findings.iter().any(|f| {
                rank(f).0 >= 3 && ids(f).iter().any(|i| i == a["record_id"].as_str().unwrap())
            })
        })
        .map(|a| describe(a))
        .collect();
    Score {
        attacks: attack_ids.len(),
        caught: caught.len(),
        precision_at_full_recall: precision,
        missed,
        false_positives,
        weak_proven,
    }
}

impl Score {
    /// Recall 1.0, precision at full recall ≥ 0.95, every password-proven attack ≥ high.
    fn assert_meets_the_bar(&self) {
        assert!(self.missed.is_empty(), "missed attacks: {:#?}", self.missed);
        assert!(
            self.weak_proven.is_empty(),
            "password-proven attacks below high: {:#?}",
            self.weak_proven
        );
        let p = self.precision_at_full_recall.unwrap_or(0.0);
        assert!(
            p >= 0.95,
            "precision {p} at full recall; false positives: {:#?}",
            self.false_positives
        );
    }
}

fn of_kind<'a>(findings: &'a [Value], kind: &str) -> Vec<&'a Value> {
    findings.iter().filter(|f| f["kind"] == kind).collect()
}

#[test]
fn seed_story_is_found_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let (findings, labels, stderr) = generate_and_hunt("seed-story", dir.path());

    // Partner 1: New York → Phoenix minutes apart, a "failure" that proved the password.
    let travel = of_kind(&findings, "impossible_travel");
    let ny_phx = travel
        .iter()
        .find(|f| f["tenant"] == "acme-dental" && f["title"].as_str().unwrap().contains("Phoenix"))
        .unwrap_or_else(|| panic!("no New York → Phoenix finding at acme-dental: {findings:#?}"));
    assert_eq!(ny_phx["severity"], "critical", "{ny_phx:#}");
    let ev = &ny_phx["evidence"];
    assert!(ev["minutes"].as_f64().unwrap() < 60.0, "{ev:#}");
    assert!(ev["distance_km"].as_f64().unwrap() > 3000.0, "{ev:#}");
    assert_eq!(ev["to"]["city"], "Phoenix");

    // Partner 2: the vacationer, caught only because the IP was the attacker's at partner 1.
    let cross = of_kind(&findings, "cross_tenant_ip");
    let vac = cross
        .iter()
        .find(|f| f["tenant"] == "brightline-law")
        .unwrap_or_else(|| panic!("no cross-tenant finding at brightline-law: {findings:#?}"));
    assert!(matches!(
        vac["severity"].as_str(),
        Some("high" | "critical")
    ));
    assert!(!vac["title"].as_str().unwrap().contains("acme"));
    assert_eq!(vac["evidence"]["origin_tenant"], "acme-dental");

    // Partner 3: the campaign's indicator list stops it.
    let hits = of_kind(&findings, "indicator_match");
    assert!(
        hits.iter()
            .any(|f| f["tenant"] == "delta-clinic" && f["severity"] == "critical"),
        "{findings:#?}"
    );

    let s = score(&findings, &labels);
    s.assert_meets_the_bar();
    assert_eq!(s.caught, s.attacks);
    assert!(stderr.contains("findings:"), "{stderr}");
}

#[test]
fn evaluation_world_reaches_precision_095_at_full_recall() {
    let dir = tempfile::tempdir().unwrap();
    let (findings, labels, _) = generate_and_hunt("evaluation", dir.path());
    let s = score(&findings, &labels);
    eprintln!(
        "evaluation: {} attacks, {} caught, precision at full recall {:?}, {} false positives",
        s.attacks,
        s.caught,
        s.precision_at_full_recall,
        s.false_positives.len()
    );
    s.assert_meets_the_bar();
}

#[test]
fn cli_unknown_config_key_names_key_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("rampart.toml");
    std::fs::write(
        &cfg,
        "[tenants.acme]\nname = \"Acme\"\ntrusted_netwroks = []\n",
    )
    .unwrap();
    let input = dir.path().join("empty.ndjson");
    std::fs::write(&input, "").unwrap();
    let out = rampart(&[
        "hunt",
        "--config",
        cfg.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("trusted_netwroks") && err.contains("line 3"),
        "{err}"
    );
}

#[test]
fn cli_usage_and_io_errors_have_distinct_exit_codes() {
    let out = rampart(&["hunt", "--format", "yaml", "x.json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = rampart(&["hunt", "/nonexistent/exports"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("/nonexistent/exports"),
        "{}",
        text(&out.stderr)
    );
    let out = rampart(&["hunt", "--help"]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("[TENANT=]PATH"));
}

#[test]
fn cli_bad_records_are_rejected_with_reasons_and_kept_as_dead_letters() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("okta.ndjson");
    let good = r#"{"uuid":"e1","published":"2026-07-01T10:00:00.000Z","eventType":"user.session.start","actor":{"id":"00u1","type":"User","alternateId":"Ana@Example.com","displayName":"Ana"},"client":{"ipAddress":"198.51.100.4","geographicalContext":{"city":"New York","state":"New York","country":"United States","geolocation":{"lat":40.71,"lon":-74.0}}},"outcome":{"result":"SUCCESS"}}"#;
    std::fs::write(
        &input,
        format!("{good}\n{{\"uuid\": \"broken\"\nnot json at all\n"),
    )
    .unwrap();
    let dead = dir.path().join("dead.ndjson");
    let out = rampart(&[
        "hunt",
        "--dead-letter",
        dead.to_str().unwrap(),
        &format!("acme={}", input.display()),
    ]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("1 sign-ins decoded"), "{err}");
    assert!(err.contains("2 rejected"), "{err}");
    assert!(err.contains("line 2"), "{err}");
    let dead = std::fs::read_to_string(&dead).unwrap();
    let lines: Vec<Value> = dead
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines
            .iter()
            .all(|l| !l["reason"].as_str().unwrap().is_empty())
    );
    assert_eq!(lines[0]["line"], 2);
}

#[test]
fn cli_records_without_a_tenant_are_rejected_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("okta.ndjson");
    std::fs::write(
        &input,
        r#"{"uuid":"e1","published":"2026-07-01T10:00:00.000Z","eventType":"user.session.start","actor":{"alternateId":"ana@example.com","type":"User"},"client":{"ipAddress":"198.51.100.4"},"outcome":{"result":"SUCCESS"}}"#,
    )
    .unwrap();
    let out = rampart(&["hunt", input.to_str().unwrap()]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("TENANT=PATH"), "{err}");
    assert!(err.contains("1 rejected"), "{err}");
}

/// O365 records carry no coordinates: `--geoip` places them, and travel is found.
#[test]
fn cli_geoip_places_records_without_coordinates() {
    use rampart_geo::testdb::{CityEntry, write_city_db};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("city.mmdb");
    let entry = |net: &str, lat, lon, city: &str, cc: &str| CityEntry {
        network: net.parse().unwrap(),
        lat,
        lon,
        accuracy_radius: 20,
        city: Some(city.into()),
        region: None,
        country: Some(cc.into()),
    };
    write_city_db(
        &db,
        &[
            entry("203.0.113.0/24", 40.71, -74.0, "New York", "US"),
            entry("45.155.205.0/24", 33.45, -112.07, "Phoenix", "US"),
        ],
    )
    .unwrap();
    let record = |id: &str, time: &str, ip: &str, op: &str, err: &str| {
        format!(
            r#"{{"CreationTime":"{time}","Id":"{id}","Operation":"{op}","OrganizationId":"0f0f0f0f-1111-2222-3333-444455556666","RecordType":15,"ResultStatus":"Success","UserKey":"10032001","UserType":0,"Version":1,"Workload":"AzureActiveDirectory","ClientIP":"{ip}","ObjectId":"00000002-0000-0ff1-ce00-000000000000","UserId":"ana@acme.example","AzureActiveDirectoryEventType":1,"ExtendedProperties":[{{"Name":"UserAgent","Value":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)"}},{{"Name":"RequestType","Value":"Login:login"}}],"ErrorNumber":"{err}"}}"#
        )
    };
    let input = dir.path().join("ual.ndjson");
    std::fs::write(
        &input,
        [
            record(
                "00000000-0000-0000-0000-000000000001",
                "2026-07-01T13:00:00",
                "203.0.113.9",
                "UserLoggedIn",
                "0",
            ),
            record(
                "00000000-0000-0000-0000-000000000002",
                "2026-07-01T13:20:00",
                "45.155.205.12",
                "UserLoginFailed",
                "50074",
            ),
        ]
        .join("\n"),
    )
    .unwrap();
    let cfg = dir.path().join("rampart.toml");
    std::fs::write(
        &cfg,
        "[tenants.acme]\nprovider_ids = [\"0f0f0f0f-1111-2222-3333-444455556666\"]\n",
    )
    .unwrap();
    let args = |geo: bool| {
        let mut a = vec![
            "hunt".to_owned(),
            "--format".into(),
            "json".into(),
            "--config".into(),
            cfg.display().to_string(),
        ];
        if geo {
            a.push("--geoip".into());
            a.push(db.display().to_string());
        }
        a.push(input.display().to_string());
        a
    };
    let out = rampart(&args(true).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let findings = json_lines(&out);
    let travel = of_kind(&findings, "impossible_travel");
    assert_eq!(travel.len(), 1, "{findings:#?}");
    assert_eq!(travel[0]["tenant"], "acme");
    assert_eq!(travel[0]["evidence"]["to"]["geo_source"], "geo_ip");
    assert!(matches!(
        travel[0]["severity"].as_str(),
        Some("high" | "critical")
    ));
    // Without the database nothing can be placed, and the summary says so.
    let out = rampart(&args(false).iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success());
    assert!(text(&out.stdout).trim().is_empty(), "{}", text(&out.stdout));
    assert!(
        text(&out.stderr).contains("no location 2"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn cli_ocsf_and_table_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let out = rampart(&["demo-data", dir.path().to_str().unwrap()]);
    assert!(out.status.success());
    let d = dir.path();
    let inputs: Vec<String> = std::fs::read_dir(d.join("exports"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            format!("{}={}", e.file_name().to_string_lossy(), e.path().display())
        })
        .collect();
    let mut base = vec![
        "hunt".to_owned(),
        "--config".into(),
        d.join("rampart.toml").display().to_string(),
        "--indicators".into(),
        d.join("campaign.csv").display().to_string(),
        "--min-severity".into(),
        "high".into(),
    ];
    base.extend(inputs);
    let run = |fmt: &str| {
        let mut a = base.clone();
        a.push("--format".into());
        a.push(fmt.into());
        let out = rampart(&a.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let ocsf = run("ocsf");
    let lines: Vec<Value> = ocsf
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l["class_uid"] == 2004), "{ocsf}");
    let table = run("table");
    assert!(
        table.contains("impossible_travel") && table.contains("Phoenix"),
        "{table}"
    );
    assert!(
        !table.contains(" low "),
        "--min-severity high hides low findings"
    );
}

#[test]
fn cli_every_shared_sample_is_read_without_failing_the_run() {
    let Some(samples) = rampart_testkit::shared("samples") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let dead: PathBuf = dir.path().join("dead.ndjson");
    let out = rampart(&[
        "hunt",
        "--dead-letter",
        dead.to_str().unwrap(),
        &format!("samples={}", samples.display()),
    ]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    // The deliberately invalid Graph v1.0 sample is rejected, with its file named.
    let dead = std::fs::read_to_string(&dead).unwrap();
    assert!(dead.contains("INVALID-trailing-comma"), "{dead}");
    assert!(err.contains("skipped"), "{err}");
}

#[test]
fn cli_normalize_round_trips_through_ocsf() {
    let dir = tempfile::tempdir().unwrap();
    let out = rampart(&["demo-data", dir.path().to_str().unwrap()]);
    assert!(out.status.success());
    let acme = format!(
        "acme-dental={}",
        dir.path().join("exports/acme-dental").display()
    );
    let json = rampart(&["normalize", &acme]);
    assert!(json.status.success(), "{}", text(&json.stderr));
    let native = json_lines(&json);
    assert!(native.len() > 100);
    assert!(
        native
            .iter()
            .all(|s| s["tenant"] == "acme-dental" && s["source_format"] == "entra_graph")
    );
    // Events come out in time order even though Graph pages are newest first.
    assert!(
        native
            .windows(2)
            .all(|w| w[0]["time"].as_str() <= w[1]["time"].as_str())
    );

    let ocsf = rampart(&["normalize", "--format", "ocsf", &acme]);
    assert!(ocsf.status.success());
    let ocsf_file = dir.path().join("acme.ocsf.ndjson");
    std::fs::write(&ocsf_file, &ocsf.stdout).unwrap();
    let lines = json_lines(&ocsf);
    assert_eq!(lines.len(), native.len());
    assert!(lines.iter().all(|l| l["class_uid"] == 3002));
    // Reading the OCSF back gives the same users, times, IPs and outcomes.
    let back = rampart(&["normalize", &format!("acme-dental={}", ocsf_file.display())]);
    assert!(back.status.success(), "{}", text(&back.stderr));
    let back = json_lines(&back);
    assert_eq!(back.len(), native.len());
    for (a, b) in native.iter().zip(&back) {
        for key in ["user", "time", "ip", "outcome", "record_id"] {
            assert_eq!(a[key], b[key], "{key}: {a} vs {b}");
        }
        assert_eq!(b["source_format"], "ocsf");
    }
}

#[test]
fn cli_rules_check_reports_loaded_and_rejected_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("good.yml"), MFA_RULE).unwrap();
    std::fs::write(
        dir.path().join("bad.yml"),
        "title: Broken\nlogsource:\n  product: azure\ndetection:\n  sel:\n    ResultType|nosuchmodifier: 1\n  condition: sel and other\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a rule").unwrap();
    let out = rampart(&[
        "rules",
        "check",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["loaded"], 1, "{v}");
    assert_eq!(v["filters"], 0, "{v}");
    let rejected = v["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{v}");
    assert!(rejected[0]["path"].as_str().unwrap().ends_with("bad.yml"));
    assert!(!rejected[0]["reason"].as_str().unwrap().is_empty());
    let human = rampart(&["rules", "check", dir.path().to_str().unwrap()]);
    assert!(
        text(&human.stdout).starts_with("1 rules loaded, 1 rejected"),
        "{}",
        text(&human.stdout)
    );
}

#[test]
fn cli_rules_test_says_which_rule_matches_which_event() {
    let dir = tempfile::tempdir().unwrap();
    let rule = dir.path().join("mfa.yml");
    std::fs::write(&rule, MFA_RULE).unwrap();
    let events = dir.path().join("events.ndjson");
    // The same code as a string and as a number must both match.
    std::fs::write(
        &events,
        "{\"ResultType\": \"0\"}\n{\"ResultType\": \"500121\"}\n\n{\"ResultType\": 500121}\n",
    )
    .unwrap();
    let lines = rules_test_json(&rule, &events);
    let idx: Vec<u64> = lines.iter().map(|l| l["index"].as_u64().unwrap()).collect();
    assert_eq!(idx, [1, 2]);
    assert_eq!(lines[0]["rule_id"], "11111111-1111-4111-8111-111111111111");
    assert_eq!(lines[0]["rule_title"], "MFA denied");
    // A Graph page is read as its events.
    let page = dir.path().join("page.json");
    std::fs::write(
        &page,
        r#"{"value": [{"ResultType": 1}, {"ResultType": 500121}]}"#,
    )
    .unwrap();
    let out = rampart(&[
        "rules",
        "test",
        rule.to_str().unwrap(),
        page.to_str().unwrap(),
    ]);
    assert!(
        text(&out.stdout).contains("event 1: MFA denied"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        text(&out.stdout).contains("by Rampart"),
        "the author is shown with every match"
    );
}

#[test]
fn cli_rules_test_reads_windows_event_json_from_the_sigma_regression_data() {
    let Some(case) = rampart_testkit::shared(
        "sigma/regression_data/rules-threat-hunting/windows/image_load/image_load_win_werfaultsecure_dbgcore_dbghelp_load",
    ) else {
        return;
    };
    let Some(rule) = rampart_testkit::shared(
        "sigma/rules-threat-hunting/windows/image_load/image_load_win_werfaultsecure_dbgcore_dbghelp_load.yml",
    ) else {
        return;
    };
    let event = std::fs::read_dir(&case)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let lines = rules_test_json(&rule, &event);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["rule_id"], "8a2f4b1c-3d5e-4f7a-9b2c-1e4f6d8a9c2b");
    assert_eq!(lines[0]["index"], 0);
}

#[test]
fn cli_bench_indicators_reports_its_figures_last() {
    let out = rampart(&[
        "bench",
        "indicators",
        "--count",
        "5000",
        "--lookups",
        "5000",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("indicators: n=5000 load_s="), "{last}");
    assert!(last.contains(" lookup_ns="), "{last}");
}

/// The SigmaHQ rule for interrupted MFA is written for Log Analytics names; the shipped
/// mapping lets it read a raw Azure Monitor export record and a raw Graph record.
#[test]
fn cli_rules_test_runs_sigmahq_identity_rules_on_raw_exports() {
    let Some(rule) =
        rampart_testkit::shared("sigma/rules/cloud/azure/signin_logs/azure_mfa_interrupted.yml")
    else {
        return;
    };
    let Some(sample) =
        rampart_testkit::shared("samples/entra/entra-signinlogs-eventhub-50076-splunk.json")
    else {
        return;
    };
    let run = |path: &Path| rules_test_json(&rule, path);
    // The real record is a 50076 (MFA required), which this rule does not cover.
    assert!(run(&sample).is_empty());
    // The same record as a 500121 (MFA denied) is what the rule is about.
    let mut v: Value = serde_json::from_slice(&std::fs::read(&sample).unwrap()).unwrap();
    let reason = "Authentication failed during strong authentication request.";
    v["resultType"] = Value::from("500121");
    v["resultDescription"] = Value::from(reason);
    v["properties"]["status"]["errorCode"] = Value::from(500121);
    v["properties"]["status"]["failureReason"] = Value::from(reason);
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export.json");
    std::fs::write(&export, serde_json::to_vec(&v).unwrap()).unwrap();
    let hits = run(&export);
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits[0]["rule_title"],
        "Multifactor Authentication Interrupted"
    );
    // As a Graph signIn (no `properties` envelope) it matches too.
    let graph = dir.path().join("graph.json");
    std::fs::write(&graph, serde_json::to_vec(&v["properties"]).unwrap()).unwrap();
    assert_eq!(run(&graph).len(), 1);
}

/// An Okta rule about a record that is not a sign-in (a factor reset).
const OKTA_FACTOR_RULE: &str = "title: MFA factor removed\nid: 22222222-2222-4222-8222-222222222222\nauthor: Rampart tests\nlevel: high\ntags:\n  - attack.persistence\n  - attack.t1556.006\nfalsepositives:\n  - A user replacing a lost phone\nlogsource:\n  product: okta\n  service: okta\ndetection:\n  sel:\n    eventtype: user.mfa.factor.deactivate\n  condition: sel\n";

/// `hunt --rules`: rules see every raw record of their log source (sign-ins and others),
/// matches are `sigma` findings with the rule's metadata and author in the tenant of the
/// record, and records of another product are not evaluated by the rule.
#[test]
fn cli_hunt_rules_raise_sigma_findings_with_rule_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).unwrap();
    std::fs::write(rules.join("okta_factor.yml"), OKTA_FACTOR_RULE).unwrap();
    std::fs::write(rules.join("mfa_denied.yml"), MFA_RULE).unwrap();
    std::fs::write(
        rules.join("broken.yml"),
        "title: broken\ndetection:\n  condition: nope\n",
    )
    .unwrap();

    let okta = |uuid: &str, event: &str, user: &str, t: &str| {
        serde_json::json!({"uuid": uuid, "published": t, "eventType": event,
            "actor": {"alternateId": user, "type": "User"},
            "client": {"ipAddress": "203.0.113.9"}, "outcome": {"result": "SUCCESS"}})
    };
    let acme = dir.path().join("acme.ndjson");
    std::fs::write(
        &acme,
        [
            okta(
                "o-1",
                "user.session.start",
                "ana@acme.example",
                "2026-03-02T10:00:00Z",
            ),
            okta(
                "o-2",
                "user.mfa.factor.deactivate",
                "ana@acme.example",
                "2026-03-02T10:03:00Z",
            ),
        ]
        .iter()
        .map(|v| format!("{v}\n"))
        .collect::<String>(),
    )
    .unwrap();
    // Another tenant: an Entra sign-in whose MFA was denied, and an Okta session start.
    let graph = serde_json::json!({"id": "g-1", "createdDateTime": "2026-03-02T11:00:00Z",
        "userPrincipalName": "bo@bright.example", "ipAddress": "198.51.100.4",
        "status": {"errorCode": 500121, "failureReason": "Authentication failed during strong authentication request."}});
    let bright = dir.path().join("bright.json");
    std::fs::write(&bright, serde_json::json!([graph]).to_string()).unwrap();

    let out = rampart(&[
        "hunt",
        "--format",
        "json",
        "--no-builtin-rules",
        "--rules",
        rules.to_str().unwrap(),
        &format!("acme={}", acme.display()),
        &format!("bright={}", bright.display()),
    ]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("2 loaded") && stderr.contains("1 rejected"),
        "{stderr}"
    );
    let findings = json_lines(&out);
    let sigma = of_kind(&findings, "sigma");
    assert_eq!(sigma.len(), 2, "{findings:#?}");

    let factor = sigma.iter().find(|f| f["tenant"] == "acme").unwrap();
    assert_eq!(factor["title"], "MFA factor removed");
    assert_eq!(factor["severity"], "high");
    assert_eq!(factor["user"], "ana@acme.example");
    assert_eq!(factor["time"], "2026-03-02T10:03:00Z");
    assert_eq!(factor["event_ids"], serde_json::json!(["o-2"]));
    let rule = &factor["evidence"]["rule"];
    assert_eq!(rule["id"], "22222222-2222-4222-8222-222222222222");
    assert_eq!(rule["author"], "Rampart tests");
    assert_eq!(rule["tags"][1], "attack.t1556.006");
    assert!(rule["file"].as_str().unwrap().ends_with("okta_factor.yml"));
    assert_eq!(factor["evidence"]["events"][0]["record"], 2);
    assert_eq!(factor["evidence"]["events"][0]["source_format"], "okta");
    let why = factor["evidence"]["reasons"].to_string();
    assert!(
        why.contains("by Rampart tests"),
        "the author is shown: {why}"
    );
    assert!(why.contains("lost phone"), "{why}");

    let denied = sigma.iter().find(|f| f["tenant"] == "bright").unwrap();
    assert_eq!(denied["title"], "MFA denied");
    assert_eq!(denied["user"], "bo@bright.example");
    assert_eq!(denied["severity"], "medium", "no level: medium");

    // OCSF carries the rule as the analytic, and the ATT&CK technique.
    let out = rampart(&[
        "hunt",
        "--format",
        "ocsf",
        "--quiet",
        "--no-builtin-rules",
        "--rules",
        rules.join("okta_factor.yml").to_str().unwrap(),
        &format!("acme={}", acme.display()),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ocsf = json_lines(&out);
    let f = ocsf
        .iter()
        .find(|f| f["finding_info"]["analytic"]["uid"] == "22222222-2222-4222-8222-222222222222")
        .unwrap();
    assert_eq!(
        f["finding_info"]["attacks"][0]["technique"]["uid"],
        "T1556.006"
    );

    // Without a tenant, records are not evaluated — and the summary says so.
    let out = rampart(&[
        "hunt",
        "--no-builtin-rules",
        "--rules",
        rules.to_str().unwrap(),
        acme.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("2 records not evaluated: no tenant"),
        "{stderr}"
    );
    assert!(of_kind(&json_lines_or_empty(&out), "sigma").is_empty());

    // A rule set that loads nothing is an error, not a silent empty hunt.
    let out = rampart(&[
        "hunt",
        "--no-builtin-rules",
        "--rules",
        rules.join("broken.yml").to_str().unwrap(),
        &format!("acme={}", acme.display()),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no rule loaded"),
        "{}",
        text(&out.stderr)
    );
}

/// Standard output as JSON lines when it is JSON, else nothing (table output).
fn json_lines_or_empty(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The repo's own rules (`rules/identity`).
fn own_rules() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules")
}

fn graph_signin(id: &str, user: &str, minute: u32, code: u32) -> Value {
    serde_json::json!({"id": id, "createdDateTime": format!("2026-03-02T10:{minute:02}:00Z"),
        "userPrincipalName": user, "ipAddress": "198.51.100.4", "appDisplayName": "Office 365",
        "clientAppUsed": "Browser", "status": {"errorCode": code}})
}

/// `hunt` runs Rampart's built-in rules with no `--rules`: its correlation (five wrong
/// passwords, then a success, for one user within 10 minutes) fires once, in event time
/// whatever the order of the files, and only on one tenant's records: the same account
/// name at another tenant does not add to the count. `--no-builtin-rules` turns it off.
#[test]
fn cli_hunt_builtin_rules_run_correlations_in_event_time_per_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let user = "ana@acme.example";
    // acme: four wrong passwords, in two files given newest first, then a success.
    let late = dir.path().join("acme-2.json");
    std::fs::write(
        &late,
        serde_json::json!([
            graph_signin("a-4", user, 4, 50126),
            graph_signin("a-5", user, 5, 50126),
            graph_signin("a-9", user, 9, 0),
        ])
        .to_string(),
    )
    .unwrap();
    let early = dir.path().join("acme-1.json");
    std::fs::write(
        &early,
        serde_json::json!([
            graph_signin("a-1", user, 1, 50126),
            graph_signin("a-2", user, 2, 50126),
        ])
        .to_string(),
    )
    .unwrap();
    // bright: one wrong password for an account of the same name.
    let bright = dir.path().join("bright.json");
    std::fs::write(
        &bright,
        serde_json::json!([graph_signin("b-3", user, 3, 50126)]).to_string(),
    )
    .unwrap();
    let hunt_with = |acme_files: &[&Path], extra: &[&str]| {
        let mut args: Vec<String> = vec![
            "hunt".into(),
            "--format".into(),
            "json".into(),
            format!("bright={}", bright.display()),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(acme_files.iter().map(|f| format!("acme={}", f.display())));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = rampart(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        json_lines(&out)
            .into_iter()
            .filter(|f| f["kind"] == "sigma")
            .collect::<Vec<_>>()
    };
    let hunt = |acme_files: &[&Path]| hunt_with(acme_files, &[]);
    // Four failures at acme (and one at bright): the correlation does not fire, and the
    // base rules that only feed it are not reported on their own.
    let sigma = hunt(&[&late, &early]);
    assert!(sigma.is_empty(), "{sigma:#?}");

    // A fifth failure at acme, in a third file: now it fires, once.
    let fifth = dir.path().join("acme-3.json");
    std::fs::write(
        &fifth,
        serde_json::json!([graph_signin("a-6", user, 6, 50126)]).to_string(),
    )
    .unwrap();
    let sigma = hunt(&[&late, &fifth, &early]);
    assert_eq!(sigma.len(), 1, "{sigma:#?}");
    let f = &sigma[0];
    assert_eq!(f["tenant"], "acme");
    assert_eq!(f["user"], user);
    assert_eq!(f["severity"], "high");
    assert_eq!(f["time"], "2026-03-02T10:09:00Z");
    assert_eq!(
        f["title"],
        "Many Failed Sign-Ins Followed by a Successful Sign-In"
    );
    assert_eq!(f["evidence"]["rule"]["author"], "Rampart");
    let c = &f["evidence"]["correlation"];
    assert_eq!(c["type"], "temporal_ordered");
    assert_eq!(c["group"]["UserPrincipalName"], user);
    assert_eq!(c["window_end"], "2026-03-02T10:09:00Z");
    let ids: Vec<&str> = f["event_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a-1", "a-2", "a-4", "a-5", "a-6", "a-9"]);
    assert!(
        f["evidence"]["rule"]["file"]
            .as_str()
            .unwrap()
            .starts_with("rules/identity/")
    );

    // The same rules from the repo's directory give the same finding; without the
    // built-in rules there is none.
    let from_dir = hunt_with(
        &[&late, &fifth, &early],
        &[
            "--no-builtin-rules",
            "--rules",
            own_rules().to_str().unwrap(),
        ],
    );
    assert_eq!(from_dir.len(), 1);
    assert_eq!(from_dir[0]["event_ids"], f["event_ids"]);
    assert!(hunt_with(&[&late, &fifth, &early], &["--no-builtin-rules"]).is_empty());
}

/// `rules check` counts correlations among the loaded rules and rejects a correlation
/// that names a rule the set does not have.
#[test]
fn cli_rules_check_counts_correlations_and_rejects_dangling_references() {
    let out = rampart(&[
        "rules",
        "check",
        "--format",
        "json",
        own_rules().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(report["correlations"].as_u64().unwrap() >= 1, "{report}");
    assert!(report["loaded"].as_u64() > report["correlations"].as_u64());
    assert_eq!(report["rejected"], serde_json::json!([]));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dangling.yml");
    std::fs::write(
        &file,
        "title: Dangling\ncorrelation:\n  type: event_count\n  rules:\n    - no_such_rule\n  timespan: 5m\n  condition:\n    gte: 2\n",
    )
    .unwrap();
    let out = rampart(&["rules", "check", "--format", "json", file.to_str().unwrap()]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["loaded"], 0, "{report}");
    let reason = report["rejected"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("no_such_rule"), "{reason}");
    assert!(
        report["rejected"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("dangling.yml")
    );
}
