//! Containers (array, NDJSON, wrappers, gzip, CSV, directories), forced formats, lenient
//! types, and every kind of rejection — on small inline inputs.

use std::io::Write;
use std::path::{Path, PathBuf};

use rampart_model::{Outcome, SignIn, SourceFormat};
use rampart_sources::{
    DecodeOptions, Decoded, RecordRef, Rejection, SourceError, decode_bytes, list_files, read_file,
};
use serde_json::json;

#[derive(Debug, Default)]
struct Out {
    signins: Vec<SignIn>,
    skipped: Vec<(RecordRef, SourceFormat, String)>,
    rejected: Vec<Rejection>,
}

fn run(bytes: &[u8], format: Option<SourceFormat>) -> Out {
    let mut out = Out::default();
    decode_bytes(
        bytes,
        "in.json",
        &DecodeOptions { format },
        &mut |d| match d {
            Decoded::SignIn(s) => out.signins.push(*s),
            Decoded::Skipped { at, format, reason } => out.skipped.push((at, format, reason)),
            Decoded::Rejected(r) => out.rejected.push(r),
        },
    );
    out
}

fn auto(bytes: &[u8]) -> Out {
    run(bytes, None)
}

fn users(out: &Out) -> Vec<&str> {
    out.signins.iter().map(|s| s.user.as_str()).collect()
}

fn reasons(out: &Out) -> Vec<&str> {
    out.rejected.iter().map(|r| r.reason.as_str()).collect()
}

fn graph(id: &str, user: &str, code: u32) -> serde_json::Value {
    json!({
        "id": id,
        "createdDateTime": "2024-03-01T10:00:00Z",
        "userPrincipalName": user,
        "ipAddress": "81.2.69.144",
        "status": {"errorCode": code},
        "location": {"city": "Paris", "countryOrRegion": "FR",
                     "geoCoordinates": {"latitude": 48.85, "longitude": 2.35}}
    })
}

fn okta(uuid: &str, event_type: &str, result: &str, reason: Option<&str>) -> serde_json::Value {
    json!({
        "uuid": uuid, "published": "2024-03-01T10:00:00.000Z", "eventType": event_type,
        "actor": {"alternateId": "Ann@Example.com", "type": "User"},
        "client": {"ipAddress": "null", "zone": "null"},
        "request": {"ipChain": [{"ip": "67.43.156.14"}]},
        "outcome": {"result": result, "reason": reason},
        "debugContext": {"debugData": {"factor": "OKTA_VERIFY_PUSH"}}
    })
}

fn ndjson(values: &[serde_json::Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        out.extend_from_slice(v.to_string().as_bytes());
        out.push(b'\n');
    }
    out
}

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "rampart-sources-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        TempDir(dir)
    }
    fn write(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let path = self.0.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
        path
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap_or_else(|e| panic!("{e}"));
    enc.finish().unwrap_or_else(|e| panic!("{e}"))
}

// ---- containers ----

#[test]
fn json_array_with_record_lines() {
    let text = format!(
        "[\n  {},\n  {}\n]\n",
        graph("a", "A@x.com", 0),
        graph("b", "b@x.com", 50126)
    );
    let out = auto(text.as_bytes());
    assert_eq!(users(&out), ["a@x.com", "b@x.com"]);
    assert_eq!(out.signins[1].outcome, Outcome::BadCredentials);
}

#[test]
fn ndjson_blank_lines_ignored_and_a_bad_line_rejected_alone() {
    let mut text = ndjson(&[graph("a", "a@x.com", 0)]);
    text.extend_from_slice(b"\n   \n{\"id\": \"b\", \"createdDateTime\": \n");
    text.extend_from_slice(&ndjson(&[graph("c", "c@x.com", 50076)]));
    let out = auto(&text);
    assert_eq!(users(&out), ["a@x.com", "c@x.com"]);
    assert_eq!(out.signins[1].outcome, Outcome::CredentialValidFailure);
    assert_eq!(out.rejected.len(), 1);
    let r = &out.rejected[0];
    assert_eq!((r.at.index, r.at.line), (2, Some(4)));
    assert!(
        r.reason.starts_with("invalid JSON at line 4"),
        "{}",
        r.reason
    );
    assert_eq!(r.at.to_string(), "in.json record 2 (line 4)");
}

#[test]
fn graph_page_wrapper() {
    let page = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
        "@odata.nextLink": "https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=x",
        "value": [graph("a", "a@x.com", 0), graph("b", "b@x.com", 53003)]
    });
    let text = serde_json::to_string_pretty(&page).unwrap_or_default();
    let out = auto(text.as_bytes());
    assert_eq!(users(&out), ["a@x.com", "b@x.com"]);
    assert_eq!(out.signins[1].outcome, Outcome::CredentialValidFailure);
    assert_eq!(out.signins[0].source_format, SourceFormat::EntraGraph);
    assert_eq!(
        out.signins[0].location.as_ref().map(|l| (l.lat, l.lon)),
        Some((48.85, 2.35))
    );
}

#[test]
fn azure_monitor_records_wrapper() {
    let rec = |cat: &str, id: &str| {
        json!({
            "time": "2023-10-24T20:13:31.4449614Z", "category": cat, "tenantId": "t-1",
            "resultType": "50126", "callerIpAddress": "1.2.3.4",
            "properties": {"id": id, "createdDateTime": "2023-10-24T20:01:11.9490387+00:00",
                           "userPrincipalName": "u@x.com", "status": {"errorCode": 50126},
                           "networkLocationDetails": [{"networkType": "trustedNamedLocation",
                                                       "networkNames": ["HQ"]}]}
        })
    };
    let page =
        json!({"records": [rec("SignInLogs", "p1"), rec("ServicePrincipalSignInLogs", "p2")]});
    let out = auto(page.to_string().as_bytes());
    assert_eq!(out.signins.len(), 1);
    assert_eq!(out.skipped.len(), 1);
    let s = &out.signins[0];
    assert_eq!(s.source_format, SourceFormat::EntraSigninLogs);
    assert_eq!(s.provider_tenant.as_deref(), Some("t-1"));
    assert!(s.network.provider_trusted);
    assert_eq!(s.ip, "1.2.3.4".parse().ok(), "from callerIpAddress");
    assert_eq!(s.outcome, Outcome::BadCredentials);
    assert_eq!(
        (out.skipped[0].0.index, out.skipped[0].1),
        (2, SourceFormat::EntraSigninLogs)
    );
}

#[test]
fn google_reports_items_page_with_several_events() {
    let page = json!({
        "kind": "admin#reports#activities",
        "items": [{
            "kind": "admin#reports#activity",
            "id": {"time": "2024-03-01T10:00:00.000Z", "uniqueQualifier": "-42",
                   "applicationName": "login", "customerId": "C0abc"},
            "actor": {"email": "Bob@Example.com", "profileId": "1"},
            "ipAddress": "81.2.69.144",
            "events": [
                {"type": "login", "name": "login_challenge",
                 "parameters": [{"name": "login_challenge_method", "multiValue": ["idv_preregistered_phone"]},
                                {"name": "login_challenge_status", "value": "Challenge Failed."}]},
                {"type": "login", "name": "login_failure",
                 "parameters": [{"name": "login_failure_type", "value": "login_failure_invalid_password"}]},
                {"type": "login", "name": "logout"}
            ]
        }, {
            "kind": "admin#reports#activity",
            "id": {"time": "2024-03-01T10:00:00Z", "uniqueQualifier": "7", "applicationName": "drive"},
            "events": [{"name": "view"}]
        }]
    });
    let out = auto(page.to_string().as_bytes());
    assert_eq!(
        out.signins
            .iter()
            .map(|s| (s.record_id.as_str(), s.outcome))
            .collect::<Vec<_>>(),
        [
            ("-42", Outcome::CredentialValidFailure),
            ("-42#2", Outcome::BadCredentials)
        ]
    );
    assert_eq!(out.signins[0].user, "bob@example.com");
    assert_eq!(out.signins[0].provider_tenant.as_deref(), Some("C0abc"));
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(out.skipped[0].2, "application `drive` is not `login`");
}

#[test]
fn gzip_by_content_whatever_the_name() {
    let plain = ndjson(&[graph("a", "a@x.com", 0), graph("b", "b@x.com", 0)]);
    let out = auto(&gzip(&plain));
    assert_eq!(users(&out), ["a@x.com", "b@x.com"]);

    let dir = TempDir::new("gzip");
    let path = dir.write("export.json", &gzip(&plain));
    let mut n = 0;
    read_file(&path, &DecodeOptions::default(), &mut |d| {
        assert!(matches!(d, Decoded::SignIn(_)), "{d:?}");
        n += 1;
    })
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(n, 2);
}

#[test]
fn bad_gzip_stream() {
    let mut broken = gzip(&ndjson(&[graph("a", "a@x.com", 0)]));
    broken.truncate(broken.len() / 2);
    let out = auto(&broken);
    assert_eq!(out.rejected.len(), 1);
    assert_eq!(out.rejected[0].at.index, 0);
    assert!(reasons(&out)[0].starts_with("not a valid gzip stream"));

    // From a file: the file is rejected (named, with the reason), not the whole run.
    let dir = TempDir::new("badgz");
    let path = dir.write("x.log.gz", &broken);
    let mut rejected = Vec::new();
    read_file(&path, &DecodeOptions::default(), &mut |d| {
        if let Decoded::Rejected(r) = d {
            rejected.push(r);
        }
    })
    .expect("a broken gzip file is bad input, not an I/O error");
    assert_eq!(rejected.len(), 1);
    assert!(rejected[0].at.file.ends_with("x.log.gz"), "{}", rejected[0]);
    assert!(
        rejected[0].reason.starts_with("not a valid gzip stream"),
        "{}",
        rejected[0]
    );
}

#[test]
fn purview_csv_with_audit_data_column() {
    let rec = json!({
        "CreationTime": "2023-06-18T12:02:47", "Id": "r1", "Operation": "UserLoginFailed",
        "OrganizationId": "org", "RecordType": "15", "UserId": "Lidia@contoso.com",
        "ClientIP": "[2001:db8::1]:443", "ErrorNumber": 50074, "Workload": "AzureActiveDirectory"
    });
    let other = json!({"CreationTime": "2023-06-18T12:02:48", "Id": "r2", "Operation": "MailItemsAccessed"});
    let quote = |v: &serde_json::Value| format!("\"{}\"", v.to_string().replace('"', "\"\""));
    let csv = format!(
        "RecordType,CreationDate,UserIds,Operations,AuditData\r\n\
         AzureActiveDirectoryStsLogon,6/18/2023 12:02:47 PM,Lidia@contoso.com,UserLoginFailed,{}\r\n\
         ExchangeItem,6/18/2023 12:02:48 PM,x,MailItemsAccessed,{}\r\n\
         AzureActiveDirectoryStsLogon,6/18/2023 12:02:49 PM,x,UserLoggedIn,\r\n",
        quote(&rec),
        quote(&other)
    );
    let out = auto(csv.as_bytes());
    assert_eq!(out.signins.len(), 1);
    let s = &out.signins[0];
    assert_eq!(s.user, "lidia@contoso.com");
    assert_eq!(
        s.outcome,
        Outcome::CredentialValidFailure,
        "50074 as a number"
    );
    assert_eq!(s.ip, "2001:db8::1".parse().ok());
    assert_eq!(s.time.to_string(), "2023-06-18T12:02:47Z");
    assert_eq!(out.skipped.len(), 1);
    assert_eq!(
        out.skipped[0].2,
        "operation `MailItemsAccessed` (RecordType ?) is not a sign-in"
    );
    assert_eq!(out.skipped[0].0.line, Some(3));
    assert_eq!(reasons(&out), ["CSV row has an empty `AuditData` column"]);
    assert_eq!(out.rejected[0].at.line, Some(4));
}

#[test]
fn directories_recurse_sorted_without_hidden_files() {
    let dir = TempDir::new("tree");
    dir.write("b.json", b"[]");
    dir.write("a/z.log", b"");
    dir.write("a/deeper/y.json.gz", b"");
    dir.write(".hidden.json", b"");
    dir.write(".git/config", b"");
    dir.write("a/.cache/x.json", b"");
    let files = list_files(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let rel: Vec<String> = files
        .iter()
        .map(|p| {
            p.strip_prefix(dir.path())
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    assert_eq!(rel, ["a/deeper/y.json.gz", "a/z.log", "b.json"]);

    let file = dir.path().join("b.json");
    assert_eq!(list_files(&file).ok(), Some(vec![file.clone()]));

    let missing = dir.path().join("nope");
    let err = list_files(&missing);
    let Err(e @ SourceError::NotFound { .. }) = err else {
        panic!("{err:?}");
    };
    assert!(e.to_string().contains("nope"), "{e}");
    let Err(e) = read_file(&missing, &DecodeOptions::default(), &mut |_| {}) else {
        panic!("reading a missing file must fail");
    };
    assert!(e.to_string().contains("nope: no such file"), "{e}");
}

// ---- forced format ----

#[test]
fn forced_format_rejects_records_that_do_not_fit() {
    let text = ndjson(&[
        graph("a", "a@x.com", 0),
        okta("o1", "user.session.start", "SUCCESS", None),
    ]);
    let out = run(&text, Some(SourceFormat::Okta));
    assert_eq!(users(&out), ["ann@example.com"]);
    assert_eq!(out.rejected.len(), 1);
    assert!(
        out.rejected[0]
            .reason
            .starts_with("okta: not an Okta System Log event: no `eventType`"),
        "{}",
        out.rejected[0].reason
    );

    let out = run(&text, Some(SourceFormat::EntraGraph));
    assert_eq!(users(&out), ["a@x.com"]);
    assert!(reasons(&out)[0].starts_with("entra_graph: not an Entra Graph sign-in"));

    let out = run(&text, Some(SourceFormat::SonicWall));
    assert_eq!(out.signins.len(), 0);
    assert_eq!(out.rejected.len(), 2);
    assert!(reasons(&out)[0].starts_with("sonicwall: not a SonicWall key=value log line"));

    let syslog = br#"id=firewall sn=S time="2022-02-22 18:24:30 UTC" fw=10.0.0.2 m=98 msg="Connection Opened""#;
    let out = run(syslog, Some(SourceFormat::O365));
    assert_eq!(reasons(&out), ["o365: the line is not JSON"]);
    let out = run(syslog, Some(SourceFormat::SonicWall));
    assert_eq!(out.skipped.len(), 1);
}

// ---- lenient types and quirks ----

#[test]
fn numbers_as_strings_and_strings_as_numbers() {
    let rec = json!({
        "id": 12345, "createdDateTime": "2024-03-01T10:00:00Z", "userPrincipalName": "a@x.com",
        "status": {"errorCode": "50076"}, "autonomousSystemNumber": "3598",
        "isInteractive": "True",
        "location": {"geoCoordinates": {"latitude": "47.68", "longitude": "-122.12"}}
    });
    let out = auto(rec.to_string().as_bytes());
    let s = &out.signins[0];
    assert_eq!(s.record_id, "12345");
    assert_eq!(s.outcome, Outcome::CredentialValidFailure);
    assert_eq!(s.asn, Some(3598));
    assert_eq!(s.interactive, Some(true));
    assert_eq!(
        s.location.as_ref().map(|l| (l.lat, l.lon)),
        Some((47.68, -122.12))
    );
}

#[test]
fn duplicate_keys_last_wins_and_wrong_shapes_are_absent() {
    let text = r#"{"id":"d","createdDateTime":"2024-03-01T10:00:00Z",
        "userPrincipalName":"first@x.com","userPrincipalName":"Second@x.com",
        "homeTenantId":"a","homeTenantId":"b",
        "deviceDetail":"not an object","status":{"errorCode":0},"userAgent":{"odd":true}}"#;
    let out = auto(text.as_bytes());
    assert_eq!(users(&out), ["second@x.com"]);
    assert_eq!(out.signins[0].user_agent, None);
    assert_eq!(out.signins[0].os, None);
}

#[test]
fn graph_service_principal_sign_ins_are_skipped() {
    let mut rec = graph("sp", "app", 0);
    rec["signInEventTypes"] = json!(["servicePrincipal"]);
    let out = auto(rec.to_string().as_bytes());
    assert_eq!(out.skipped[0].2, "a servicePrincipal sign-in, not a user's");
}

#[test]
fn okta_failures_and_the_null_ip() {
    let text = ndjson(&[
        okta(
            "1",
            "user.session.start",
            "FAILURE",
            Some("INVALID_CREDENTIALS"),
        ),
        okta(
            "2",
            "user.authentication.auth_via_mfa",
            "FAILURE",
            Some("INVALID_CREDENTIALS"),
        ),
        okta("3", "user.mfa.okta_verify.deny_push", "DENY", None),
        okta("4", "user.session.start", "FAILURE", Some("LOCKED_OUT")),
        okta("5", "user.account.lock", "SUCCESS", None),
    ]);
    let out = auto(&text);
    assert_eq!(
        out.signins.iter().map(|s| s.outcome).collect::<Vec<_>>(),
        [
            Outcome::BadCredentials,
            Outcome::CredentialValidFailure,
            Outcome::CredentialValidFailure,
            Outcome::Other
        ]
    );
    assert_eq!(
        out.signins[0].result_code.as_deref(),
        Some("INVALID_CREDENTIALS")
    );
    assert!(
        out.signins
            .iter()
            .all(|s| s.ip == "67.43.156.14".parse().ok())
    );
    assert_eq!(
        out.skipped[0].2,
        "event type `user.account.lock` is not a sign-in"
    );
    assert!(
        out.signins.iter().all(|s| !s.network.provider_trusted),
        "zone \"null\""
    );

    let mut zoned = okta("6", "user.session.start", "SUCCESS", None);
    zoned["client"]["zone"] = json!("Office Network");
    let mut blocked = okta("7", "user.session.start", "SUCCESS", None);
    blocked["client"]["zone"] = json!("BlockedIpZone");
    let out = auto(&ndjson(&[zoned, blocked]));
    let trusted: Vec<bool> = out
        .signins
        .iter()
        .map(|s| s.network.provider_trusted)
        .collect();
    assert_eq!(trusted, [true, false]);
}

// ---- rejections ----

#[test]
fn every_rejection_says_what_and_where() {
    let cases: &[(&[u8], &str)] = &[
        (b"[1]", "not a JSON object"),
        (b"{\"hello\": \"world\"}", "not a known sign-in format"),
        (
            br#"{"id":"x","createdDateTime":"2024-03-01T10:00:00Z","status":{"errorCode":0}}"#,
            "entra_graph: no user: `userPrincipalName`, `signInIdentifier` and `userId` are all absent",
        ),
        (
            br#"{"id":"x","createdDateTime":"yesterday","userPrincipalName":"a"}"#,
            "entra_graph: `createdDateTime` \"yesterday\" is not a valid time",
        ),
        (
            br#"{"createdDateTime":"2024-03-01T10:00:00Z","userPrincipalName":"a"}"#,
            "entra_graph: no `id`",
        ),
        (
            br#"{"uuid":"u","eventType":"user.session.start","actor":{"alternateId":"a"}}"#,
            "okta: no `published`",
        ),
        (
            br#"{"CreationTime":"2024-03-01T10:00:00","Id":"i","Operation":"UserLoggedIn"}"#,
            "o365: no `UserId`",
        ),
        (
            b"hello, world",
            "the line is neither a JSON record nor a SonicWall key=value log line",
        ),
    ];
    for (bytes, want) in cases {
        let out = auto(bytes);
        assert_eq!(out.rejected.len(), 1, "{}", String::from_utf8_lossy(bytes));
        let r = &out.rejected[0];
        assert!(
            r.reason.starts_with(want),
            "{:?} does not start with {want:?}",
            r.reason
        );
        assert_eq!(r.at.index, 1);
        assert_eq!(r.at.line, Some(1));
        assert!(r.raw.is_some());
    }
}

#[test]
fn whole_input_problems_have_index_zero() {
    // A truncated array: the records before the break are kept.
    let text = format!("[\n{},\n{{\"id\": ", graph("a", "a@x.com", 0));
    let out = auto(text.as_bytes());
    assert_eq!(users(&out), ["a@x.com"]);
    let r = &out.rejected[0];
    assert_eq!((r.at.index, r.at.line), (0, Some(3)));
    assert!(
        r.reason.contains("the rest of the input was not read"),
        "{}",
        r.reason
    );

    // A pretty-printed object with a syntax error.
    let out = auto(b"{\n  \"value\": [\n    {\"id\": 1,}\n  ]\n}\n");
    assert_eq!(out.rejected[0].at.index, 0);
    assert_eq!(out.rejected[0].at.line, Some(3));
    assert!(
        reasons(&out)[0].contains("trailing comma at line 3"),
        "{:?}",
        reasons(&out)
    );

    // JSON that is not UTF-8.
    let out = auto(b"[{\"id\": \"\xff\"}]");
    assert!(reasons(&out)[0].starts_with("JSON input is not UTF-8 text"));
    assert_eq!(out.rejected[0].at.index, 0);

    // Nothing at all is nothing.
    assert!(auto(b"").rejected.is_empty());
    assert!(auto(b" \n\n ").rejected.is_empty());
}

#[test]
fn raw_text_is_capped_at_64_kib() {
    let big = format!("{{\"padding\": \"{}\"}}", "é".repeat(40_000));
    let out = auto(big.as_bytes());
    let raw = out.rejected[0].raw.as_deref().unwrap_or_default();
    assert!(
        raw.len() <= 64 * 1024 && raw.len() > 60 * 1024,
        "{}",
        raw.len()
    );
}

#[test]
fn non_utf8_syslog_is_decoded_lossily() {
    let line = b"id=firewall sn=S time=\"2022-02-22 18:24:30 UTC\" fw=1.2.3.4 m=30 msg=\"Administrator login denied due to bad credentials \xff\" n=1 src=216.160.83.57:1:X1\n";
    let out = auto(line);
    assert_eq!(out.signins.len(), 1);
    assert_eq!(out.signins[0].outcome, Outcome::BadCredentials);
}

#[test]
fn record_ref_display() {
    let at = |index, line| RecordRef {
        file: "exports/acme.json".into(),
        index,
        line,
    };
    assert_eq!(
        at(12, Some(13)).to_string(),
        "exports/acme.json record 12 (line 13)"
    );
    assert_eq!(at(12, None).to_string(), "exports/acme.json record 12");
    assert_eq!(at(0, Some(64)).to_string(), "exports/acme.json (line 64)");
}
