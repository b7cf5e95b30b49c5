//! The shipped identity field maps (`rampart_sigma::pipelines`) against the SigmaHQ identity
//! rules and real vendor records (`../shared/samples`): every rule of the four identity
//! folders compiles with the maps; chosen rules match raw-shaped records through the maps
//! and stop matching when the decisive field differs; a report of how many rules reference
//! only mapped fields.

use std::collections::{BTreeMap, BTreeSet};

use rampart_sigma::pipelines::{self, identity_field_maps};
use rampart_sigma::{CompileOptions, FieldMap, LogSource, Rule, load_dir, load_file};
use serde_json::{Value, json};

/// The SigmaHQ folders these maps serve (Okta's rules live under `rules/identity`, Google
/// Workspace's under `rules/cloud/gcp`).
const FOLDERS: [&str; 4] = [
    "sigma/rules/cloud/azure",
    "sigma/rules/cloud/m365",
    "sigma/rules/identity/okta",
    "sigma/rules/cloud/gcp/gworkspace",
];

fn opts() -> CompileOptions {
    let mut o = CompileOptions::default();
    o.field_maps = identity_field_maps();
    o
}

/// One SigmaHQ rule compiled with `opts`; it must compile (`None` only when ../shared is
/// absent).
fn rule_with(rel: &str, opts: &CompileOptions) -> Option<Rule> {
    let path = rampart_testkit::shared(&format!("sigma/rules/{rel}"))?;
    let mut l = load_file(&path, opts);
    assert!(l.errors.is_empty(), "{rel}: {:?}", l.errors);
    assert_eq!(l.rules.len(), 1, "{rel}");
    l.rules.pop()
}

/// One SigmaHQ rule compiled with the identity maps.
fn rule(rel: &str) -> Option<Rule> {
    rule_with(rel, &opts())
}

/// The same rule without any mapping.
fn rule_unmapped(rel: &str) -> Option<Rule> {
    rule_with(rel, &CompileOptions::default())
}

#[path = "support/samples.rs"]
mod samples;
use samples::{first, set};

#[path = "support/files.rs"]
mod files;
use files::yml_files;

// ---------------------------------------------------------------- (a) compilation

#[test]
fn every_identity_rule_compiles_with_the_maps() {
    let mut total = 0;
    for folder in FOLDERS {
        let Some(dir) = rampart_testkit::shared(folder) else {
            return;
        };
        let l = load_dir(&dir, &opts());
        assert!(l.errors.is_empty(), "{folder}: {:#?}", l.errors);
        assert!(!l.rules.is_empty(), "{folder}: no rule");
        eprintln!("{folder}: {} rules compile", l.rules.len());
        total += l.rules.len();
    }
    eprintln!("identity rules compiled with the maps: {total}");
}

// ---------------------------------------------------------------- (b) Entra

const SIGNINLOGS_50076: &str = "entra/entra-signinlogs-eventhub-50076-splunk.json";
const GRAPH_BETA: &str = "entra/entra-graph-signins-beta-list-msdocs.json";

/// Sets the sign-in result of an Azure Monitor export record, consistently in the envelope
/// (`resultType` string, `resultDescription`) and in `properties.status`.
fn export_result(e: &mut Value, code: i64, reason: &str) {
    set(e, "/resultType", json!(code.to_string()));
    set(e, "/resultDescription", json!(reason));
    set(e, "/properties/status/errorCode", json!(code));
    set(e, "/properties/status/failureReason", json!(reason));
}

#[test]
fn mfa_interrupted_matches_both_entra_shapes() {
    let Some(r) = rule("cloud/azure/signin_logs/azure_mfa_interrupted.yml") else {
        return;
    };
    let Some(export) = first(SIGNINLOGS_50076, |_| true) else {
        return;
    };
    let Some(graph) = first(GRAPH_BETA, |_| true) else {
        return;
    };
    let reason = "Authentication failed during strong authentication request.";

    // Azure Monitor export: the real 50076 record does not match; as 500121 it does.
    assert!(!r.matches(&export));
    let mut e = export.clone();
    export_result(&mut e, 500121, reason);
    assert!(r.matches(&e));
    // Only the code differs: no match.
    export_result(&mut e, 500120, reason);
    assert!(!r.matches(&e));

    // Graph signIn: status.errorCode (an int) and status.failureReason.
    assert!(!r.matches(&graph));
    let mut g = graph.clone();
    set(&mut g, "/status/errorCode", json!(500121));
    set(&mut g, "/status/failureReason", json!(reason));
    assert!(r.matches(&g));
    set(&mut g, "/status/failureReason", json!("Other."));
    assert!(!r.matches(&g));
    // Without the map the Graph record has no `ResultType`: the rule cannot see it.
    let Some(unmapped) = rule_unmapped("cloud/azure/signin_logs/azure_mfa_interrupted.yml") else {
        return;
    };
    set(&mut g, "/status/failureReason", json!(reason));
    assert!(!unmapped.matches(&g));
}

#[test]
fn account_lockout_reads_the_graph_error_code() {
    let Some(r) = rule("cloud/azure/signin_logs/azure_account_lockout.yml") else {
        return;
    };
    let Some(graph) = first(GRAPH_BETA, |_| true) else {
        return;
    };
    assert!(!r.matches(&graph), "the sample is a 50126");
    let mut g = graph;
    set(&mut g, "/status/errorCode", json!(50053));
    assert!(r.matches(&g));
    // The same record as an Azure Monitor export (`properties` envelope, code as a string
    // at top level).
    let Some(mut export) = first(SIGNINLOGS_50076, |_| true) else {
        return;
    };
    assert!(!r.matches(&export));
    export_result(&mut export, 50053, "Account is locked.");
    assert!(r.matches(&export));
    // Only the envelope's string code (no properties.status): the fallback path.
    if let Some(Value::Object(p)) = export.pointer_mut("/properties") {
        p.remove("status");
    }
    assert!(r.matches(&export));
    set(&mut export, "/resultType", json!("50126"));
    assert!(!r.matches(&export));
}

#[test]
fn device_registration_without_mfa_sees_authentication_requirement_in_properties() {
    let rel = "cloud/azure/signin_logs/azure_ad_device_registration_or_join_without_mfa.yml";
    let Some(r) = rule(rel) else { return };
    let Some(mut e) = first(SIGNINLOGS_50076, |_| true) else {
        return;
    };
    set(
        &mut e,
        "/properties/resourceDisplayName",
        json!("Device Registration Service"),
    );
    set(
        &mut e,
        "/properties/conditionalAccessStatus",
        json!("success"),
    );
    // The real record says multiFactorAuthentication: the filter holds, no match.
    assert_eq!(
        e.pointer("/properties/authenticationRequirement"),
        Some(&json!("multiFactorAuthentication"))
    );
    assert!(!r.matches(&e));
    set(
        &mut e,
        "/properties/authenticationRequirement",
        json!("singleFactorAuthentication"),
    );
    assert!(r.matches(&e));
    // Unmapped, none of the rule's names is found in the export's `properties`.
    let Some(unmapped) = rule_unmapped(rel) else {
        return;
    };
    assert!(!unmapped.matches(&e));
    set(
        &mut e,
        "/properties/conditionalAccessStatus",
        json!("failure"),
    );
    assert!(!r.matches(&e));
}

#[test]
fn noncompliant_device_reads_device_detail_in_both_shapes() {
    let Some(r) = rule("cloud/azure/signin_logs/azure_ad_sign_ins_from_noncompliant_devices.yml")
    else {
        return;
    };
    let Some(graph) = first(GRAPH_BETA, |_| true) else {
        return;
    };
    // The real Graph record: deviceDetail.isCompliant is the boolean false.
    assert_eq!(
        graph.pointer("/deviceDetail/isCompliant"),
        Some(&json!(false))
    );
    assert!(r.matches(&graph));
    let mut g = graph;
    set(&mut g, "/deviceDetail/isCompliant", json!(true));
    assert!(!r.matches(&g));

    let Some(mut e) = first(SIGNINLOGS_50076, |_| true) else {
        return;
    };
    assert!(!r.matches(&e), "no isCompliant in the sample");
    set(&mut e, "/properties/deviceDetail/isCompliant", json!(false));
    assert!(r.matches(&e));
    set(&mut e, "/properties/deviceDetail/isCompliant", json!(true));
    assert!(!r.matches(&e));
}

#[test]
fn mfa_denies_reads_status_additional_details() {
    let Some(r) = rule("cloud/azure/signin_logs/azure_mfa_denies.yml") else {
        return;
    };
    let Some(mut e) = first(SIGNINLOGS_50076, |_| true) else {
        return;
    };
    // Real record: MFA required, not denied.
    assert!(!r.matches(&e));
    set(
        &mut e,
        "/properties/status/additionalDetails",
        json!("MFA denied; user declined the authentication"),
    );
    assert!(r.matches(&e));
    set(
        &mut e,
        "/properties/authenticationRequirement",
        json!("singleFactorAuthentication"),
    );
    assert!(!r.matches(&e));
}

#[test]
fn unknown_devices_empty_network_location_list() {
    let Some(r) = rule("cloud/azure/signin_logs/azure_ad_sign_ins_from_unknown_devices.yml") else {
        return;
    };
    let Some(mut e) = first(SIGNINLOGS_50076, |_| true) else {
        return;
    };
    // The real record: deviceId '', networkLocationDetails [] (a JSON array), MFA, 50076.
    assert_eq!(
        e.pointer("/properties/networkLocationDetails"),
        Some(&json!([]))
    );
    assert!(!r.matches(&e));
    set(
        &mut e,
        "/properties/authenticationRequirement",
        json!("singleFactorAuthentication"),
    );
    export_result(&mut e, 0, "");
    // The rule's `'[]'` equals the raw empty array.
    assert!(r.matches(&e));
    set(
        &mut e,
        "/properties/networkLocationDetails",
        json!([{"networkType": "namedNetwork", "networkNames": ["HQ"]}]),
    );
    assert!(!r.matches(&e));
    // And the Log Analytics rendering, the text "[]".
    set(&mut e, "/properties/networkLocationDetails", json!("[]"));
    assert!(r.matches(&e));
}

#[test]
fn trusttype_null_or_empty_keeps_its_meaning_through_the_coalesce() {
    // `DeviceDetail.trusttype: null` must be true when the trust type is absent in the
    // shape at hand, and false when it is set: the first present path decides.
    let src = "title: t\nlogsource: {product: azure, service: signinlogs}\n\
               detection:\n  e1: {DeviceDetail.trusttype: ''}\n  e2: {DeviceDetail.trusttype: null}\n  \
               condition: 1 of e*\n";
    let l = rampart_sigma::load_str(src, None, &opts());
    let r = &l.rules[0];
    assert!(r.matches(&json!({"properties": {"deviceDetail": {"deviceId": ""}}})));
    assert!(r.matches(&json!({"deviceDetail": {"trustType": ""}})));
    assert!(!r.matches(&json!({"properties": {"deviceDetail": {"trustType": "Azure AD joined"}}})));
    assert!(!r.matches(&json!({"deviceDetail": {"trustType": "Hybrid Azure AD joined"}})));
}

// ---------------------------------------------------------------- (b) Okta

const OKTA: &str = "okta/okta-system-log-elastic.log";

#[test]
fn okta_session_start_via_proxy() {
    let Some(r) = rule("identity/okta/okta_user_session_start_via_anonymised_proxy.yml") else {
        return;
    };
    let Some(e) = first(OKTA, |v| {
        v["eventType"] == "user.session.start" && v["securityContext"]["isProxy"] == json!(false)
    }) else {
        return;
    };
    assert!(!r.matches(&e));
    let mut p = e;
    set(&mut p, "/securityContext/isProxy", json!(true));
    assert!(r.matches(&p), "a JSON true equals the rule's 'true'");
    set(&mut p, "/eventType", json!("user.session.end"));
    assert!(!r.matches(&p));
}

#[test]
fn okta_fastpass_phishing() {
    let Some(r) = rule("identity/okta/okta_fastpass_phishing_detection.yml") else {
        return;
    };
    let Some(e) = first(OKTA, |v| {
        v["eventType"] == "user.authentication.auth_via_mfa"
    }) else {
        return;
    };
    assert!(!r.matches(&e), "the sample succeeded");
    let mut f = e;
    set(&mut f, "/outcome/result", json!("FAILURE"));
    set(
        &mut f,
        "/outcome/reason",
        json!("FastPass declined phishing attempt"),
    );
    assert!(r.matches(&f));
    set(&mut f, "/outcome/reason", json!("INVALID_CREDENTIALS"));
    assert!(!r.matches(&f));
}

// ---------------------------------------------------------------- (b) O365

#[test]
fn m365_bypass_conditional_access_reads_extended_properties() {
    let Some(r) = rule("cloud/m365/audit/microsoft365_bypass_conditional_access.yml") else {
        return;
    };
    let Some(e) = first("o365/o365-ual-t1110.003_o365spray_reporting.json", |v| {
        v["Operation"] == "UserLoggedIn"
    }) else {
        return;
    };
    assert!(!r.matches(&e));
    let mut m = e;
    set(
        &mut m,
        "/ApplicationId",
        json!("9ba1a5c7-f17a-4de9-a1f1-6178c8d51223"),
    );
    // The real record's RequestType (in ExtendedProperties) is OAuth2:Token: no match.
    assert!(!r.matches(&m));
    let props = m
        .pointer_mut("/ExtendedProperties")
        .and_then(Value::as_array_mut)
        .expect("ExtendedProperties");
    for p in props.iter_mut() {
        if p["Name"] == "RequestType" {
            p["Value"] = json!("Cmsi:Cmsi");
        }
    }
    assert!(r.matches(&m));
    // The rule's own exclusion: Intune as the object.
    set(
        &mut m,
        "/ObjectId",
        json!("0000000a-0000-0000-c000-000000000000"),
    );
    assert!(!r.matches(&m));
}

#[test]
fn m365_alert_status_success_is_translated_from_result_status() {
    let Some(r) = rule("cloud/m365/threat_management/microsoft365_impossible_travel_activity.yml")
    else {
        return;
    };
    // A Management Activity SecurityComplianceAlerts record (shape of the O365 schema).
    let alert = json!({"RecordType": 40, "Workload": "SecurityComplianceCenter",
        "Operation": "AlertTriggered", "Name": "Impossible travel activity",
        "Status": "Active", "ResultStatus": "Succeeded", "Source": "Cloud App Security"});
    // `status: success` is the outcome translated from `ResultStatus: Succeeded`.
    assert!(r.matches(&alert));
    let mut failed = alert.clone();
    set(&mut failed, "/ResultStatus", json!("Failed"));
    assert!(!r.matches(&failed));
    let mut no_status = alert.clone();
    no_status.as_object_mut().unwrap().remove("ResultStatus");
    assert!(!r.matches(&no_status));
    // The alert's own `Status` (triage state) is not the outcome.
    let mut success_state = no_status;
    set(&mut success_state, "/Status", json!("success"));
    assert!(!r.matches(&success_state));
    let mut other = alert;
    set(
        &mut other,
        "/Name",
        json!("Activity from infrequent country"),
    );
    assert!(!r.matches(&other));
}

#[test]
fn m365_exchange_cmdlet_success_is_translated_from_result_status() {
    let Some(r) = rule("cloud/m365/exchange/microsoft365_new_federated_domain_added_exchange.yml")
    else {
        return;
    };
    // An Audit.Exchange admin record (ExchangeAdmin schema: the cmdlet in `Operation`).
    let rec = json!({"RecordType": 1, "Workload": "Exchange", "Operation": "Add-FederatedDomain",
        "ResultStatus": "True", "ObjectId": "contoso.com", "UserId": "admin@contoso.com",
        "Parameters": [{"Name": "DomainName", "Value": "evil.example"}]});
    assert!(r.matches(&rec));
    let mut failed = rec.clone();
    set(&mut failed, "/ResultStatus", json!("False"));
    assert!(!r.matches(&failed));
    let mut other = rec;
    set(&mut other, "/Operation", json!("Get-FederatedDomain"));
    assert!(!r.matches(&other));
}

#[test]
fn entra_status_success_is_translated_from_the_error_code_in_both_shapes() {
    let Some(r) = rule("cloud/azure/signin_logs/azure_ad_only_single_factor_auth_required.yml")
    else {
        return;
    };
    // Graph beta: the sample is a failed single-factor sign-in (errorCode 50126).
    let Some(mut g) = first(GRAPH_BETA, |v| {
        v["authenticationRequirement"] == "singleFactorAuthentication"
    }) else {
        return;
    };
    assert_ne!(g["status"]["errorCode"], json!(0));
    assert!(!r.matches(&g));
    set(&mut g, "/status/errorCode", json!(0));
    assert!(r.matches(&g));
    set(
        &mut g,
        "/authenticationRequirement",
        json!("multiFactorAuthentication"),
    );
    assert!(!r.matches(&g));
    // The Azure Monitor export (errorCode 50076, MFA required): made successful and
    // single-factor, it matches; the failure does not.
    let Some(mut e) = first(SIGNINLOGS_50076, |_| true) else {
        return;
    };
    set(
        &mut e,
        "/properties/authenticationRequirement",
        json!("singleFactorAuthentication"),
    );
    assert!(!r.matches(&e));
    export_result(&mut e, 0, "");
    assert!(r.matches(&e));
    // Without the map, `Status: Success` never matched these records.
    let Some(raw) =
        rule_unmapped("cloud/azure/signin_logs/azure_ad_only_single_factor_auth_required.yml")
    else {
        return;
    };
    assert!(!raw.matches(&e));
}

#[test]
fn entra_status_keeps_the_details_text_for_contains_rules() {
    // `Status` holds both the derived outcome and additionalDetails: a rule on either works.
    let src = "title: t\nlogsource: {product: azure, service: signinlogs}\n\
               detection:\n  a: {Status: Failure}\n  b: {Status|contains: 'MFA required'}\n  \
               condition: a and b\n";
    let l = rampart_sigma::load_str(src, None, &opts());
    assert!(l.errors.is_empty(), "{:?}", l.errors);
    let Some(e) = first(SIGNINLOGS_50076, |_| true) else {
        return;
    };
    assert!(l.rules[0].matches(&e));
    let mut ok = e;
    export_result(&mut ok, 0, "");
    assert!(!l.rules[0].matches(&ok));
}

// ---------------------------------------------------------------- (b) Google Workspace

const GWS: &str = "gworkspace/gworkspace-login-elastic.log";

#[test]
fn gworkspace_suspicious_login_on_reports_api_records() {
    let Some(r) = rule("cloud/gcp/gworkspace/login/gcp_gworkspace_suspicious_login.yml") else {
        return;
    };
    let Some(e) = first(GWS, |v| v["events"]["name"] == "suspicious_login") else {
        return;
    };
    // Elastic's flattened `events` object; the service name is implied by the log source.
    assert!(r.matches(&e));
    let mut other = e.clone();
    set(&mut other, "/events/name", json!("login_success"));
    assert!(!r.matches(&other));

    // The API's own shape: `events` is an array (any event of the activity).
    let mut api = e.clone();
    let ev = api["events"].take();
    set(
        &mut api,
        "/events",
        json!([{"type": "login", "name": "login_success"}, ev]),
    );
    assert!(r.matches(&api));

    // Splunk's singular `event`.
    let Some(splunk) = first("gworkspace/gworkspace-login-failure-splunk.json", |_| true) else {
        return;
    };
    assert!(!r.matches(&splunk), "a login_failure");
    let mut s = splunk;
    set(
        &mut s,
        "/event/name",
        json!("suspicious_programmatic_login"),
    );
    assert!(r.matches(&s));

    // A Cloud Logging record keeps its own service name: the implied value is a fallback.
    let cl = |svc: &str| {
        json!({"protoPayload": {"serviceName": svc,
            "metadata": {"event": {"eventName": "suspicious_login"}}}})
    };
    assert!(r.matches(&cl("login.googleapis.com")));
    assert!(!r.matches(&cl("admin.googleapis.com")));
}

#[test]
fn gworkspace_admin_mfa_disabled_reads_event_parameters() {
    let Some(r) = rule("cloud/gcp/gworkspace/admin/gcp_gworkspace_mfa_disabled.yml") else {
        return;
    };
    // A Reports API `admin` activity (shape of the API's Activity resource; no public
    // sample ships one): the Splunk login sample's envelope with an admin event.
    let Some(mut a) = first("gworkspace/gworkspace-login-success-splunk.json", |_| true) else {
        return;
    };
    if let Value::Object(o) = &mut a {
        o.remove("event");
    }
    set(&mut a, "/id/applicationName", json!("admin"));
    let event = |new: &str| {
        json!([{"type": "DOMAIN_SETTINGS", "name": "ENFORCE_STRONG_AUTHENTICATION",
            "parameters": [{"name": "DOMAIN_NAME", "value": "example.com"},
                           {"name": "OLD_VALUE", "value": "true"},
                           {"name": "NEW_VALUE", "value": new}]}])
    };
    set(&mut a, "/events", event("false"));
    assert!(r.matches(&a));
    set(&mut a, "/events", event("true"));
    assert!(!r.matches(&a), "only OLD_VALUE is false");
}

// ---------------------------------------------------------------- (c) report

/// Field names (before `|`) used in a detection; keyword items are not fields.
fn detection_fields(v: &serde_yaml::Value, out: &mut BTreeSet<String>) {
    match v {
        serde_yaml::Value::Mapping(m) => {
            for (k, x) in m {
                if let Some(k) = k.as_str() {
                    let name = k.split('|').next().unwrap_or("");
                    if !name.is_empty() {
                        out.insert(name.to_string());
                    }
                }
                // Values are not fields, but lists of maps may nest.
                if let serde_yaml::Value::Sequence(s) = x {
                    for i in s.iter().filter(|i| i.is_mapping()) {
                        detection_fields(i, out);
                    }
                }
            }
        }
        serde_yaml::Value::Sequence(s) => {
            for i in s {
                detection_fields(i, out);
            }
        }
        _ => {}
    }
}

#[test]
fn report_rules_whose_fields_are_all_mapped() {
    let maps = identity_field_maps();
    let mut lines = Vec::new();
    for folder in FOLDERS {
        let Some(dir) = rampart_testkit::shared(folder) else {
            return;
        };
        let mut files = Vec::new();
        yml_files(&dir, &mut files);
        let (mut rules, mut covered) = (0, 0);
        let mut missing: BTreeMap<String, usize> = BTreeMap::new();
        let mut per_source: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for f in &files {
            let text = std::fs::read_to_string(f).expect("readable rule");
            for doc in text.split("\n---") {
                let Ok(y) = serde_yaml::from_str::<serde_yaml::Value>(doc) else {
                    continue;
                };
                let Some(det) = y.get("detection") else {
                    continue;
                };
                let ls_of = |k: &str| {
                    y.get("logsource")
                        .and_then(|l| l.get(k))
                        .and_then(|v| v.as_str())
                        .map(str::to_string)
                };
                let mut ls = LogSource::default();
                ls.product = ls_of("product");
                ls.category = ls_of("category");
                ls.service = ls_of("service");
                let applicable: Vec<&FieldMap> =
                    maps.iter().filter(|m| m.applies_to(&ls)).collect();
                let mut fields = BTreeSet::new();
                if let serde_yaml::Value::Mapping(m) = det {
                    for (k, v) in m {
                        if k.as_str() != Some("condition") {
                            detection_fields(v, &mut fields);
                        }
                    }
                }
                let unmapped: Vec<&String> = fields
                    .iter()
                    .filter(|f| !applicable.iter().any(|m| m.has(f)))
                    .collect();
                rules += 1;
                let key = format!(
                    "{}/{}",
                    ls.product.as_deref().unwrap_or("-"),
                    ls.service.as_deref().unwrap_or("-")
                );
                let s = per_source.entry(key).or_default();
                s.0 += 1;
                if unmapped.is_empty() && !fields.is_empty() {
                    covered += 1;
                    s.1 += 1;
                }
                for u in unmapped {
                    *missing.entry(u.clone()).or_default() += 1;
                }
            }
        }
        lines.push(format!(
            "{folder}: {covered}/{rules} rules reference only mapped fields"
        ));
        for (src, (n, c)) in &per_source {
            lines.push(format!("    {src}: {c}/{n}"));
        }
        if !missing.is_empty() {
            let m: Vec<String> = missing.iter().map(|(k, n)| format!("{k} ({n})")).collect();
            lines.push(format!("    unmapped: {}", m.join(", ")));
        }
    }
    // A measurement, not a threshold.
    for l in &lines {
        eprintln!("{l}");
    }
    assert!(!pipelines::identity_field_maps().is_empty());
}
