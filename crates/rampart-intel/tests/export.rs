//! Round trips: the fixtures' indicators exported to STIX 2.1, CSV and MISP JSON and
//! imported again lose nothing the format can carry.

use std::collections::HashSet;
use std::path::Path;

use jiff::Timestamp;
use rampart_intel::export::{stix_pattern, to_csv, to_misp, to_stix};
use rampart_intel::{Format, ImportOptions, Indicator, Verdict, import, parse};

fn now() -> Timestamp {
    "2026-11-23T00:00:00Z".parse().unwrap()
}

fn fixtures() -> Vec<Indicator> {
    let mut all = Vec::new();
    for name in [
        "campaign.csv",
        "campaign.txt",
        "bundle.json",
        "misp-event.json",
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let bytes = std::fs::read(&path).unwrap();
        all.extend(import(&bytes, name, None, &ImportOptions::new(now())).indicators);
    }
    // something of every verdict, with validity and sightings
    if let Some(i) = all.get_mut(1) {
        i.verdict = Verdict::BenignAllow;
        i.sightings = 7;
        i.valid_until = Some("2027-01-01T00:00:00Z".parse().unwrap());
    }
    all
}

/// Everything but provenance (never exported), with tags as a set.
fn key(i: &Indicator, confidence: bool) -> String {
    let mut tags: Vec<String> = i.tags.iter().map(|t| t.to_string()).collect();
    tags.sort();
    format!(
        "{} {} {:?} conf={} {} tags={tags:?} {}..{} until={:?} n={} {:?}",
        i.observable.kind(),
        i.observable,
        i.verdict,
        if confidence { i.confidence.get() } else { 0 },
        i.tlp,
        i.first_seen,
        i.last_seen,
        if confidence { i.valid_until } else { None },
        if confidence { i.sightings } else { 0 },
        i.description
    )
}

fn round_trip(bytes: &[u8], format: Format) -> Vec<Indicator> {
    let r = import(bytes, "export", Some(format), &ImportOptions::new(now()));
    assert!(r.issues.is_empty(), "{:#?}", r.issues);
    r.indicators
}

#[test]
fn stix_round_trip_loses_nothing() {
    let orig = fixtures();
    assert_eq!(orig.len(), 27);
    let bundle = to_stix(&orig, now());
    let bytes = serde_json::to_vec_pretty(&bundle).unwrap();
    let back = round_trip(&bytes, Format::Stix);
    let a: Vec<String> = orig.iter().map(|i| key(i, true)).collect();
    let b: Vec<String> = back.iter().map(|i| key(i, true)).collect();
    assert_eq!(a, b);
    // ids are unique and stable
    let objects = bundle["objects"].as_array().unwrap();
    let ids: HashSet<&str> = objects.iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), objects.len());
    assert_eq!(to_stix(&orig, now()), bundle);
    let types: Vec<&str> = objects
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    for t in [
        "marking-definition",
        "campaign",
        "intrusion-set",
        "malware",
        "relationship",
    ] {
        assert!(types.contains(&t), "{t} missing");
    }
}

/// STIX → Rampart → STIX: a bundle Rampart wrote, read back and written again, is the same
/// bundle, and every field Rampart keeps (a timeless indicator's `decays` too) survives.
#[test]
fn stix_to_rampart_to_stix_is_the_same_bundle() {
    let mut orig = fixtures();
    orig[2].decays = false;
    orig[3].description = None;
    let bundle = to_stix(&orig, now());
    let back = round_trip(&serde_json::to_vec(&bundle).unwrap(), Format::Stix);
    let with_decay = |i: &Indicator| format!("{} decays={}", key(i, true), i.decays);
    let a: Vec<String> = orig.iter().map(with_decay).collect();
    let b: Vec<String> = back.iter().map(with_decay).collect();
    assert_eq!(a, b);
    assert_eq!(to_stix(&back, now()), bundle);
    // Rampart's own properties travel in the declared property extension, not as x_ ones
    let text = serde_json::to_string(&bundle).unwrap();
    assert!(!text.contains("\"x_rampart"), "{text}");
    let objects = bundle["objects"].as_array().unwrap();
    let ext = rampart_intel::export::STIX_EXTENSION_ID;
    assert!(
        objects
            .iter()
            .any(|o| o["id"] == ext && o["extension_types"][0] == "property-extension")
    );
    for o in objects.iter().filter(|o| o["type"] == "indicator") {
        assert!(o["name"].is_string() && o["description"].is_string(), "{o}");
        assert_eq!(o["extensions"][ext]["extension_type"], "property-extension");
    }
}

#[test]
fn csv_round_trip_loses_nothing() {
    let orig = fixtures();
    let bytes = to_csv(&orig).unwrap();
    let back = round_trip(&bytes, Format::Csv);
    let a: Vec<String> = orig.iter().map(|i| key(i, true)).collect();
    let b: Vec<String> = back.iter().map(|i| key(i, true)).collect();
    assert_eq!(a, b);
}

#[test]
fn misp_round_trip_keeps_what_misp_carries() {
    // MISP attributes carry no confidence, sighting count or validity end.
    let orig = fixtures();
    let event = to_misp(&orig, "round trip", now());
    let bytes = serde_json::to_vec(&event).unwrap();
    let back = round_trip(&bytes, Format::Misp);
    let a: Vec<String> = orig.iter().map(|i| key(i, false)).collect();
    let b: Vec<String> = back.iter().map(|i| key(i, false)).collect();
    assert_eq!(a, b);
}

#[test]
fn stix_patterns_for_every_kind() {
    use rampart_intel::ObservableKind::*;
    for (kind, value, want) in [
        (Ipv4, "198.51.100.1", "[ipv4-addr:value = '198.51.100.1']"),
        (
            Cidr,
            "2001:db8::/32",
            "[ipv6-addr:value ISSUBSET '2001:db8::/32']",
        ),
        (
            Url,
            "http://evil.example/it's",
            "[url:value = 'http://evil.example/it\\'s']",
        ),
        (
            Sha1,
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']",
        ),
        (Asn, "AS64500", "[autonomous-system:number = 64500]"),
    ] {
        assert_eq!(stix_pattern(&parse(kind, value).unwrap()), want);
    }
}
