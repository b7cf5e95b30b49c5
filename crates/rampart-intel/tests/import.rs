//! Import tests on hand-made fixtures (`tests/fixtures/`) and on the MISP warninglists in
//! `../shared/misp/warninglists` (skipped with a reason when absent, except in CI).
//!
//! - `csv_*`, `list_*`, `stix_*`, `misp_*`: one importer each, counting what imports and
//!   checking every issue's location and reason;
//! - `warninglists_*`: refusals against the real lists;
//! - `imported_values_match`: the importers feed the matcher.

use std::path::Path;

use jiff::Timestamp;
use rampart_intel::{
    Format, ImportOptions, ImportReport, IndicatorSet, Location, Observable, ObservableKind,
    TagKind, Tlp, Verdict, Warninglists, import, parse,
};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn now() -> Timestamp {
    "2026-11-23T00:00:00Z".parse().unwrap()
}

fn run(name: &str, opts: &ImportOptions<'_>) -> ImportReport {
    let bytes = fixture(name);
    import(&bytes, name, None, opts)
}

fn issues(report: &ImportReport) -> Vec<String> {
    report.issues.iter().map(|i| i.to_string()).collect()
}

fn find<'a>(report: &'a ImportReport, value: &str) -> &'a rampart_intel::Indicator {
    report
        .indicators
        .iter()
        .find(|i| i.observable.to_string() == value)
        .unwrap_or_else(|| panic!("{value} not imported"))
}

#[test]
fn csv_header_columns_defanged_values_and_bad_rows() {
    assert_eq!(Format::detect(&fixture("campaign.csv")), Format::Csv);
    let r = run("campaign.csv", &ImportOptions::new(now()));
    assert_eq!(r.indicators.len(), 9, "{:#?}", issues(&r));
    assert_eq!(
        issues(&r),
        [
            "campaign.csv line 12: \"999.1.1.1\" is not an IP address",
            "campaign.csv line 13: \"da39a3ee5e6b4b0d3255bfef95601890afd80709\" is not an MD5 (expected 32 hex digits, found 40 (a SHA-1))",
            "campaign.csv line 14: unknown indicator type \"registry\" (expected one of ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, user-agent, asn)",
            "campaign.csv line 15: TLP \"purple\" is not clear, green, amber, amber+strict or red",
        ]
    );
    let ip = find(&r, "45.155.205.12");
    assert_eq!(ip.tlp, Tlp::Amber);
    assert_eq!(ip.confidence.get(), 90);
    assert_eq!(ip.description.as_deref(), Some("AiTM login relay"));
    assert_eq!(
        ip.last_seen,
        "2026-11-20T08:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(ip.tags.len(), 2);
    assert_eq!(ip.tags[1].kind, TagKind::Actor);
    assert_eq!(find(&r, "185.220.101.0/24").tlp, Tlp::Green);
    find(&r, "2a09:bac5:114:105::1a:9b");
    find(&r, "https://secure-docs.example/Login?x=1");
    find(&r, "share@secure-docs.example");
    find(
        &r,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856",
    );
    assert_eq!(find(&r, "python-requests/2.31 EvilKit").tlp, Tlp::Red);
    assert_eq!(find(&r, "AS64500").observable, Observable::Asn(64500));
}

#[test]
fn list_infers_types_and_reports_lines() {
    assert_eq!(Format::detect(&fixture("campaign.txt")), Format::List);
    let r = run("campaign.txt", &ImportOptions::new(now()));
    let kinds: Vec<ObservableKind> = r.indicators.iter().map(|i| i.observable.kind()).collect();
    use ObservableKind::*;
    assert_eq!(kinds, [Ipv4, Url, Domain, Email, Cidr, Md5, Asn]);
    find(&r, "bad.example.net");
    find(&r, "http://login-microsoftonline.example/common/oauth2");
    assert_eq!(r.issues.len(), 2, "{:#?}", issues(&r));
    assert_eq!(r.issues[0].line(), Some(10));
    assert_eq!(r.issues[1].line(), Some(11));
    assert!(
        r.issues[1]
            .reason
            .contains("cannot tell what \"deadbeef\" is")
    );
}

#[test]
fn stix_bundle_patterns_observables_markings_and_relationships() {
    assert_eq!(Format::detect(&fixture("bundle.json")), Format::Stix);
    let r = run("bundle.json", &ImportOptions::new(now()));
    let values: Vec<String> = r
        .indicators
        .iter()
        .map(|i| i.observable.to_string())
        .collect();
    assert_eq!(
        values,
        [
            "45.155.205.12",
            "secure-docs.example",
            "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f",
            "cdn-secure.example",
            "AS64500"
        ]
    );
    let ip = find(&r, "45.155.205.12");
    assert_eq!(ip.tlp, Tlp::AmberStrict);
    assert_eq!(ip.confidence.get(), 85);
    assert_eq!(ip.verdict, Verdict::Malicious);
    assert_eq!(
        ip.valid_until,
        Some("2027-11-02T00:00:00Z".parse().unwrap())
    );
    assert_eq!(ip.description.as_deref(), Some("AiTM relay"));
    let tags: Vec<String> = ip.tags.iter().map(|t| t.to_string()).collect();
    assert_eq!(tags, ["phishing", "campaign:Storm-0000 AiTM"]);
    assert_eq!(
        find(
            &r,
            "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"
        )
        .verdict,
        Verdict::Suspicious
    );
    // no marking: the default TLP
    assert_eq!(find(&r, "cdn-secure.example").tlp, Tlp::Amber);
    assert_eq!(r.skipped, 3);
    let locs: Vec<&Location> = r.issues.iter().map(|i| &i.location).collect();
    assert_eq!(
        locs,
        [
            &Location::Object("indicator--0b1b4c5e-8b3a-4b7f-9d1e-2f0c8e7a6b5d".into()),
            &Location::Object("indicator--7c5ed5b8-8e24-4c50-b1f5-1c2e2d0c5a11".into()),
            &Location::Object("ipv6-addr--1e61d36c-a16c-53b7-a80f-2a00161c96b1".into()),
        ]
    );
    assert!(
        r.issues[0].reason.contains("AND is not supported"),
        "{}",
        r.issues[0]
    );
    assert!(r.issues[1].reason.contains("yara"), "{}", r.issues[1]);
}

#[test]
fn misp_event_attributes_objects_tags_and_galaxies() {
    assert_eq!(Format::detect(&fixture("misp-event.json")), Format::Misp);
    let r = run("misp-event.json", &ImportOptions::new(now()));
    let values: Vec<String> = r
        .indicators
        .iter()
        .map(|i| i.observable.to_string())
        .collect();
    assert_eq!(
        values,
        [
            "45.155.205.12",
            "secure-docs.example",
            "203.0.113.7",
            "https://secure-docs.example/Login",
            "8.8.8.8",
            "0cc175b9c0f1b6a831c399e269772661"
        ]
    );
    let ip = find(&r, "45.155.205.12");
    assert_eq!(ip.tlp, Tlp::Green);
    assert_eq!(ip.description.as_deref(), Some("relay"));
    assert_eq!(
        ip.first_seen,
        "2026-11-10T00:00:00Z".parse::<Timestamp>().unwrap()
    );
    assert_eq!(ip.last_seen, Timestamp::from_second(1_794_700_800).unwrap());
    let tags: Vec<String> = ip.tags.iter().map(|t| t.to_string()).collect();
    assert_eq!(tags, ["actor:Example Spider", "malware:EvilProxy"]);
    assert_eq!(
        find(&r, "https://secure-docs.example/Login").verdict,
        Verdict::Suspicious
    );
    assert_eq!(find(&r, "8.8.8.8").tlp, Tlp::Red);
    assert_eq!(r.skipped, 2);
    assert_eq!(
        issues(&r),
        [
            "misp-event.json object attribute a0000000-0000-4000-8000-000000000005: \"nothex\" is not a SHA-1 (expected 40 hex digits, found characters that are not hex digits)"
        ]
    );
}

fn warninglists() -> Option<Warninglists> {
    let dir = rampart_testkit::shared("misp/warninglists")?;
    let (lists, errors) = Warninglists::load_dir(&dir).expect("warninglist dir");
    assert!(errors.is_empty(), "{errors:?}");
    Some(lists)
}

#[test]
fn warninglists_refuse_benign_values_unless_forced() {
    let Some(lists) = warninglists() else { return };
    assert!(lists.len() > 100, "{}", lists.len());
    let mut opts = ImportOptions::new(now());
    opts.warninglists = Some(&lists);
    let r = run("misp-event.json", &opts);
    let refused: Vec<String> = issues(&r)
        .into_iter()
        .filter(|i| i.contains("warninglist"))
        .collect();
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert!(
        refused[0].contains("203.0.113.7 is on MISP warninglist"),
        "{}",
        refused[0]
    );
    assert!(
        refused[1].contains("8.8.8.8 is on MISP warninglist"),
        "{}",
        refused[1]
    );
    assert!(refused[1].contains("public-dns-v4"), "{}", refused[1]);
    assert_eq!(r.indicators.len(), 4);

    // empty-file hashes, reserved ranges, big clouds, top domains
    let text = b"d41d8cd98f00b204e9800998ecf8427e\n\
        e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
        10.1.2.3\n\
        2001:db8::1\n\
        1.1.1.1\n\
        mail.google.com\n\
        45.155.205.12\n";
    let r = import(text, "benign.txt", Some(Format::List), &opts);
    assert_eq!(r.indicators.len(), 1, "{:#?}", issues(&r));
    assert_eq!(r.indicators[0].observable.to_string(), "45.155.205.12");
    let lists: Vec<&str> = r
        .issues
        .iter()
        .map(|i| {
            assert!(i.reason.contains("is on MISP warninglist"), "{i}");
            let head = i.reason.split("; not imported").next().unwrap_or("");
            &head[head.rfind('(').unwrap_or(0)..]
        })
        .collect();
    assert_eq!(
        lists,
        [
            "(common-ioc-false-positive)",
            "(common-ioc-false-positive)",
            "(rfc1918)",
            "(rfc3849)",
            "(public-dns-v4)",
            "(alexa)"
        ]
    );
    // a suspicious or allow-list value is not refused, nor a forced one
    opts.verdict = Verdict::Suspicious;
    assert_eq!(
        import(text, "b.txt", Some(Format::List), &opts)
            .indicators
            .len(),
        7
    );
    opts.verdict = Verdict::Malicious;
    opts.force = true;
    assert_eq!(
        import(text, "b.txt", Some(Format::List), &opts)
            .indicators
            .len(),
        7
    );
}

#[test]
fn warninglists_cover_clouds() {
    let Some(lists) = warninglists() else { return };
    let hit = |k, v| {
        lists
            .check(&parse(k, v).unwrap())
            .map(|h| h.name.to_owned())
    };
    assert!(hit(ObservableKind::Ipv4, "8.8.8.8").is_some());
    // AWS ranges (first entry of amazon-aws) and a phishing URL on a big platform
    assert!(hit(ObservableKind::Ipv4, "1.178.1.9").is_some());
    assert_eq!(
        hit(ObservableKind::Url, "https://docs.google.com/forms/d/phish"),
        None
    );
    assert_eq!(hit(ObservableKind::Domain, "secure-docs.example"), None);
}

#[test]
fn warninglists_of_every_type_load_and_refuse() {
    let Some(lists) = warninglists() else { return };
    // every list type in the checkout (cidr, hostname, string, substring, regex) loads
    assert_eq!(lists.not_loaded(), [] as [String; 0]);
    let hit = |k, v| {
        lists
            .check(&parse(k, v).unwrap())
            .map(|h| h.name.to_owned())
    };
    // substring: a sandbox's report URL
    assert_eq!(
        hit(ObservableKind::Url, "https://app.any.run/tasks/0a1b2c").as_deref(),
        Some("automated-malware-analysis")
    );
    // regex: a role address
    assert_eq!(
        hit(ObservableKind::Email, "Abuse@provider.example").as_deref(),
        Some("common-contact-emails")
    );
    // not an attacker's own address on a disposable-mail domain
    assert_eq!(hit(ObservableKind::Email, "kit-admin@0-mail.com"), None);
}

#[test]
fn imported_values_match() {
    let mut set = IndicatorSet::new();
    for name in [
        "campaign.csv",
        "campaign.txt",
        "bundle.json",
        "misp-event.json",
    ] {
        for ind in run(name, &ImportOptions::new(now())).indicators {
            set.upsert(ind);
        }
    }
    let at = now();
    let hits = set
        .lookup_value("hxxps://a.secure-docs[.]example/x", at)
        .unwrap();
    assert!(hits.len() >= 2, "{hits:#?}");
    let hits = set.lookup_value("185.220.101.200", at).unwrap();
    assert_eq!(hits.len(), 2); // CSV and plain list, different sources
    // 45.155.205.12 from four files; same value, four provenances
    assert_eq!(set.lookup_value("45.155.205.12", at).unwrap().len(), 4);
}

/// A MISP feed as MISP publishes it: a manifest keyed by event uuid, one event file each.
fn write_feed(dir: &Path) {
    let ev1 = "5f1c0a2e-0000-4000-8000-000000000001";
    let ev2 = "5f1c0a2e-0000-4000-8000-000000000002";
    let missing = "5f1c0a2e-0000-4000-8000-0000000000ff";
    let manifest = serde_json::json!({
        ev1: {"info": "AiTM kit relays", "date": "2026-07-04", "timestamp": "1783000000",
              "analysis": 2, "threat_level_id": 1,
              "Orgc": {"name": "CIRCL", "uuid": "55f6ea5e-2c60-40e5-964f-47a8950d210f"},
              "Tag": [{"name": "tlp:green"}]},
        ev2: {"info": "Phishing domains", "date": "2026-07-05", "timestamp": "1783100000"},
        missing: {"info": "listed but not published"},
        "../../etc/passwd": {"info": "not a uuid"},
    });
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();
    let event1 = serde_json::json!({"Event": {
        "uuid": ev1, "info": "AiTM kit relays", "date": "2026-07-04",
        "Tag": [{"name": "tlp:green"}, {"name": "misp-galaxy:threat-actor=\"Storm-1167\""}],
        "Attribute": [
            {"uuid": "a0000000-0000-4000-8000-000000000001", "type": "ip-dst",
             "value": "45.155.205[.]12", "to_ids": true, "comment": "relay",
             "timestamp": "1783000000"},
            {"uuid": "a0000000-0000-4000-8000-000000000002", "type": "ip-dst",
             "value": "999.1.1.1", "to_ids": true, "timestamp": "1783000000"},
            {"uuid": "a0000000-0000-4000-8000-000000000003", "type": "text",
             "value": "free text", "to_ids": false, "timestamp": "1783000000"}
        ]
    }});
    let event2 = serde_json::json!({"Event": {
        "uuid": ev2, "info": "Phishing domains", "date": "2026-07-05",
        "Attribute": [
            {"uuid": "b0000000-0000-4000-8000-000000000001", "type": "domain",
             "value": "secure-docs[.]example", "to_ids": true, "timestamp": "1783100000"},
            {"uuid": "b0000000-0000-4000-8000-000000000002", "type": "url",
             "value": "hxxps://secure-docs[.]example/Login", "to_ids": false,
             "timestamp": "1783100000"}
        ]
    }});
    std::fs::write(dir.join(format!("{ev1}.json")), event1.to_string()).unwrap();
    std::fs::write(dir.join(format!("{ev2}.json")), event2.to_string()).unwrap();
}

#[test]
fn misp_feed_manifest_and_events() {
    let tmp = tempfile::tempdir().unwrap();
    let feed = tmp.path().join("circl-feed");
    std::fs::create_dir(&feed).unwrap();
    write_feed(&feed);
    let opts = ImportOptions::new(now());
    let by_dir = rampart_intel::import_path(&feed, None, &opts).unwrap();
    let by_manifest = rampart_intel::import_path(&feed.join("manifest.json"), None, &opts).unwrap();
    assert_eq!(by_dir.indicators, by_manifest.indicators);
    let r = by_dir;
    let values: Vec<String> = r
        .indicators
        .iter()
        .map(|i| i.observable.to_string())
        .collect();
    assert_eq!(
        values,
        [
            "45.155.205.12",
            "secure-docs.example",
            "https://secure-docs.example/Login"
        ]
    );
    assert_eq!(r.skipped, 1, "the text attribute");
    let ip = find(&r, "45.155.205.12");
    assert_eq!(ip.tlp, Tlp::Green);
    assert_eq!(ip.description.as_deref(), Some("relay"));
    assert!(
        ip.tags
            .iter()
            .any(|t| t.kind == TagKind::Actor && t.name == "Storm-1167"),
        "{:?}",
        ip.tags
    );
    // the provenance is the feed, the location the event file's attribute
    let rampart_intel::Provenance::Feed { name, location } = &ip.provenance else {
        panic!("{:?}", ip.provenance)
    };
    assert_eq!(name, &feed.display().to_string());
    assert_eq!(
        location.as_deref(),
        Some("object attribute a0000000-0000-4000-8000-000000000001")
    );
    assert_eq!(
        find(&r, "https://secure-docs.example/Login").verdict,
        Verdict::Suspicious,
        "to_ids false"
    );
    let ev1 = feed.join("5f1c0a2e-0000-4000-8000-000000000001.json");
    let manifest = feed.join("manifest.json");
    let got = issues(&r);
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(
        got[0],
        format!(
            "{} object ../../etc/passwd: the manifest key is not an event uuid; entry skipped",
            manifest.display()
        )
    );
    assert_eq!(
        got[1],
        format!(
            "{} object attribute a0000000-0000-4000-8000-000000000002: \"999.1.1.1\" is not an IP address",
            ev1.display()
        )
    );
    assert!(
        got[2].starts_with(&format!(
            "{} object 5f1c0a2e-0000-4000-8000-0000000000ff: the event file {} cannot be read:",
            manifest.display(),
            feed.join("5f1c0a2e-0000-4000-8000-0000000000ff.json")
                .display()
        )),
        "{}",
        got[2]
    );
    // a directory that is not a feed is an error, not an empty import
    let err = rampart_intel::import_path(tmp.path(), None, &opts).unwrap_err();
    assert!(err.to_string().contains("without manifest.json"), "{err}");
    // a manifest that is not one is an issue
    std::fs::write(&manifest, "[1, 2]").unwrap();
    let bad = rampart_intel::import_path(&feed, None, &opts).unwrap();
    assert!(bad.indicators.is_empty());
    assert_eq!(
        issues(&bad),
        [format!(
            "{} file: not a MISP feed manifest (expected an object keyed by event uuid)",
            manifest.display()
        )]
    );
}
