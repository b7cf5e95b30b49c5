//! From a report to protection: `rampart intel analyze --emit-indicators` fills the indicator
//! database (merging on a re-run, refusing warninglisted values by name), and `--emit-rule`
//! writes a Sigma rule that `rules check` accepts and `hunt --rules` uses to catch the seed
//! story's third partner.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn rampart(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rampart"))
        .args(args)
        .env_remove("RAMPART_LOG")
        .env_remove("RAMPART_DATA_DIR")
        .env_remove("RAMPART_LLM_API_KEY")
        .output()
        .expect("the rampart binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stderr)
}

fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

const REPORT: &str = "APT28 (also known as Fancy Bear) ran a spearphishing campaign against \
ministries in Ukraine, sending malicious Word attachments (T1566.001). Once opened, a macro ran \
PowerShell to download X-Agent from hxxps://update-office365[.]com/owa/load.php. The implant \
talked to 185.220.101[.]47 and 45.77.12.34 over HTTPS, and the operators kept a staging range at \
91.215.85[.]0/24. The operators exploited CVE-2023-23397 in Outlook.";

#[test]
fn emitted_indicators_are_found_by_check_and_a_rerun_merges() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let report = dir.path().join("apt28-ukraine.txt");
    std::fs::write(&report, REPORT).unwrap();
    let args = [
        "intel",
        "analyze",
        report.to_str().unwrap(),
        "--emit-indicators",
        "--tlp",
        "green",
        "--data-dir",
        data_s,
    ];
    let out = rampart(&args);
    let err = ok(&out);
    // The analysis still goes to stdout.
    assert!(text(&out.stdout).starts_with("# Threat Actor: APT28"));
    // 2 IPv4, 1 network, 1 URL (the CVE id is not an indicator the store keeps).
    assert!(
        err.contains("apt28-ukraine.txt: 4 indicators emitted (4 new, 0 merged), 0 refused by warninglists, 1 not indicators (CVE ids); TLP:GREEN"),
        "{err}"
    );
    assert!(err.contains("actor:APT28"), "{err}");

    let out = rampart(&[
        "indicators",
        "check",
        "185.220.101.47",
        "91.215.85.200",
        "--format",
        "json",
        "--data-dir",
        data_s,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    let m = &lines[0]["matches"][0];
    assert_eq!(lines[0]["matched"], true);
    assert_eq!(m["from"], "report apt28-ukraine.txt");
    assert_eq!(m["indicator"]["tlp"], "green");
    assert_eq!(m["indicator"]["verdict"], "malicious");
    // Written defanged: the author marked it, so the higher report confidence.
    assert_eq!(m["indicator"]["confidence"], 60);
    assert!(
        m["indicator"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "actor" && t["name"] == "APT28"),
        "{m}"
    );
    assert!(
        m["indicator"]["description"]
            .as_str()
            .unwrap()
            .contains("The implant talked to"),
        "{m}"
    );
    // A host inside the report's network matches the network.
    assert_eq!(lines[1]["matched"], true);
    assert_eq!(lines[1]["matches"][0]["how"], "inside network /24");
    // The plainly written address has the lower confidence.
    let out = rampart(&[
        "indicators",
        "check",
        "45.77.12.34",
        "--format",
        "json",
        "--data-dir",
        data_s,
    ]);
    assert_eq!(
        json_lines(&out)[0]["matches"][0]["indicator"]["confidence"],
        40
    );
    // An address the report does not name is not known.
    let out = rampart(&["indicators", "check", "45.77.12.35", "--data-dir", data_s]);
    assert_eq!(out.status.code(), Some(1));

    // Again: the same report merges into the same rows.
    let err = ok(&rampart(&args));
    assert!(
        err.contains("4 indicators emitted (0 new, 4 merged)"),
        "{err}"
    );
    let out = rampart(&[
        "indicators",
        "list",
        "--format",
        "json",
        "--data-dir",
        data_s,
    ]);
    ok(&out);
    let all = json_lines(&out);
    assert_eq!(all.len(), 4, "{all:#?}");
    assert!(all.iter().all(|i| i["sightings"] == 2), "{all:#?}");
}

#[test]
fn warninglisted_report_values_are_refused_with_the_list_name() {
    let Some(lists) = rampart_testkit::shared("misp/warninglists") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let report = dir.path().join("resolver.txt");
    std::fs::write(
        &report,
        "The malware checked connectivity against 8.8.8.8 before beaconing to 45.155.205[.]12.",
    )
    .unwrap();
    let out = rampart(&[
        "intel",
        "analyze",
        report.to_str().unwrap(),
        "--emit-indicators",
        "--warninglists",
        lists.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    let err = ok(&out);
    assert!(
        err.contains("1 indicators emitted (1 new, 0 merged), 1 refused by warninglists"),
        "{err}"
    );
    assert!(err.contains("8.8.8.8 is on the MISP warninglist"), "{err}");
    assert!(err.contains("public-dns-v4"), "{err}");
    let check = |v: &str| {
        rampart(&[
            "indicators",
            "check",
            v,
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .status
        .code()
    };
    assert_eq!(check("8.8.8.8"), Some(1));
    assert_eq!(check("45.155.205.12"), Some(0));
}

/// Seed 002's article, as a vendor would publish it with its indicator list appended: the
/// campaign's indicators from `rampart demo-data` (as written there, partly defanged).
fn seed_report(demo: &Path) -> Option<String> {
    let seeds = rampart_testkit::shared("seeds")?;
    let seed = std::fs::read_dir(&seeds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("002_"))
        })
        .expect("seed 002");
    let mut report = std::fs::read_to_string(seed).unwrap();
    report.push_str("\n\nIndicators of compromise\n\n");
    let csv = std::fs::read_to_string(demo.join("campaign.csv")).unwrap();
    for line in csv.lines().skip(1) {
        let mut cols = line.splitn(3, ',');
        let (_kind, value, what) = (cols.next()?, cols.next()?, cols.next().unwrap_or(""));
        report.push_str(&format!("{value} - {}\n", what.trim_matches('"')));
    }
    Some(report)
}

#[test]
fn emitted_rule_loads_active_and_catches_the_third_partner() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    ok(&rampart(&["demo-data", demo.to_str().unwrap()]));
    let Some(report) = seed_report(&demo) else {
        return;
    };
    let path = dir.path().join("sonicwall-aitm.txt");
    std::fs::write(&path, &report).unwrap();
    let rules = dir.path().join("rules");
    let analyze = [
        "intel",
        "analyze",
        path.to_str().unwrap(),
        "--emit-rule",
        rules.to_str().unwrap(),
    ];
    let err = ok(&rampart(&analyze));
    assert!(err.contains("Sigma rule "), "{err}");
    let files: Vec<_> = std::fs::read_dir(&rules)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let yaml = std::fs::read_to_string(&files[0]).unwrap();
    println!("{yaml}");
    let ids: Vec<String> = yaml
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .map(str::to_owned)
        .collect();
    // Sign-ins (4 sources), firewall, proxy, DNS.
    assert_eq!(ids.len(), 7, "{yaml}");
    for id in &ids {
        let u = id.trim();
        assert_eq!(u.len(), 36, "{u}");
        assert_eq!(&u[14..15], "5", "a UUID v5: {u}");
    }
    assert!(yaml.contains("product: azure") && yaml.contains("service: signinlogs"));
    assert!(yaml.contains("IPAddress"));
    assert!(yaml.contains("category: firewall") && yaml.contains("dst_ip"));
    assert!(yaml.contains("45.155.205.0/24"), "the kit's range: {yaml}");
    assert!(!yaml.contains("[.]"), "values are refanged: {yaml}");

    // The same report again: the same file, the same ids.
    ok(&rampart(&analyze));
    let again: Vec<_> = std::fs::read_dir(&rules).unwrap().collect();
    assert_eq!(again.len(), 1);
    assert_eq!(std::fs::read_to_string(&files[0]).unwrap(), yaml);

    // `rules check` loads every document, all active.
    let out = rampart(&[
        "rules",
        "check",
        rules.to_str().unwrap(),
        "--format",
        "json",
    ]);
    ok(&out);
    let check: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check["loaded"], 7, "{check}");
    assert_eq!(check["rejected"], serde_json::json!([]), "{check}");
    assert_eq!(check["inactive"], serde_json::json!([]), "{check}");

    // The hunt with only this rule: the third partner's sign-in from the listed relay.
    let out = rampart(&[
        "hunt",
        "--format",
        "json",
        "--no-builtin-rules",
        "--rules",
        rules.to_str().unwrap(),
        "--config",
        demo.join("rampart.toml").to_str().unwrap(),
        &format!(
            "delta-clinic={}",
            demo.join("exports/delta-clinic").display()
        ),
    ]);
    ok(&out);
    let findings = json_lines(&out);
    let sigma: Vec<&Value> = findings.iter().filter(|f| f["kind"] == "sigma").collect();
    assert!(!sigma.is_empty(), "no sigma finding: {findings:#?}");
    let entra_id = ids[0].trim();
    let caught = sigma
        .iter()
        .find(|f| f["evidence"]["rule"]["id"] == entra_id)
        .unwrap_or_else(|| panic!("no finding from the Entra rule {entra_id}: {sigma:#?}"));
    assert_eq!(caught["tenant"], "delta-clinic");
    assert_eq!(caught["severity"], "high");
}
