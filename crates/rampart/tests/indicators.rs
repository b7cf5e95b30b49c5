//! End-to-end tests of `rampart indicators import|export|list|check` on a temporary
//! data directory.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn rampart(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .arg("--data-dir")
        .arg(data)
        .env_remove("RAMPART_LOG")
        .env_remove("RAMPART_DATA_DIR")
        .output()
        .expect("the rampart binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

const CAMPAIGN_CSV: &str = "type,value,description\n\
ip-dst,45.155.205[.]12,AiTM relay\n\
domain,secure-docs[.]example,phishing kit\n\
ip-dst,45.155.205.999,typo in the feed\n\
url,hxxps://login-micros0ft[.]example/common/oauth2,lure\n";

#[test]
fn defanged_csv_then_check_listed_and_unlisted() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("campaign.csv");
    std::fs::write(&csv, CAMPAIGN_CSV).unwrap();
    let out = rampart(
        &data,
        &[
            "indicators",
            "import",
            csv.to_str().unwrap(),
            "--source",
            "storm-aitm",
            "--tlp",
            "green",
        ],
    );
    ok(&out);
    let err = text(&out.stderr);
    assert!(err.contains("3 imported (3 new, 0 merged)"), "{err}");
    // The bad value is reported with its line; the rest imported.
    assert!(err.contains("line 4"), "{err}");
    assert!(err.contains("45.155.205.999"), "{err}");
    assert!(data.join("rampart.sqlite").is_file());

    let out = rampart(
        &data,
        &["indicators", "check", "45.155.205.12", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    let v = &lines[0];
    assert_eq!(v["matched"], true);
    let m = &v["matches"][0];
    assert_eq!(m["how"], "exact");
    assert_eq!(m["indicator"]["verdict"], "malicious");
    assert_eq!(m["indicator"]["tlp"], "green");
    assert_eq!(m["indicator"]["description"], "AiTM relay");
    assert_eq!(m["indicator"]["provenance"]["name"], "storm-aitm");
    assert!(m["from"].as_str().unwrap().contains("storm-aitm"), "{m}");

    // A subdomain of a listed domain matches too, and says how.
    let out = rampart(
        &data,
        &[
            "indicators",
            "check",
            "www.secure-docs.example",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(json_lines(&out)[0]["matches"][0]["how"], "subdomain");

    let out = rampart(
        &data,
        &["indicators", "check", "198.51.100.77", "--format", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = &json_lines(&out)[0];
    assert_eq!(v["matched"], false);
    assert_eq!(v["matches"].as_array().unwrap().len(), 0);

    // A re-import merges into the same records.
    let out = rampart(
        &data,
        &[
            "indicators",
            "import",
            csv.to_str().unwrap(),
            "--source",
            "storm-aitm",
        ],
    );
    ok(&out);
    assert!(
        text(&out.stderr).contains("3 imported (0 new, 3 merged)"),
        "{}",
        text(&out.stderr)
    );
    let out = rampart(&data, &["indicators", "list", "--format", "json"]);
    ok(&out);
    let listed = json_lines(&out);
    assert_eq!(listed.len(), 3);
    assert!(listed.iter().all(|i| i["sightings"] == 2), "{listed:?}");
    let out = rampart(&data, &["indicators", "list", "--type", "domain"]);
    ok(&out);
    let table = text(&out.stdout);
    assert!(table.contains("secure-docs.example"), "{table}");
    assert!(!table.contains("45.155.205.12"), "{table}");
}

const BUNDLE: &str = r#"{
  "type": "bundle",
  "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
  "objects": [
    {
      "type": "marking-definition", "spec_version": "2.1",
      "id": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
      "created": "2022-10-01T00:00:00.000Z", "name": "TLP:AMBER+STRICT",
      "extensions": {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {"extension_type": "property-extension", "tlp_2_0": "amber+strict"}}
    },
    {
      "type": "campaign", "spec_version": "2.1",
      "id": "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
      "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
      "name": "Storm-0000 AiTM"
    },
    {
      "type": "indicator", "spec_version": "2.1",
      "id": "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
      "created": "2026-11-02T00:00:00.000Z", "modified": "2026-11-02T00:00:00.000Z",
      "name": "AiTM relay",
      "indicator_types": ["malicious-activity"],
      "pattern": "[ipv4-addr:value = '45.155.205.12'] OR [domain-name:value = 'secure-docs.example']",
      "pattern_type": "stix",
      "valid_from": "2026-11-02T00:00:00Z",
      "valid_until": "2027-11-02T00:00:00Z",
      "confidence": 85,
      "labels": ["phishing"],
      "object_marking_refs": ["marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"]
    },
    {
      "type": "relationship", "spec_version": "2.1",
      "id": "relationship--6a1a2f55-3d0c-4c1e-9f55-5b7d7b1f7c01",
      "created": "2026-11-02T00:00:00.000Z", "modified": "2026-11-02T00:00:00.000Z",
      "relationship_type": "indicates",
      "source_ref": "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade",
      "target_ref": "campaign--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    },
    {
      "type": "indicator", "spec_version": "2.1",
      "id": "indicator--1ed8caa7-a708-4706-b651-f1186ede6ca1",
      "created": "2026-11-02T00:00:00.000Z", "modified": "2026-11-02T00:00:00.000Z",
      "pattern": "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
      "pattern_type": "stix",
      "valid_from": "2026-11-02T00:00:00Z",
      "indicator_types": ["anomalous-activity"]
    }
  ]
}"#;

/// The fields that must survive STIX → Rampart → STIX → Rampart (not provenance: the
/// second import is from another file).
fn essence(v: &Value) -> Value {
    let mut tags: Vec<String> = v["tags"]
        .as_array()
        .map(|t| t.iter().map(|x| x.to_string()).collect())
        .unwrap_or_default();
    tags.sort();
    serde_json::json!({
        "observable": v["observable"],
        "verdict": v["verdict"],
        "confidence": v["confidence"],
        "tlp": v["tlp"],
        "valid_until": v["valid_until"],
        "tags": tags,
    })
}

#[test]
fn stix_bundle_round_trip_and_csv_export() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let bundle = dir.path().join("bundle.json");
    std::fs::write(&bundle, BUNDLE).unwrap();
    ok(&rampart(
        &a,
        &["indicators", "import", bundle.to_str().unwrap()],
    ));
    let out = rampart(&a, &["indicators", "list", "--format", "json"]);
    ok(&out);
    let first = json_lines(&out);
    assert_eq!(first.len(), 3, "{first:?}");
    assert!(first.iter().any(|i| i["tlp"] == "amber+strict"));

    let exported = dir.path().join("out.json");
    ok(&rampart(
        &a,
        &[
            "indicators",
            "export",
            "--format",
            "stix",
            "-o",
            exported.to_str().unwrap(),
        ],
    ));
    let stix: Value = serde_json::from_slice(&std::fs::read(&exported).unwrap()).unwrap();
    assert_eq!(stix["type"], "bundle");
    let objects = stix["objects"].as_array().unwrap();
    let patterns: Vec<&str> = objects
        .iter()
        .filter(|o| o["type"] == "indicator")
        .filter_map(|o| o["pattern"].as_str())
        .collect();
    assert_eq!(patterns.len(), 3, "{patterns:?}");
    assert!(patterns.iter().any(|p| p.contains("45.155.205.12")));
    assert!(objects.iter().any(|o| o["type"] == "marking-definition"));

    ok(&rampart(
        &b,
        &["indicators", "import", exported.to_str().unwrap()],
    ));
    let out = rampart(&b, &["indicators", "list", "--format", "json"]);
    ok(&out);
    let second = json_lines(&out);
    let mut x: Vec<Value> = first.iter().map(essence).collect();
    let mut y: Vec<Value> = second.iter().map(essence).collect();
    x.sort_by_key(|v| v.to_string());
    y.sort_by_key(|v| v.to_string());
    assert_eq!(x, y);

    let out = rampart(&a, &["indicators", "export", "--format", "csv"]);
    ok(&out);
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("type,value"), "{csv}");
    assert_eq!(lines.count(), 3, "{csv}");
    assert!(csv.contains("secure-docs.example"), "{csv}");
    assert!(csv.contains("aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"));
}

#[test]
fn warninglisted_values_are_refused_unless_forced() {
    let Some(lists) = rampart_testkit::shared("misp/warninglists") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let list = dir.path().join("list.txt");
    std::fs::write(&list, "8.8.8.8\n45.155.205.12\n").unwrap();
    let args = [
        "indicators",
        "import",
        list.to_str().unwrap(),
        "--warninglists",
        lists.to_str().unwrap(),
    ];
    let out = rampart(&data, &args);
    ok(&out);
    let err = text(&out.stderr);
    assert!(err.contains("1 refused by warninglists"), "{err}");
    assert!(err.contains("8.8.8.8 is on MISP warninglist"), "{err}");
    assert!(err.contains("public-dns-v4"), "{err}");
    assert_eq!(
        rampart(&data, &["indicators", "check", "8.8.8.8"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        rampart(&data, &["indicators", "check", "45.155.205.12"])
            .status
            .code(),
        Some(0)
    );
    let mut forced = args.to_vec();
    forced.push("--force");
    ok(&rampart(&data, &forced));
    assert_eq!(
        rampart(&data, &["indicators", "check", "8.8.8.8"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn a_missing_file_is_an_error_that_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = rampart(
        dir.path(),
        &["indicators", "import", "/nonexistent/feed.csv"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("/nonexistent/feed.csv"));
}

#[test]
fn misp_export_is_one_event() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("campaign.csv");
    std::fs::write(&csv, CAMPAIGN_CSV).unwrap();
    ok(&rampart(
        &data,
        &["indicators", "import", csv.to_str().unwrap()],
    ));
    let out = rampart(&data, &["indicators", "export", "--format", "misp"]);
    ok(&out);
    let event: Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = event.to_string();
    assert!(text.contains("45.155.205.12"), "{text}");
    assert!(text.contains("secure-docs.example"), "{text}");
}

/// `stix2_validator` (PyPI `stix2-validator`) on PATH, or `None` after saying why.
/// `.ci/run` installs it; in CI its absence fails the test.
fn stix2_validator() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("stix2_validator"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !ci,
            "stix2_validator is not on PATH: .ci/run installs it (pip install stix2-validator)"
        );
        eprintln!(
            "SKIP: stix2_validator is not on PATH (pip install stix2-validator to run this test)"
        );
    }
    found
}

#[test]
fn stix_export_passes_stix2_validator() {
    let Some(validator) = stix2_validator() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Every kind the exporter writes, with TLP markings and campaign/actor relationships.
    let bundle = dir.path().join("bundle.json");
    std::fs::write(&bundle, BUNDLE).unwrap();
    ok(&rampart(
        &data,
        &["indicators", "import", bundle.to_str().unwrap()],
    ));
    let csv = dir.path().join("more.csv");
    std::fs::write(
        &csv,
        format!(
            "type,value,description,tags\ncidr,185.220.101.0/24,hosting,campaign:july-aitm\nsha256,{},payload,malware:kit\nemail,share[@]secure-docs[.]example,sender,actor:storm-0000\nmd5,{},dropper,\n",
            "a".repeat(64),
            "b".repeat(32)
        ),
    )
    .unwrap();
    ok(&rampart(
        &data,
        &[
            "indicators",
            "import",
            "--tlp",
            "amber",
            csv.to_str().unwrap(),
        ],
    ));
    let campaign = dir.path().join("campaign.csv");
    std::fs::write(&campaign, CAMPAIGN_CSV).unwrap();
    ok(&rampart(
        &data,
        &["indicators", "import", campaign.to_str().unwrap()],
    ));
    let exported = dir.path().join("export.json");
    ok(&rampart(
        &data,
        &[
            "indicators",
            "export",
            "--format",
            "stix",
            "-o",
            exported.to_str().unwrap(),
        ],
    ));
    // --strict: warnings (custom properties, missing names or descriptions…) fail too.
    let out = Command::new(&validator)
        .arg("--strict")
        .arg(&exported)
        .output()
        .expect("stix2_validator runs");
    let report = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        out.status.success(),
        "stix2_validator rejected the export:\n{report}"
    );
    assert!(!report.contains("[X]"), "{report}");
}

/// `hunt --indicators` reads every format `indicators import` reads: the seed story's
/// campaign list as CSV, and the same list exported as a STIX bundle, a MISP event and a
/// MISP feed (manifest + event file), give the same `indicator_match` findings.
#[test]
fn hunt_reads_csv_stix_misp_and_feeds_alike() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let world = d.join("world");
    let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(["demo-data", world.to_str().unwrap()])
        .output()
        .unwrap();
    ok(&out);
    let data = d.join("data");
    let csv = world.join("campaign.csv");
    ok(&rampart(
        &data,
        &["indicators", "import", csv.to_str().unwrap()],
    ));
    let stix = d.join("campaign.stix.json");
    let misp = d.join("campaign.misp.json");
    for (format, path) in [("stix", &stix), ("misp", &misp)] {
        ok(&rampart(
            &data,
            &[
                "indicators",
                "export",
                "--format",
                format,
                "-o",
                path.to_str().unwrap(),
            ],
        ));
    }
    // A feed: the MISP event under its uuid, and a manifest listing it.
    let event: Value = serde_json::from_slice(&std::fs::read(&misp).unwrap()).unwrap();
    let uuid = event["Event"]["uuid"]
        .as_str()
        .expect("the event has a uuid");
    let feed = d.join("feed");
    std::fs::create_dir(&feed).unwrap();
    std::fs::copy(&misp, feed.join(format!("{uuid}.json"))).unwrap();
    let manifest = serde_json::json!({ uuid: {
        "info": event["Event"]["info"], "date": event["Event"]["date"],
        "timestamp": event["Event"]["timestamp"], "Tag": []
    }});
    std::fs::write(feed.join("manifest.json"), manifest.to_string()).unwrap();

    let hunt = |indicators: &Path| -> (Vec<String>, String) {
        let mut args = vec![
            "hunt".to_owned(),
            "--format".into(),
            "json".into(),
            "--config".into(),
            world.join("rampart.toml").display().to_string(),
            "--indicators".into(),
            indicators.display().to_string(),
        ];
        for e in std::fs::read_dir(world.join("exports")).unwrap() {
            let e = e.unwrap();
            args.push(format!(
                "{}={}",
                e.file_name().to_string_lossy(),
                e.path().display()
            ));
        }
        let out = Command::new(env!("CARGO_BIN_EXE_rampart"))
            .args(&args)
            .env_remove("RAMPART_LOG")
            .output()
            .unwrap();
        ok(&out);
        let mut hits: Vec<String> = text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|f| f["kind"] == "indicator_match")
            .map(|f| {
                format!(
                    "{} {} {} {} {}",
                    f["tenant"],
                    f["user"],
                    f["time"],
                    f["severity"],
                    f["evidence"]["indicator"]["value"]
                )
            })
            .collect();
        hits.sort();
        (hits, text(&out.stderr))
    };
    let (from_csv, stderr) = hunt(&csv);
    assert!(!from_csv.is_empty(), "{stderr}");
    assert!(
        from_csv.iter().any(|h| h.contains("delta-clinic")),
        "{from_csv:#?}"
    );
    for other in [&stix, &misp, &feed] {
        let (hits, stderr) = hunt(other);
        assert_eq!(hits, from_csv, "{}: {stderr}", other.display());
    }
}

/// Sign-ins as `serve` would have stored them, straight into the data directory's store.
fn store_signins(data: &Path, tenant: &str, signins: &[serde_json::Value]) {
    let signins: Vec<rampart_model::SignIn> = signins
        .iter()
        .map(|v| serde_json::from_value(v.clone()).unwrap())
        .collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        std::fs::create_dir_all(data).unwrap();
        let store = rampart_store::Store::open(&data.join("rampart.sqlite"))
            .await
            .unwrap();
        store
            .commit_batch(&rampart_store::NewBatch {
                tenant: &tenant.parse().unwrap(),
                origin: "api",
                signins: &signins,
                skipped: 0,
                dead_letters: &[],
                resolves: None,
            })
            .await
            .unwrap();
        store.close().await;
    });
}

fn stored_signin(ip: &str, time: &str, id: &str) -> serde_json::Value {
    serde_json::json!({
        "tenant": "acme-dental", "user": "ana@acme.example", "time": time, "ip": ip,
        "outcome": "success", "source_format": "entra_graph", "record_id": id,
    })
}

#[test]
fn hunt_history_finds_stored_signins_for_imported_indicators_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    store_signins(
        &data,
        "acme-dental",
        &[
            stored_signin("45.155.205.12", "2026-11-10T09:00:00Z", "a1"),
            stored_signin("198.51.100.4", "2026-11-10T12:00:00Z", "a2"),
            stored_signin("45.155.205.12", "2026-08-01T09:00:00Z", "a0"),
        ],
    );
    let csv = dir.path().join("campaign.csv");
    std::fs::write(&csv, CAMPAIGN_CSV).unwrap();
    ok(&rampart(
        &data,
        &["indicators", "import", csv.to_str().unwrap()],
    ));

    let hunt = |extra: &[&str]| {
        let mut args = vec![
            "hunt-history",
            "--since",
            "2026-11-01T00:00:00Z",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let out = rampart(&data, &args);
        ok(&out);
        out
    };
    let first = hunt(&[]);
    let findings = json_lines(&first);
    assert_eq!(findings.len(), 1, "{}", text(&first.stderr));
    let f = &findings[0];
    assert_eq!(f["kind"], "indicator_match");
    assert_eq!(f["event_ids"], serde_json::json!(["a1"]));
    assert_eq!(f["evidence"]["indicator"]["value"], "45.155.205.12");
    let codes: Vec<&str> = f["evidence"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert!(codes.contains(&"retro_hunt"), "{codes:?}");
    let stderr = text(&first.stderr);
    assert!(
        stderr.contains("1 findings; alerts: 1 raised, 0 already there"),
        "{stderr}"
    );

    // Again: the same finding, no second alert.
    let again = hunt(&[]);
    assert_eq!(json_lines(&again), findings);
    let stderr = text(&again.stderr);
    assert!(
        stderr.contains("alerts: 0 raised, 1 already there"),
        "{stderr}"
    );

    // A wider window reaches the August sign-in too; --no-alerts stores nothing.
    let out = rampart(
        &data,
        &[
            "hunt-history",
            "--since",
            "2026-07-01T00:00:00Z",
            "--format",
            "json",
            "--no-alerts",
        ],
    );
    ok(&out);
    assert_eq!(json_lines(&out).len(), 2);
    assert!(text(&out.stderr).contains("no alerts stored"));

    let bad = rampart(&data, &["hunt-history", "--since", "30w"]);
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("--since \"30w\""),
        "{}",
        text(&bad.stderr)
    );
}
