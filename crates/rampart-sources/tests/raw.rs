//! The raw-record sink: every JSON record of a known format is handed over as it came,
//! with its place, time, user and provider id — sign-ins and skipped records alike — and
//! records that cannot be read are not.

use rampart_model::SourceFormat;
use rampart_sources::{DecodeOptions, Decoded, decode_bytes_with_raw};
use serde_json::json;

struct Seen {
    format: SourceFormat,
    index: usize,
    line: Option<usize>,
    text: String,
    record_id: Option<String>,
    time: Option<String>,
    user: Option<String>,
    provider_tenant: Option<String>,
}

fn raw(bytes: &[u8]) -> (Vec<Seen>, Vec<Decoded>) {
    let mut seen = Vec::new();
    let mut decoded = Vec::new();
    decode_bytes_with_raw(
        bytes,
        "in.json",
        &DecodeOptions::default(),
        &mut |d| decoded.push(d),
        &mut |r| {
            seen.push(Seen {
                format: r.format,
                index: r.at.index,
                line: r.at.line,
                text: r.text.to_owned(),
                record_id: r.record_id,
                time: r.time.map(|t| t.to_string()),
                user: r.user,
                provider_tenant: r.provider_tenant,
            })
        },
    );
    (seen, decoded)
}

#[test]
fn skipped_okta_events_are_handed_over_with_their_context() {
    let sign_in = json!({"uuid": "u-1", "published": "2026-03-02T10:00:00.000Z",
        "eventType": "user.session.start", "actor": {"alternateId": "Ana@Acme.example", "type": "User"},
        "client": {"ipAddress": "203.0.113.9"}, "outcome": {"result": "SUCCESS"}});
    let factor_reset = json!({"uuid": "u-2", "published": "2026-03-02T10:01:00.000Z",
        "eventType": "user.mfa.factor.deactivate", "actor": {"alternateId": "ana@acme.example", "type": "User"},
        "outcome": {"result": "FAILURE"}});
    let text = format!("{sign_in}\n{factor_reset}\nnot json\n");
    let (seen, decoded) = raw(text.as_bytes());

    assert_eq!(seen.len(), 2, "both Okta records, not the broken line");
    assert_eq!(decoded.len(), 3);
    assert!(matches!(decoded[0], Decoded::SignIn(_)));
    assert!(matches!(decoded[1], Decoded::Skipped { .. }));
    assert!(matches!(decoded[2], Decoded::Rejected(_)));

    let second = &seen[1];
    assert_eq!(second.format, SourceFormat::Okta);
    assert_eq!((second.index, second.line), (2, Some(2)));
    assert_eq!(second.record_id.as_deref(), Some("u-2"));
    assert_eq!(second.time.as_deref(), Some("2026-03-02T10:01:00Z"));
    assert_eq!(second.user.as_deref(), Some("ana@acme.example"));
    let v: serde_json::Value = serde_json::from_str(&second.text).unwrap();
    assert_eq!(v["eventType"], "user.mfa.factor.deactivate");
    assert_eq!(seen[0].user.as_deref(), Some("ana@acme.example"));
}

#[test]
fn wrapped_entra_records_are_handed_over_one_by_one() {
    let page = json!({"value": [
        {"id": "g-1", "createdDateTime": "2026-03-02T10:00:00Z", "userPrincipalName": "bo@acme.example",
         "tenantId": "t-acme", "ipAddress": "203.0.113.9", "status": {"errorCode": 0}},
        {"id": "g-2", "createdDateTime": "2026-03-02T10:05:00Z", "userPrincipalName": "bo@acme.example",
         "ipAddress": "203.0.113.9", "status": {"errorCode": 50126}}
    ]});
    let (seen, _) = raw(page.to_string().as_bytes());
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|s| s.format == SourceFormat::EntraGraph));
    assert_eq!(seen[0].record_id.as_deref(), Some("g-1"));
    assert_eq!(seen[0].provider_tenant.as_deref(), Some("t-acme"));
    assert_eq!(seen[1].provider_tenant, None);
    assert_eq!(seen[1].time.as_deref(), Some("2026-03-02T10:05:00Z"));
    let v: serde_json::Value = serde_json::from_str(&seen[1].text).unwrap();
    assert_eq!(v["status"]["errorCode"], 50126);

    // A SignInLogs envelope: the context comes from `properties` and the envelope.
    let env = json!({"time": "2026-03-02T11:00:00Z", "category": "SignInLogs", "tenantId": "t-env",
        "resultType": "0", "properties": {"id": "s-1", "userPrincipalName": "Cy@Acme.example",
        "createdDateTime": "2026-03-02T11:00:00Z", "ipAddress": "198.51.100.4", "status": {"errorCode": 0}}});
    let (seen, _) = raw(env.to_string().as_bytes());
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].format, SourceFormat::EntraSigninLogs);
    assert_eq!(seen[0].record_id.as_deref(), Some("s-1"));
    assert_eq!(seen[0].user.as_deref(), Some("cy@acme.example"));
    assert_eq!(seen[0].provider_tenant.as_deref(), Some("t-env"));
}

#[test]
fn unknown_records_and_firewall_lines_are_not_handed_over() {
    let text = "{\"hello\": 1}\n<134>id=firewall sn=000SERIAL time=\"2026-03-02 10:00:00\" fw=203.0.113.1 m=1079 msg=\"User login\" usr=\"admin\" src=198.51.100.7:443:X1\n";
    let (seen, decoded) = raw(text.as_bytes());
    assert!(seen.is_empty());
    assert_eq!(decoded.len(), 2);
}
