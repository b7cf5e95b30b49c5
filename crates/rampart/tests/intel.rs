//! `rampart intel analyze`: the seed article gives the seed's summary in substance, JSON
//! carries IOCs and techniques with their evidence, HTML is reduced to text, and the STIX
//! bundle passes OASIS's `stix2_validator`.

use std::path::Path;
use std::process::{Command, Output};

fn rampart(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rampart"));
    cmd.args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("rampart runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("rampart finishes")
}

fn stdout_ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "rampart failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

const REPORT: &str = "APT28 (also known as Fancy Bear) ran a spearphishing campaign against \
ministries in Ukraine, sending malicious Word attachments (T1566.001). Once opened, a macro ran \
PowerShell to download X-Agent from hxxps://update-office365[.]com/owa/load.php. The implant \
talked to 185.220.101[.]47 and 45.77.12[.]34 over HTTPS, and its dropper had SHA-256 \
275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f. The operators exploited \
CVE-2023-23397 in Outlook. Version 2.4.1.3 of the agent and the file update.zip were also seen. \
Organizations should patch Outlook and enable MFA.";

#[test]
fn seed_article_gives_the_seed_summary() {
    let Some(seed_dir) = rampart_testkit::shared("seeds") else {
        return;
    };
    let seed = std::fs::read_dir(&seed_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("000_"))
        })
        .expect("seed 000");
    let seed = std::fs::read_to_string(seed).unwrap();
    let (article, summary) = seed
        .split_once("\nAnalysis Summary\n")
        .expect("the seed has an Analysis Summary");
    let article = article.trim_start_matches("Full Report").trim();
    let md = stdout_ok(&rampart(&["intel", "analyze", "-"], Some(article)));
    println!("{md}");

    // The same headings, in the same order.
    let headings = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.starts_with('#'))
            .map(|l| {
                if l.starts_with("# ") {
                    "# Threat Actor".to_owned()
                } else {
                    l.trim().to_owned()
                }
            })
            .collect()
    };
    assert_eq!(headings(&md), headings(summary));
    // The same bullet labels (the seed's "Vendor Context" is specific to that article).
    for line in summary.lines() {
        if let Some(rest) = line.strip_prefix("* **")
            && let Some((label, _)) = rest.split_once(":**")
            && label != "Vendor Context"
        {
            assert!(
                md.contains(&format!("* **{label}:**")),
                "no {label} in\n{md}"
            );
        }
    }
    // The substance: the actor, no ATT&CK ids written, no aliases, malware or indicators.
    assert!(
        md.starts_with("# Threat Actor: State-Sponsored Collective (Unnamed)\n"),
        "{md}"
    );
    assert!(
        md.contains("* **Identification:** ") && md.contains("unnamed, state-sponsored collective")
    );
    assert!(md.contains("* **Aliases:** None specified in the provided text."));
    assert!(md.contains("* **MITRE ATT&CK IDs:** None mentioned in the provided text."));
    assert!(md.contains("* **Malware Families Used:** None specified in the provided text."));
    assert!(md.contains("September"), "the September break-in: {md}");
    assert!(!md.contains("Indicators extracted"), "{md}");
    // Every quoted sentence comes from the article (extractive).
    for line in md.lines() {
        if let Some(rest) = line.strip_prefix("* **Identification:** ") {
            assert!(article.contains(rest), "{rest:?} is not from the text");
        }
    }
}

#[test]
fn json_has_iocs_by_type_and_techniques_with_evidence() {
    let out = stdout_ok(&rampart(
        &["intel", "analyze", "--format", "json", "-"],
        Some(REPORT),
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ips: Vec<&str> = v["iocs"]["ipv4"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert_eq!(ips, ["185.220.101.47", "45.77.12.34"]);
    assert!(
        v["iocs"]["ipv4"][0]["context"]
            .as_str()
            .unwrap()
            .starts_with("The implant talked to")
    );
    assert_eq!(
        v["iocs"]["url"][0]["value"],
        "https://update-office365.com/owa/load.php"
    );
    assert_eq!(v["iocs"]["cve"][0]["value"], "CVE-2023-23397");
    assert_eq!(v["iocs"]["sha256"].as_array().unwrap().len(), 1);
    // Traps: the version number and the file name are not indicators.
    assert!(
        v["iocs"]["domain"].as_array().unwrap().is_empty(),
        "{}",
        v["iocs"]
    );
    let techniques = v["techniques"].as_array().unwrap();
    let t = techniques
        .iter()
        .find(|t| t["id"] == "T1566.001")
        .expect("T1566.001");
    assert_eq!(t["name"], "Spearphishing Attachment");
    assert!(
        t["evidence"]
            .as_str()
            .unwrap()
            .contains("malicious Word attachments")
    );
    assert!(techniques.iter().any(|t| t["id"] == "T1059.001"));
    assert_eq!(v["attribution"]["actors"][0]["name"], "APT28");
    assert_eq!(v["attribution"]["actors"][0]["attack_id"], "G0007");
    assert!(
        v["malware"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "CHOPSTICK")
    );
    assert!(
        v["targeting"]["geography"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["value"] == "Ukraine")
    );
    assert!(
        v["mitigations"]["recommended_in_text"][0]
            .as_str()
            .unwrap()
            .contains("should patch Outlook")
    );
}

#[test]
fn html_is_reduced_to_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    std::fs::write(
        &path,
        "<html><body><h1>Report</h1><p>The loader beaconed to <b>91.215.85[.]17</b> every \
         hour.</p><script>var x = 'document.write(1.2.3.4)';</script></body></html>",
    )
    .unwrap();
    let out = stdout_ok(&rampart(
        &[
            "intel",
            "analyze",
            "--format",
            "json",
            path.to_str().unwrap(),
        ],
        None,
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["iocs"]["ipv4"][0]["value"], "91.215.85.17");
    assert_eq!(
        v["iocs"]["ipv4"].as_array().unwrap().len(),
        1,
        "{}",
        v["iocs"]
    );
    assert!(
        !v["iocs"]["ipv4"][0]["context"]
            .as_str()
            .unwrap()
            .contains('<')
    );
}

#[test]
fn missing_input_is_a_clear_error() {
    let out = rampart(&["intel", "analyze", "/nonexistent/report.txt"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read the report /nonexistent/report.txt"),
        "{err}"
    );
}

/// `stix2_validator` on PATH, or `None` after saying why (in CI its absence fails).
fn stix2_validator() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("stix2_validator"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(!ci, "stix2_validator is not on PATH: .ci/run installs it");
        eprintln!("SKIP: stix2_validator is not on PATH (pip install stix2-validator)");
    }
    found
}

#[test]
fn stix_bundle_passes_stix2_validator() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("report.stix.json");
    let out = rampart(
        &[
            "intel",
            "analyze",
            "--format",
            "stix",
            "-o",
            bundle.to_str().unwrap(),
            "-",
        ],
        Some(REPORT),
    );
    stdout_ok(&out);
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let types: Vec<&str> = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    for ty in [
        "report",
        "intrusion-set",
        "attack-pattern",
        "malware",
        "indicator",
        "vulnerability",
        "relationship",
    ] {
        assert!(types.contains(&ty), "no {ty} in {types:?}");
    }
    let ap = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["type"] == "attack-pattern" && o["name"] == "Spearphishing Attachment")
        .unwrap();
    assert_eq!(ap["external_references"][0]["external_id"], "T1566.001");
    let Some(validator) = stix2_validator() else {
        return;
    };
    check_valid(&validator, &bundle);
}

fn check_valid(validator: &Path, bundle: &Path) {
    let out = Command::new(validator)
        .arg(bundle)
        .output()
        .expect("stix2_validator runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "stix2_validator rejected the bundle:\n{report}"
    );
    assert!(!report.contains("[X]"), "{report}");
}

#[test]
fn bench_intel_prints_its_summary_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.txt"), REPORT).unwrap();
    std::fs::create_dir(dir.path().join("more")).unwrap();
    std::fs::write(
        dir.path().join("more").join("b.html"),
        "<p>C2 at 91.215.85[.]17 and evil-c2[.]net.</p>",
    )
    .unwrap();
    let out = stdout_ok(&rampart(
        &["bench", "intel", "--analyze", dir.path().to_str().unwrap()],
        None,
    ));
    let last = out.lines().last().unwrap();
    assert!(
        last.starts_with("intel: reports=2 mb=0.00 seconds="),
        "{out}"
    );
    assert!(last.contains(" reports_per_s="), "{out}");
    assert!(out.contains("iocs found: 7 "), "{out}");
    assert!(out.starts_with("analysis: reports=2 "), "{out}");
}
