//! Exporters: STIX 2.1 bundles, CSV and MISP event JSON, each readable again by
//! [`crate::import`] without loss of the fields the format can carry.
//!
//! Only indicators the caller passes are written: filter by TLP
//! ([`crate::Indicator::shareable_with`]) before exporting for a tenant. Provenance is never
//! written (an alert's tenant is private); the STIX and CSV outputs carry Rampart's verdict,
//! last sighting and sighting count (STIX in a property extension, [`STIX_EXTENSION_ID`],
//! defined in the bundle by an `extension-definition` created by Rampart's `identity`).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::import::STIX_TLP_IDS;
use crate::model::{Indicator, Observable, TagKind, Tlp, Verdict};

/// A deterministic RFC 4122-shaped UUID (version 4 bits) from a name: FNV-1a over two
/// seeds. Stable across runs, so re-exports give the same ids.
pub(crate) fn uuid_from(name: &str) -> String {
    let fnv = |seed: u64| {
        name.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let hi = fnv(0xcbf2_9ce4_8422_2325);
    let lo = fnv(0x8422_2325_cbf2_9ce4 ^ hi);
    let hi = (hi & 0xffff_ffff_ffff_0fff) | 0x0000_0000_0000_4000;
    let lo = (lo & 0x3fff_ffff_ffff_ffff) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xffff,
        hi & 0xffff,
        lo >> 48,
        lo & 0xffff_ffff_ffff
    )
}

pub(crate) fn stix_time(t: Timestamp) -> String {
    // STIX wants RFC 3339 in UTC with a `Z`; jiff prints that, milliseconds added.
    format!("{:.3}", t)
}

fn stix_string(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\'', "\\'")
}

/// The STIX pattern for one observable.
pub fn stix_pattern(observable: &Observable) -> String {
    let v = stix_string(&observable.to_string());
    match observable {
        Observable::Ip(std::net::IpAddr::V4(_)) => format!("[ipv4-addr:value = '{v}']"),
        Observable::Ip(std::net::IpAddr::V6(_)) => format!("[ipv6-addr:value = '{v}']"),
        Observable::Cidr(ipnet::IpNet::V4(_)) => format!("[ipv4-addr:value ISSUBSET '{v}']"),
        Observable::Cidr(ipnet::IpNet::V6(_)) => format!("[ipv6-addr:value ISSUBSET '{v}']"),
        Observable::Domain(_) => format!("[domain-name:value = '{v}']"),
        Observable::Url(_) => format!("[url:value = '{v}']"),
        Observable::Email(_) => format!("[email-addr:value = '{v}']"),
        Observable::Md5(_) => format!("[file:hashes.MD5 = '{v}']"),
        Observable::Sha1(_) => format!("[file:hashes.'SHA-1' = '{v}']"),
        Observable::Sha256(_) => format!("[file:hashes.'SHA-256' = '{v}']"),
        Observable::UserAgent(_) => format!(
            "[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = '{v}']"
        ),
        Observable::Asn(n) => format!("[autonomous-system:number = {n}]"),
    }
}

/// Rampart's STIX `identity` (a system), the creator of its extension definition.
pub const STIX_IDENTITY_ID: &str = "identity--8f2b6c1e-5d3a-4c7e-9b1f-2a6d4e8c0b57";

/// Rampart's STIX 2.1 property extension for indicators: `verdict`, `last_seen`,
/// `sightings` and `decays` (written only when false).
pub const STIX_EXTENSION_ID: &str = "extension-definition--3d9a7f2c-6b1e-4f8a-a5c3-7e2d1b9f4a60";

/// When the identity and extension definition were first published (fixed: they never change).
const STIX_DEFINED: &str = "2026-11-23T00:00:00.000Z";

fn stix_identity() -> Value {
    json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": STIX_IDENTITY_ID,
        "created": STIX_DEFINED,
        "modified": STIX_DEFINED,
        "name": "Rampart",
        "description": "Rampart, a managed-SOC platform: the system that wrote this bundle",
        "identity_class": "system",
    })
}

fn stix_extension_definition() -> Value {
    json!({
        "type": "extension-definition",
        "spec_version": "2.1",
        "id": STIX_EXTENSION_ID,
        "created_by_ref": STIX_IDENTITY_ID,
        "created": STIX_DEFINED,
        "modified": STIX_DEFINED,
        "name": "Rampart indicator properties",
        "description": "What Rampart knows of an indicator beyond STIX's own properties",
        "schema": "A property extension of indicator objects with: verdict (string: malicious, suspicious or benign-allow), last_seen (timestamp: the last sighting, from which the score decays), sightings (integer: how many times it was seen), decays (boolean, default true: false when the source gave no date and the indicator never decays).",
        "version": "1.0.0",
        "extension_types": ["property-extension"],
    })
}

/// Whether a STIX `name` or `description` only restates an indicator's value, as
/// [`to_stix`] writes them when there is nothing more to say (`ipv4 192.0.2.1`,
/// `malicious ipv4 192.0.2.1`).
pub(crate) fn restates_value(text: &str, observable: &Observable) -> bool {
    let value = observable.to_string();
    let named = format!("{} {value}", observable.kind());
    text == value
        || text == named
        || [
            Verdict::Malicious,
            Verdict::Suspicious,
            Verdict::BenignAllow,
        ]
        .iter()
        .any(|v| {
            text.strip_prefix(v.as_str())
                .and_then(|r| r.strip_prefix(' '))
                == Some(&named)
        })
}

fn tlp_marking(tlp: Tlp) -> Value {
    let id = STIX_TLP_IDS
        .iter()
        .find(|(_, t)| *t == tlp)
        .map_or("", |(id, _)| id);
    json!({
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": id,
        "created": "2022-10-01T00:00:00.000Z",
        "name": format!("TLP:{}", tlp.as_str().to_ascii_uppercase()),
        "extensions": {
            "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
                "extension_type": "property-extension",
                "tlp_2_0": tlp.as_str()
            }
        }
    })
}

/// A STIX 2.1 bundle: one `indicator` per indicator (STIX pattern, `indicator_types` from
/// the verdict, confidence, validity, free tags as `labels`, the TLP 2.0 marking), the TLP
/// marking definitions used, and a `campaign`, `intrusion-set` or `malware` object with an
/// `indicates` relationship for each such tag. `created` is the export time.
pub fn to_stix(indicators: &[Indicator], created: Timestamp) -> Value {
    let mut objects = Vec::new();
    let mut tlps: Vec<Tlp> = Vec::new();
    let mut named: BTreeMap<(u8, String), String> = BTreeMap::new();
    let mut relationships = Vec::new();
    let created_s = stix_time(created);
    for (i, ind) in indicators.iter().enumerate() {
        // Position, value and first sighting: the same list exports with the same ids.
        let key = format!("{i}|{}|{}", ind.observable.kind(), ind.observable);
        let id = format!(
            "indicator--{}",
            uuid_from(&format!("{key}|{}", stix_time(ind.first_seen)))
        );
        let mut o = json!({
            "type": "indicator",
            "spec_version": "2.1",
            "id": id,
            "created": created_s,
            "modified": created_s,
            "indicator_types": [match ind.verdict {
                Verdict::Malicious => "malicious-activity",
                Verdict::Suspicious => "anomalous-activity",
                _ => "benign",
            }],
            "pattern": stix_pattern(&ind.observable),
            "pattern_type": "stix",
            "pattern_version": "2.1",
            "valid_from": stix_time(ind.first_seen),
            "confidence": ind.confidence.get(),
            "object_marking_refs": [STIX_TLP_IDS.iter().find(|(_, t)| *t == ind.tlp).map_or("", |(id, _)| *id)],
            "name": format!("{} {}", ind.observable.kind(), ind.observable),
            "extensions": {
                STIX_EXTENSION_ID: {
                    "extension_type": "property-extension",
                    "verdict": ind.verdict.as_str(),
                    "last_seen": stix_time(ind.last_seen),
                    "sightings": ind.sightings,
                }
            },
        });
        if !ind.decays
            && let Some(ext) = o
                .pointer_mut(&format!("/extensions/{STIX_EXTENSION_ID}"))
                .and_then(Value::as_object_mut)
        {
            ext.insert("decays".into(), json!(false));
        }
        if let Some(map) = o.as_object_mut() {
            // STIX wants both a name and a description; with none of its own, the
            // description restates the verdict and value (and an import drops it again).
            let description = ind.description.clone().unwrap_or_else(|| {
                format!(
                    "{} {} {}",
                    ind.verdict.as_str(),
                    ind.observable.kind(),
                    ind.observable
                )
            });
            map.insert("description".into(), json!(description));
            if let Some(until) = ind.valid_until.filter(|u| *u > ind.first_seen) {
                map.insert("valid_until".into(), json!(stix_time(until)));
            }
            let labels: Vec<&str> = ind
                .tags
                .iter()
                .filter(|t| t.kind == TagKind::Other)
                .map(|t| t.name.as_str())
                .collect();
            if !labels.is_empty() {
                map.insert("labels".into(), json!(labels));
            }
        }
        if !tlps.contains(&ind.tlp) {
            tlps.push(ind.tlp);
        }
        for tag in ind.tags.iter().filter(|t| t.kind != TagKind::Other) {
            let (order, ty) = match tag.kind {
                TagKind::Campaign => (0, "campaign"),
                TagKind::Actor => (1, "intrusion-set"),
                _ => (2, "malware"),
            };
            let target = named
                .entry((order, tag.name.clone()))
                .or_insert_with(|| format!("{ty}--{}", uuid_from(&format!("{ty}|{}", tag.name))))
                .clone();
            relationships.push(json!({
                "type": "relationship",
                "spec_version": "2.1",
                "id": format!("relationship--{}", uuid_from(&format!("{id}|{target}"))),
                "created": created_s,
                "modified": created_s,
                "relationship_type": "indicates",
                "source_ref": id,
                "target_ref": target,
            }));
        }
        objects.push(o);
    }
    tlps.sort();
    let mut head: Vec<Value> = vec![stix_identity(), stix_extension_definition()];
    head.extend(tlps.into_iter().map(tlp_marking));
    for ((order, name), id) in named {
        let ty = ["campaign", "intrusion-set", "malware"]
            .get(usize::from(order))
            .copied()
            .unwrap_or("malware");
        let mut o = json!({
            "type": ty,
            "spec_version": "2.1",
            "id": id,
            "created": created_s,
            "modified": created_s,
            "name": name,
        });
        if order == 2
            && let Some(map) = o.as_object_mut()
        {
            map.insert("is_family".into(), json!(true));
        }
        head.push(o);
    }
    head.extend(objects);
    head.extend(relationships);
    json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid_from(&format!("bundle|{created_s}|{}", head.len()))),
        "objects": head,
    })
}

/// CSV with a header that [`crate::import_csv`] reads back:
/// `type,value,description,verdict,confidence,tlp,tags,first_seen,last_seen,valid_until,sightings`.
pub fn to_csv(indicators: &[Indicator]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "type",
        "value",
        "description",
        "verdict",
        "confidence",
        "tlp",
        "tags",
        "first_seen",
        "last_seen",
        "valid_until",
        "sightings",
    ])?;
    for ind in indicators {
        let tags: Vec<String> = ind.tags.iter().map(|t| t.to_string()).collect();
        w.write_record([
            ind.observable.kind().as_str(),
            &ind.observable.to_string(),
            ind.description.as_deref().unwrap_or(""),
            ind.verdict.as_str(),
            &ind.confidence.get().to_string(),
            ind.tlp.as_str(),
            &tags.join(";"),
            &ind.first_seen.to_string(),
            &ind.last_seen.to_string(),
            &ind.valid_until.map(|t| t.to_string()).unwrap_or_default(),
            &ind.sightings.to_string(),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// A MISP event (`{"Event": {…}}`) named `info`: one attribute per indicator, `to_ids`
/// true for malicious ones, `tlp:*` and galaxy tags per attribute (`misp-galaxy:threat-actor`,
/// `misp-galaxy:malpedia`, `misp-galaxy:campaign`), first/last seen. MISP attributes have no
/// confidence, sighting count, validity end or allow-list verdict; benign-allow indicators
/// get `to_ids: false` and the tag
/// `rampart:benign-allow`.
pub fn to_misp(indicators: &[Indicator], info: &str, created: Timestamp) -> Value {
    let mut attrs = Vec::new();
    for (i, ind) in indicators.iter().enumerate() {
        let ty = match &ind.observable {
            Observable::Ip(_) | Observable::Cidr(_) => "ip-dst",
            Observable::Domain(_) => "domain",
            Observable::Url(_) => "url",
            Observable::Email(_) => "email-src",
            Observable::Md5(_) => "md5",
            Observable::Sha1(_) => "sha1",
            Observable::Sha256(_) => "sha256",
            Observable::UserAgent(_) => "user-agent",
            Observable::Asn(_) => "AS",
        };
        let mut tags = vec![json!({"name": format!("tlp:{}", ind.tlp.as_str())})];
        for t in &ind.tags {
            let name = match t.kind {
                TagKind::Actor => format!("misp-galaxy:threat-actor=\"{}\"", t.name),
                TagKind::Malware => format!("misp-galaxy:malpedia=\"{}\"", t.name),
                TagKind::Campaign => format!("misp-galaxy:campaign=\"{}\"", t.name),
                _ => t.name.clone(),
            };
            tags.push(json!({ "name": name }));
        }
        if ind.verdict == Verdict::BenignAllow {
            tags.push(json!({"name": "rampart:benign-allow"}));
        }
        let value = match &ind.observable {
            Observable::Asn(n) => n.to_string(),
            o => o.to_string(),
        };
        attrs.push(json!({
            "uuid": uuid_from(&format!("misp|{i}|{}|{}", ind.observable.kind(), ind.observable)),
            "type": ty,
            "category": "Network activity",
            "value": value,
            "to_ids": ind.verdict == Verdict::Malicious,
            "comment": ind.description.clone().unwrap_or_default(),
            "first_seen": ind.first_seen.to_string(),
            "last_seen": ind.last_seen.to_string(),
            "timestamp": ind.last_seen.as_second().to_string(),
            "Tag": tags,
        }));
    }
    json!({
        "Event": {
            "uuid": uuid_from(&format!("event|{info}|{created}")),
            "info": info,
            "date": created.strftime("%Y-%m-%d").to_string(),
            "timestamp": created.as_second().to_string(),
            "threat_level_id": "2",
            "analysis": "2",
            "distribution": "0",
            "Attribute": attrs,
        }
    })
}
