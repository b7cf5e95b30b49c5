//! An analysis as a STIX 2.1 bundle: the report, the actor (an `intrusion-set` when named,
//! a `threat-actor` when only described), `attack-pattern`s with their ATT&CK ids,
//! `malware` and `tool` objects, `indicator`s for the IOCs, `vulnerability` objects for the
//! CVE ids, and the relationships between them.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::analysis::Analysis;
use super::entities::EntityHit;
use super::iocs::IocKind;
use crate::export::{stix_pattern, stix_time, uuid_from};

/// The bundle for `analysis`. `name` names the report (its title or file); ids are
/// deterministic in the report name and the objects' values.
pub fn to_stix(analysis: &Analysis, name: &str, created: Timestamp) -> Value {
    let t = stix_time(created);
    let id = |ty: &str, key: &str| format!("{ty}--{}", uuid_from(&format!("{name}|{ty}|{key}")));
    let identity = format!(
        "identity--{}",
        uuid_from("rampart|identity|report-analysis")
    );
    let mut objects: Vec<Value> = vec![json!({
        "type": "identity", "spec_version": "2.1", "id": identity,
        "created": t, "modified": t,
        "name": "Rampart report analysis", "identity_class": "system",
    })];
    let mut refs: Vec<String> = Vec::new();
    let mut rels: Vec<Value> = Vec::new();
    let mut rel = |ty: &str, src: &str, dst: &str, desc: Option<&str>| {
        let mut r = json!({
            "type": "relationship", "spec_version": "2.1",
            "id": format!("relationship--{}", uuid_from(&format!("{name}|{ty}|{src}|{dst}"))),
            "created": t, "modified": t, "created_by_ref": identity,
            "relationship_type": ty, "source_ref": src, "target_ref": dst,
        });
        if let Some(d) = desc {
            r["description"] = json!(d);
        }
        rels.push(r);
    };

    // The actor.
    let actor_ref = if let Some(a) = analysis.actors.first() {
        let sid = id("intrusion-set", &a.name);
        let mut o = json!({
            "type": "intrusion-set", "spec_version": "2.1", "id": sid,
            "created": t, "modified": t, "created_by_ref": identity,
            "name": a.name, "description": a.evidence,
        });
        if !a.known_aliases.is_empty() {
            o["aliases"] = json!(a.known_aliases);
        }
        if let Some(g) = &a.attack_id {
            o["external_references"] = json!([{
                "source_name": "mitre-attack", "external_id": g,
                "url": format!("https://attack.mitre.org/groups/{g}/"),
            }]);
        }
        objects.push(o);
        Some(sid)
    } else if analysis.title != "Unattributed" {
        let sid = id("threat-actor", &analysis.title);
        objects.push(json!({
            "type": "threat-actor", "spec_version": "2.1", "id": sid,
            "created": t, "modified": t, "created_by_ref": identity,
            "name": analysis.title,
            "description": analysis.identification.first().cloned().unwrap_or_default(),
        }));
        Some(sid)
    } else {
        None
    };
    if let Some(a) = &actor_ref {
        refs.push(a.clone());
    }

    for tech in &analysis.techniques {
        let sid = id("attack-pattern", &tech.id);
        objects.push(json!({
            "type": "attack-pattern", "spec_version": "2.1", "id": sid,
            "created": t, "modified": t, "created_by_ref": identity,
            "name": tech.name,
            "external_references": [{
                "source_name": "mitre-attack", "external_id": tech.id,
                "url": format!("https://attack.mitre.org/techniques/{}/", tech.id.replace('.', "/")),
            }],
            "kill_chain_phases": tech.tactics.iter().map(|tac| json!({
                "kill_chain_name": "mitre-attack",
                "phase_name": tac.to_ascii_lowercase().replace(' ', "-"),
            })).collect::<Vec<_>>(),
        }));
        refs.push(sid.clone());
        if let Some(a) = &actor_ref {
            rel("uses", a, &sid, Some(&tech.evidence));
        }
    }

    let mut software =
        |e: &EntityHit, ty: &str, objects: &mut Vec<Value>, refs: &mut Vec<String>| {
            let sid = id(ty, &e.name);
            let mut o = json!({
                "type": ty, "spec_version": "2.1", "id": sid,
                "created": t, "modified": t, "created_by_ref": identity,
                "name": e.name, "description": e.evidence,
            });
            if ty == "malware" {
                o["is_family"] = json!(true);
            }
            if !e.known_aliases.is_empty() {
                o["aliases"] = json!(e.known_aliases);
            }
            if let Some(s) = &e.attack_id {
                o["external_references"] = json!([{
                    "source_name": "mitre-attack", "external_id": s,
                    "url": format!("https://attack.mitre.org/software/{s}/"),
                }]);
            }
            objects.push(o);
            refs.push(sid.clone());
            if let Some(a) = &actor_ref {
                rel("uses", a, &sid, None);
            }
        };
    for m in &analysis.malware {
        software(m, "malware", &mut objects, &mut refs);
    }
    for m in &analysis.tools {
        software(m, "tool", &mut objects, &mut refs);
    }

    for ioc in &analysis.iocs.iocs {
        if ioc.kind == IocKind::Cve {
            let sid = id("vulnerability", &ioc.value);
            objects.push(json!({
                "type": "vulnerability", "spec_version": "2.1", "id": sid,
                "created": t, "modified": t, "created_by_ref": identity,
                "name": ioc.value, "description": ioc.context,
                "external_references": [{"source_name": "cve", "external_id": ioc.value}],
            }));
            refs.push(sid.clone());
            if let Some(a) = &actor_ref {
                rel("targets", a, &sid, None);
            }
            continue;
        }
        let Some(obs) = ioc.observable() else {
            continue;
        };
        let sid = id("indicator", &format!("{}|{}", ioc.kind.as_str(), ioc.value));
        objects.push(json!({
            "type": "indicator", "spec_version": "2.1", "id": sid,
            "created": t, "modified": t, "created_by_ref": identity,
            "name": format!("{} {}", ioc.kind.as_str(), ioc.value),
            "description": ioc.context,
            "indicator_types": ["malicious-activity"],
            "pattern": stix_pattern(&obs), "pattern_type": "stix", "pattern_version": "2.1",
            "valid_from": t,
        }));
        refs.push(sid.clone());
        if let Some(a) = &actor_ref {
            rel("indicates", &sid, a, None);
        }
    }
    for r in &rels {
        if let Some(s) = r["id"].as_str() {
            refs.push(s.to_owned());
        }
    }
    let report_id = id("report", "report");
    let mut report = json!({
        "type": "report", "spec_version": "2.1", "id": report_id,
        "created": t, "modified": t, "created_by_ref": identity,
        "name": format!("Threat Actor: {} ({name})", analysis.title),
        "description": analysis.to_markdown(),
        "report_types": ["threat-actor"],
        "published": t,
        "object_refs": if refs.is_empty() { vec![identity.clone()] } else { refs },
    });
    if actor_ref.is_none() {
        report["report_types"] = json!(["threat-report"]);
    }
    objects.push(report);
    objects.extend(rels);
    json!({
        "type": "bundle",
        "id": format!("bundle--{}", uuid_from(&format!("{name}|bundle|{t}"))),
        "objects": objects,
    })
}
