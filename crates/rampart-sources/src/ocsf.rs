//! OCSF: Authentication (class 3002) in and out, Detection Finding (class 2004) out.
//!
//! OCSF has no field for "the password was proven right but the sign-in failed", nor for
//! a few other things Rampart knows. Those go in `unmapped.rampart`
//! (`outcome`, `client_app`, `os`, `interactive`, `provider_trusted`, `proxy`,
//! `geo_source`, `accuracy_km`), so that decoding what [`signin_to_ocsf`] wrote gives the
//! same sign-in back (except `tenant`, which a decoder never sets, and `source_format`,
//! which becomes `ocsf`). `time_dt` carries the time at full precision; `time` is epoch
//! milliseconds as OCSF requires.

use jiff::Timestamp;
use rampart_model::{
    Evidence, Finding, GeoSource, NetworkHints, Outcome, Severity, SideEvidence, SignIn,
    SourceFormat,
};
use serde_json::{Map, Value, json};

use crate::norm::{self, Decision, flag, num, owned, reject, skip, text};
use crate::wire::Rec;

/// The OCSF schema version written.
pub const OCSF_VERSION: &str = "1.2.0";

const AUTHENTICATION: u32 = 3002;
const DETECTION_FINDING: u32 = 2004;

fn product() -> Value {
    json!({"name": "Rampart", "vendor_name": "Rampart"})
}

fn ms(t: Timestamp) -> i64 {
    t.as_millisecond()
}

/// A sign-in as an OCSF Authentication (3002) Logon event.
pub fn signin_to_ocsf(s: &SignIn) -> Value {
    let success = s.outcome == Outcome::Success;
    let mut ev = Map::new();
    ev.insert("class_uid".into(), json!(AUTHENTICATION));
    ev.insert("class_name".into(), json!("Authentication"));
    ev.insert("category_uid".into(), json!(3));
    ev.insert(
        "category_name".into(),
        json!("Identity & Access Management"),
    );
    ev.insert("activity_id".into(), json!(1));
    ev.insert("activity_name".into(), json!("Logon"));
    ev.insert("type_uid".into(), json!(AUTHENTICATION * 100 + 1));
    ev.insert("type_name".into(), json!("Authentication: Logon"));
    ev.insert("severity_id".into(), json!(1));
    ev.insert("severity".into(), json!("Informational"));
    ev.insert("time".into(), json!(ms(s.time)));
    ev.insert("time_dt".into(), json!(s.time.to_string()));
    ev.insert("status_id".into(), json!(if success { 1 } else { 2 }));
    ev.insert(
        "status".into(),
        json!(if success { "Success" } else { "Failure" }),
    );
    if let Some(code) = &s.result_code {
        ev.insert("status_code".into(), json!(code));
    }
    if let Some(detail) = &s.result_detail {
        ev.insert("status_detail".into(), json!(detail));
    }

    let mut metadata = Map::new();
    metadata.insert("version".into(), json!(OCSF_VERSION));
    metadata.insert("product".into(), product());
    metadata.insert("uid".into(), json!(s.record_id));
    metadata.insert("log_provider".into(), json!(s.source_format.as_str()));
    if let Some(t) = &s.provider_tenant {
        metadata.insert("tenant_uid".into(), json!(t));
    }
    if let Some(c) = &s.correlation_id {
        metadata.insert("correlation_uid".into(), json!(c));
    }
    ev.insert("metadata".into(), Value::Object(metadata));

    let mut user = Map::new();
    user.insert("name".into(), json!(s.user));
    user.insert("type_id".into(), json!(1));
    if s.user.contains('@') {
        user.insert("email_addr".into(), json!(s.user));
    }
    ev.insert("user".into(), Value::Object(user));

    let mut src = Map::new();
    if let Some(ip) = s.ip {
        src.insert("ip".into(), json!(ip.to_string()));
    }
    if let Some(d) = &s.device_id {
        src.insert("uid".into(), json!(d));
    }
    if let Some(isp) = &s.network.isp {
        src.insert("isp".into(), json!(isp));
    }
    if let Some(asn) = s.asn {
        src.insert("autonomous_system".into(), json!({"number": asn}));
    }
    if let Some(l) = &s.location {
        let mut loc = Map::new();
        loc.insert("lat".into(), json!(l.lat));
        loc.insert("long".into(), json!(l.lon));
        loc.insert("coordinates".into(), json!([l.lon, l.lat]));
        for (k, v) in [
            ("city", &l.city),
            ("region", &l.region),
            ("country", &l.country),
        ] {
            if let Some(v) = v {
                loc.insert(k.into(), json!(v));
            }
        }
        src.insert("location".into(), Value::Object(loc));
    }
    if !src.is_empty() {
        ev.insert("src_endpoint".into(), Value::Object(src));
    }
    if let Some(ua) = &s.user_agent {
        ev.insert("http_request".into(), json!({"user_agent": ua}));
    }
    if let Some(sid) = &s.session_id {
        ev.insert("session".into(), json!({"uid": sid}));
    }
    // OCSF wants a `service` or a `dst_endpoint`.
    match &s.app {
        Some(app) => ev.insert("service".into(), json!({"name": app})),
        None => ev.insert(
            "dst_endpoint".into(),
            json!({"name": s.source_format.as_str()}),
        ),
    };

    let mut extra = Map::new();
    extra.insert("outcome".into(), json!(s.outcome.as_str()));
    extra.insert("password_proven".into(), json!(s.outcome.password_proven()));
    if let Some(v) = &s.client_app {
        extra.insert("client_app".into(), json!(v));
    }
    if let Some(v) = &s.os {
        extra.insert("os".into(), json!(v));
    }
    if let Some(v) = s.interactive {
        extra.insert("interactive".into(), json!(v));
    }
    if s.network.provider_trusted {
        extra.insert("provider_trusted".into(), json!(true));
    }
    if let Some(v) = s.network.proxy {
        extra.insert("proxy".into(), json!(v));
    }
    if let Some(l) = &s.location {
        extra.insert("geo_source".into(), json!(geo_source_name(l.source)));
        if let Some(a) = l.accuracy_km {
            extra.insert("accuracy_km".into(), json!(a));
        }
    }
    ev.insert(
        "unmapped".into(),
        json!({ "rampart": Value::Object(extra) }),
    );
    Value::Object(ev)
}

fn geo_source_name(g: GeoSource) -> &'static str {
    match g {
        GeoSource::Record => "record",
        GeoSource::GeoIp => "geo_ip",
    }
}

fn outcome_from_name(name: &str) -> Option<Outcome> {
    [
        Outcome::Success,
        Outcome::CredentialValidFailure,
        Outcome::BadCredentials,
        Outcome::Other,
    ]
    .into_iter()
    .find(|o| o.as_str() == name)
}

/// Decodes an OCSF record: Authentication Logon (and unknown/other activities) become
/// sign-ins; other classes and activities are skipped.
pub(crate) fn decode(rec: &Rec<'_>) -> Decision {
    let Some(class) = text(&rec.class_uid) else {
        return reject("not an OCSF event: no `class_uid`");
    };
    if class != "3002" {
        return skip(format!("OCSF class {class} is not Authentication (3002)"));
    }
    match text(&rec.activity_id) {
        None | Some("1") | Some("0") | Some("99") => {}
        Some(a) => return skip(format!("OCSF Authentication activity {a} is not a logon")),
    }
    let time = match (text(&rec.time_dt), rec.time.as_ref()) {
        (Some(t), _) => norm::time("time_dt", t)?,
        (None, Some(t)) => epoch_ms(t.as_str())?,
        (None, None) => return reject("no `time` (the event time)"),
    };
    let user = rec.user.as_ref();
    let Some(name) = user.and_then(|u| {
        text(&u.name)
            .or_else(|| text(&u.email_addr))
            .or_else(|| text(&u.uid))
    }) else {
        return reject("no `user.name`, `user.email_addr` or `user.uid`");
    };
    let metadata = rec.metadata.as_ref();
    let Some(record_id) = metadata.and_then(|m| text(&m.uid)) else {
        return reject("no `metadata.uid` (the event id)");
    };
    let extra = rec.unmapped.as_ref().and_then(|u| u.rampart.as_ref());
    let status_code = text(&rec.status_code);
    let status_detail = text(&rec.status_detail);
    let outcome = extra
        .and_then(|x| text(&x.outcome))
        .and_then(outcome_from_name)
        .unwrap_or_else(|| match text(&rec.status_id) {
            Some("1") => Outcome::Success,
            Some("2") => failure_outcome(status_detail.or(status_code)),
            _ => Outcome::Other,
        });

    let src = rec.src_endpoint.as_ref();
    let location = src.and_then(|s| s.location.as_ref()).and_then(|l| {
        let coords = l
            .coordinates
            .as_ref()
            .map(|c| c.0.as_slice())
            .unwrap_or(&[]);
        let lat = num(&l.lat).or_else(|| coords.get(1).and_then(|n| n.0));
        let lon = num(&l.long).or_else(|| coords.first().and_then(|n| n.0));
        let mut loc =
            norm::record_location(lat, lon, text(&l.city), text(&l.region), text(&l.country))?;
        if let Some(x) = extra {
            if text(&x.geo_source) == Some("geo_ip") {
                loc.source = GeoSource::GeoIp;
            }
            loc.accuracy_km = num(&x.accuracy_km);
        }
        Some(loc)
    });

    Ok(Box::new(SignIn {
        tenant: None,
        provider_tenant: metadata.and_then(|m| owned(&m.tenant_uid)),
        user: norm::user(name),
        time,
        ip: src.and_then(|s| text(&s.ip)).and_then(norm::ip),
        location,
        asn: src
            .and_then(|s| s.autonomous_system.as_ref())
            .and_then(|a| norm::asn(num(&a.number))),
        network: NetworkHints {
            provider_trusted: extra.and_then(|x| flag(&x.provider_trusted)) == Some(true),
            proxy: extra.and_then(|x| flag(&x.proxy)),
            isp: src.and_then(|s| owned(&s.isp)),
        },
        app: rec.service.as_ref().and_then(|s| owned(&s.name)),
        client_app: extra.and_then(|x| owned(&x.client_app)),
        user_agent: rec.http_request.as_ref().and_then(|h| owned(&h.user_agent)),
        os: extra.and_then(|x| owned(&x.os)),
        device_id: src.and_then(|s| owned(&s.uid)),
        interactive: extra.and_then(|x| flag(&x.interactive)),
        session_id: rec.session.as_ref().and_then(|s| owned(&s.uid)),
        correlation_id: metadata.and_then(|m| owned(&m.correlation_uid)),
        outcome,
        result_code: status_code.map(str::to_owned),
        result_detail: status_detail.map(str::to_owned),
        source_format: SourceFormat::Ocsf,
        record_id: record_id.to_owned(),
    }))
}

/// OCSF `status_detail` words (the class description's Windows-style examples).
fn failure_outcome(detail: Option<&str>) -> Outcome {
    match detail.map(str::trim) {
        Some(d)
            if d.eq_ignore_ascii_case("INVALID_CREDENTIALS")
                || d.eq_ignore_ascii_case("USER_DOES_NOT_EXIST") =>
        {
            Outcome::BadCredentials
        }
        Some(d) if d.eq_ignore_ascii_case("PASSWORD_EXPIRED") => Outcome::CredentialValidFailure,
        _ => Outcome::Other,
    }
}

/// OCSF `time` is epoch milliseconds; some producers write an RFC 3339 string instead.
fn epoch_ms(s: &str) -> Result<Timestamp, norm::NotSignIn> {
    match s.trim().parse::<f64>() {
        Ok(f) => Some(f)
            .filter(|f| f.is_finite())
            .and_then(|f| Timestamp::from_millisecond(f as i64).ok())
            .map_or_else(
                || reject(format!("`time` {s:?} is not epoch milliseconds")),
                Ok,
            ),
        Err(_) => norm::time("time", s),
    }
}

fn severity(s: Severity) -> (u8, &'static str) {
    match s {
        Severity::Info => (1, "Informational"),
        Severity::Low => (2, "Low"),
        Severity::Medium => (3, "Medium"),
        Severity::High => (4, "High"),
        Severity::Critical => (5, "Critical"),
    }
}

/// The sign-ins a finding's evidence holds.
fn sides(e: &Evidence) -> Vec<&SideEvidence> {
    match e {
        Evidence::Travel(t) => vec![&t.from, &t.to],
        Evidence::Location(l) => {
            let mut v = Vec::with_capacity(2);
            if let Some(p) = &l.previous {
                v.push(p);
            }
            v.push(&l.signin);
            v
        }
        Evidence::Indicator(i) => vec![&i.signin],
        Evidence::CrossTenant(c) => vec![&c.signin],
        Evidence::Spray(sp) => sp.attempts.iter().collect(),
        // Raw records, not sign-ins: the rule and its records are in the evidence.
        Evidence::Sigma(_) => Vec::new(),
    }
}

/// The analytic behind a finding: the Sigma rule (id, title) for `sigma` findings, else
/// Rampart's detector.
fn analytic(f: &Finding) -> Value {
    match &f.evidence {
        Evidence::Sigma(e) => {
            let mut a = json!({"name": e.rule.title, "type_id": 1, "type": "Rule"});
            if let Some(id) = &e.rule.id {
                a["uid"] = json!(id);
            }
            a
        }
        _ => json!({"name": f.kind.as_str(), "type_id": 1, "type": "Rule"}),
    }
}

/// ATT&CK techniques a Sigma rule is tagged with (`attack.t1110.003` → `T1110.003`).
fn attacks(e: &Evidence) -> Vec<Value> {
    let Evidence::Sigma(e) = e else {
        return Vec::new();
    };
    e.rule
        .tags
        .iter()
        .filter_map(|t| t.strip_prefix("attack."))
        .filter(|t| {
            t.len() >= 5 && t.starts_with(['t', 'T']) && t[1..5].bytes().all(|b| b.is_ascii_digit())
        })
        .map(|t| json!({"technique": {"uid": t.to_ascii_uppercase()}, "version": "ATT&CK"}))
        .collect()
}

/// A finding as an OCSF Detection Finding (2004) Create event. The full evidence, with
/// every reason, is in `unmapped.rampart.evidence`.
pub fn finding_to_ocsf(f: &Finding) -> Value {
    let (severity_id, severity_name) = severity(f.severity);
    let last_event = f.event_ids.last().map(String::as_str).unwrap_or("");
    let uid = format!("{}:{}:{}:{}", f.kind, f.tenant, f.user, last_event);
    let sides = sides(&f.evidence);
    let first_seen = sides.iter().map(|s| s.time).min().unwrap_or(f.time);

    let mut observables =
        vec![json!({"name": "user", "type_id": 4, "type": "User Name", "value": f.user})];
    let mut evidences = Vec::with_capacity(sides.len());
    for side in &sides {
        let mut src = Map::new();
        if let Some(ip) = side.ip {
            src.insert("ip".into(), json!(ip.to_string()));
            let value = json!(ip.to_string());
            if !observables.iter().any(|o| o["value"] == value) {
                observables.push(json!({"name": "src_endpoint.ip", "type_id": 2, "type": "IP Address", "value": value}));
            }
        }
        if let (Some(lat), Some(lon)) = (side.lat, side.lon) {
            let mut loc = Map::new();
            loc.insert("lat".into(), json!(lat));
            loc.insert("long".into(), json!(lon));
            for (k, v) in [
                ("city", &side.city),
                ("region", &side.region),
                ("country", &side.country),
            ] {
                if let Some(v) = v {
                    loc.insert(k.into(), json!(v));
                }
            }
            src.insert("location".into(), Value::Object(loc));
        }
        if let Some(asn) = side.asn {
            src.insert("autonomous_system".into(), json!({"number": asn}));
        }
        evidences.push(json!({
            "uid": side.record_id,
            "time": ms(side.time),
            "src_endpoint": Value::Object(src),
            "user": {"name": f.user},
        }));
    }
    let reasons: Vec<Value> = f
        .evidence
        .reasons()
        .iter()
        .map(|r| json!({"code": r.code, "effect": r.effect, "text": r.text}))
        .collect();
    let desc = f
        .evidence
        .reasons()
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");

    let mut out = json!({
        "class_uid": DETECTION_FINDING,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": DETECTION_FINDING * 100 + 1,
        "type_name": "Detection Finding: Create",
        "severity_id": severity_id,
        "severity": severity_name,
        "status_id": 1,
        "status": "New",
        "time": ms(f.time),
        "time_dt": f.time.to_string(),
        "message": f.title,
        "risk_score": f.score,
        "metadata": {
            "version": OCSF_VERSION,
            "product": product(),
            "uid": uid,
            "tenant_uid": f.tenant.as_str(),
        },
        "finding_info": {
            "uid": uid,
            "title": f.title,
            "desc": desc,
            "types": [f.kind.as_str()],
            "analytic": analytic(f),
            "first_seen_time": ms(first_seen),
            "last_seen_time": ms(f.time),
            "related_events": f.event_ids.iter().map(|id| json!({"uid": id})).collect::<Vec<_>>(),
        },
        "observables": observables,
        "evidences": evidences,
        "unmapped": {
            "rampart": {
                "kind": f.kind.as_str(),
                "user": f.user,
                "reasons": reasons,
                "evidence": serde_json::to_value(&f.evidence).unwrap_or(Value::Null),
            }
        },
    });
    let attacks = attacks(&f.evidence);
    if !attacks.is_empty() {
        out["finding_info"]["attacks"] = Value::Array(attacks);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DecodeOptions, Decoded, decode_bytes};
    use rampart_model::Location;

    fn full_signin() -> SignIn {
        SignIn {
            tenant: None,
            provider_tenant: Some("887c9144-28b8-431b-885b-764fdeefcf62".into()),
            user: "user15@splunkresearch.onmicrosoft.com".into(),
            time: "2023-10-24T20:01:11.9490387Z".parse().unwrap_or_default(),
            ip: "1.2.3.4".parse().ok(),
            location: Some(Location {
                lat: 20.756160123483984,
                lon: -73.99697875976562,
                city: Some("Rochester".into()),
                region: Some("New York".into()),
                country: Some("US".into()),
                source: GeoSource::GeoIp,
                accuracy_km: Some(20.0),
            }),
            asn: Some(12271),
            network: NetworkHints {
                provider_trusted: true,
                proxy: Some(false),
                isp: Some("charter".into()),
            },
            app: Some("Azure Active Directory PowerShell".into()),
            client_app: Some("Mobile Apps and Desktop clients".into()),
            user_agent: Some("WindowsPowerShell/5.1".into()),
            os: Some("Windows".into()),
            device_id: Some("dev-1".into()),
            interactive: Some(true),
            session_id: Some("sess-1".into()),
            correlation_id: Some("1f577997-0710-4bd4-848e-5854f748f7dc".into()),
            outcome: Outcome::CredentialValidFailure,
            result_code: Some("50076".into()),
            result_detail: Some("MFA required".into()),
            source_format: SourceFormat::EntraSigninLogs,
            record_id: "22608a25-1d9b-44b5-b0f2-cb94f06b2d00".into(),
        }
    }

    fn round_trip(s: &SignIn) -> SignIn {
        let bytes = serde_json::to_vec(&signin_to_ocsf(s)).unwrap_or_default();
        let mut out = Vec::new();
        decode_bytes(&bytes, "ocsf.json", &DecodeOptions::default(), &mut |d| {
            out.push(d)
        });
        match out.as_slice() {
            [Decoded::SignIn(s)] => (**s).clone(),
            other => panic!("expected one sign-in, got {other:?}"),
        }
    }

    #[test]
    fn signin_round_trips_through_ocsf() {
        let s = full_signin();
        let back = round_trip(&s);
        let want = SignIn {
            source_format: SourceFormat::Ocsf,
            ..s
        };
        assert_eq!(back, want);
    }

    #[test]
    fn minimal_signins_round_trip_and_keep_the_outcome() {
        for outcome in [
            Outcome::Success,
            Outcome::CredentialValidFailure,
            Outcome::BadCredentials,
            Outcome::Other,
        ] {
            let s = SignIn {
                provider_tenant: None,
                ip: None,
                location: None,
                asn: None,
                network: NetworkHints::default(),
                app: None,
                client_app: None,
                user_agent: None,
                os: None,
                device_id: None,
                interactive: None,
                session_id: None,
                correlation_id: None,
                result_code: None,
                result_detail: None,
                source_format: SourceFormat::Ocsf,
                outcome,
                ..full_signin()
            };
            assert_eq!(round_trip(&s), s, "{outcome:?}");
        }
    }

    #[test]
    fn ocsf_shape_has_the_required_attributes() {
        let v = signin_to_ocsf(&full_signin());
        assert_eq!(v["class_uid"], 3002);
        assert_eq!(v["category_uid"], 3);
        assert_eq!(v["type_uid"], 300201);
        assert_eq!(v["status_id"], 2);
        assert_eq!(v["status_code"], "50076");
        assert_eq!(v["time"], 1698177671949_i64);
        assert_eq!(v["metadata"]["product"]["name"], "Rampart");
        assert_eq!(
            v["src_endpoint"]["location"]["coordinates"][0],
            -73.99697875976562
        );
        assert_eq!(
            v["unmapped"]["rampart"]["outcome"],
            "credential_valid_failure"
        );
        assert_eq!(v["unmapped"]["rampart"]["password_proven"], true);
    }

    #[test]
    fn finding_as_detection_finding() {
        use rampart_model::{
            FindingKind, IndicatorEvidence, MatchedIndicator, Reason, ReasonEffect, TenantId,
        };
        let s = full_signin();
        let side = SideEvidence {
            record_id: s.record_id.clone(),
            time: s.time,
            ip: s.ip,
            city: Some("Rochester".into()),
            region: None,
            country: Some("US".into()),
            lat: Some(20.75),
            lon: Some(-73.99),
            uncertainty_km: Some(20.0),
            geo_source: Some(GeoSource::Record),
            outcome: s.outcome,
            result_code: s.result_code.clone(),
            app: s.app.clone(),
            user_agent: None,
            asn: s.asn,
            source_format: s.source_format,
        };
        let Ok(tenant) = TenantId::new("acme-dental") else {
            panic!("valid slug");
        };
        let f = Finding {
            kind: FindingKind::IndicatorMatch,
            severity: Severity::High,
            score: 80,
            tenant,
            user: s.user.clone(),
            time: s.time,
            title: "Sign-in from a listed IP".into(),
            event_ids: vec![s.record_id.clone()],
            evidence: Evidence::Indicator(Box::new(IndicatorEvidence {
                signin: side,
                indicator: MatchedIndicator {
                    kind: "ipv4".into(),
                    value: "1.2.3.4".into(),
                    matched: "exact".into(),
                    verdict: "malicious".into(),
                    confidence: 50,
                    score: 50.0,
                    tlp: "amber".into(),
                    tags: Vec::new(),
                    last_seen: None,
                    valid_until: None,
                },
                description: Some("spray source".into()),
                indicator_source: "iocs.csv:2".into(),
                reasons: vec![Reason::new(
                    "credential_valid",
                    ReasonEffect::Raised,
                    "The password was proven right.",
                )],
            })),
        };
        let v = finding_to_ocsf(&f);
        assert_eq!(v["class_uid"], 2004);
        assert_eq!(v["type_uid"], 200401);
        assert_eq!(v["severity_id"], 4);
        assert_eq!(v["metadata"]["tenant_uid"], "acme-dental");
        assert_eq!(v["finding_info"]["types"][0], "indicator_match");
        assert_eq!(
            v["finding_info"]["related_events"][0]["uid"],
            s.record_id.as_str()
        );
        assert_eq!(v["finding_info"]["desc"], "The password was proven right.");
        assert_eq!(v["evidences"][0]["src_endpoint"]["ip"], "1.2.3.4");
        assert_eq!(v["observables"][1]["value"], "1.2.3.4");
        assert_eq!(v["unmapped"]["rampart"]["reasons"][0]["effect"], "raised");
        assert_eq!(
            v["unmapped"]["rampart"]["evidence"]["indicator_source"],
            "iocs.csv:2"
        );
    }

    #[test]
    fn foreign_ocsf_without_rampart_extras() {
        let rec = br#"{"class_uid":3002,"activity_id":1,"time":1698177671949,"status_id":2,
            "status_detail":"INVALID_CREDENTIALS","user":{"name":"Bob@Example.com"},
            "metadata":{"uid":"e1","version":"1.2.0","product":{"name":"x"}},
            "src_endpoint":{"ip":"81.2.69.144","location":{"coordinates":[2.35,48.85],"country":"FR"}}}"#;
        let mut out = Vec::new();
        decode_bytes(rec, "x.json", &DecodeOptions::default(), &mut |d| {
            out.push(d)
        });
        let [Decoded::SignIn(s)] = out.as_slice() else {
            panic!("{out:?}");
        };
        assert_eq!(s.user, "bob@example.com");
        assert_eq!(s.outcome, Outcome::BadCredentials);
        assert_eq!(s.time.as_millisecond(), 1698177671949);
        assert_eq!(
            s.location.as_ref().map(|l| (l.lat, l.lon)),
            Some((48.85, 2.35))
        );

        let logoff = br#"{"class_uid":3002,"activity_id":2,"time":1,"user":{"name":"b"},"metadata":{"uid":"e"}}"#;
        let other_class = br#"{"class_uid":4001,"time":1,"metadata":{"uid":"e"}}"#;
        for (bytes, want) in [
            (&logoff[..], "OCSF Authentication activity 2 is not a logon"),
            (
                &other_class[..],
                "OCSF class 4001 is not Authentication (3002)",
            ),
        ] {
            let mut out = Vec::new();
            decode_bytes(bytes, "x.json", &DecodeOptions::default(), &mut |d| {
                out.push(d)
            });
            assert!(
                matches!(out.as_slice(), [Decoded::Skipped { reason, .. }] if reason == want),
                "{out:?}"
            );
        }
    }
}
