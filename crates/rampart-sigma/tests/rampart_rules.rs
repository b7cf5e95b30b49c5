//! Rampart's own Sigma rules (`rules/identity/*.yml` at the repository root): they load
//! through the shipped identity maps, and each fires on a real-shaped record (built from
//! `../shared/samples`) and not on a benign one; the correlation rules fire through the
//! `Correlator` on sequences of such records.

use std::path::PathBuf;

use jiff::{SignedDuration, Timestamp};
use rampart_sigma::pipelines::identity_field_maps;
use rampart_sigma::{CompileOptions, Correlator, CorrelatorConfig, Loaded, Rule, load_dir};
use serde_json::{Value, json};

fn rules_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/identity")
}

fn opts() -> CompileOptions {
    let mut o = CompileOptions::default();
    o.field_maps = identity_field_maps();
    o
}

fn load() -> Loaded {
    let l = load_dir(&rules_dir(), &opts());
    assert!(l.errors.is_empty(), "{:#?}", l.errors);
    l
}

fn by_name<'a>(l: &'a Loaded, name: &str) -> &'a Rule {
    l.rules
        .iter()
        .find(|r| r.meta().name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no rule named {name}"))
}

#[path = "support/samples.rs"]
mod samples;
use samples::{first, set};

const GRAPH_BETA: &str = "entra/entra-graph-signins-beta-list-msdocs.json";
const EXPORT_50076: &str = "entra/entra-signinlogs-eventhub-50076-splunk.json";

/// A Graph beta sign-in with this error code and client app.
fn graph_signin(code: i64, client: &str, upn: &str) -> Option<Value> {
    let mut e = first(GRAPH_BETA, |_| true)?;
    set(&mut e, "/status/errorCode", json!(code));
    set(&mut e, "/clientAppUsed", json!(client));
    set(&mut e, "/userPrincipalName", json!(upn));
    Some(e)
}

/// An Azure Monitor export sign-in with this result code (envelope and properties).
fn export_signin(code: i64, upn: &str) -> Option<Value> {
    let mut e = first(EXPORT_50076, |_| true)?;
    set(&mut e, "/resultType", json!(code.to_string()));
    set(&mut e, "/properties/status/errorCode", json!(code));
    set(&mut e, "/properties/userPrincipalName", json!(upn));
    Some(e)
}

#[test]
fn every_rampart_rule_loads_with_its_metadata() {
    let l = load();
    assert_eq!(l.correlations.len(), 8);
    assert_eq!(l.rules.len(), 12);
    for r in &l.rules {
        let m = r.meta();
        assert!(r.is_active(), "{}", m.title);
        assert!(m.id.is_some(), "{}", m.title);
        assert!(
            m.name.as_deref().is_some_and(|n| n.starts_with("rampart_")),
            "{}",
            m.title
        );
        assert_eq!(m.author.as_deref(), Some("Rampart"), "{}", m.title);
    }
    for c in &l.correlations {
        assert!(c.meta().id.is_some(), "{}", c.meta().title);
    }
    // The outermost correlations carry level and author; intermediate ones need not.
    let outer: Vec<_> = l
        .correlations
        .iter()
        .filter(|c| c.meta().level.is_some())
        .collect();
    assert_eq!(outer.len(), 5);
    assert!(
        outer
            .iter()
            .all(|c| c.meta().author.as_deref() == Some("Rampart"))
    );
    let (c, errors) = Correlator::<usize>::new(
        &l.rules,
        l.correlations.clone(),
        &identity_field_maps(),
        CorrelatorConfig::default(),
    );
    assert!(errors.is_empty(), "{errors:?}");
    // Stand-alone detections report; the correlations' base rules do not.
    for (i, r) in l.rules.iter().enumerate() {
        let standalone = r.meta().level.is_some();
        assert_eq!(c.reports_alone(i), standalone, "{}", r.meta().title);
    }
}

#[test]
fn legacy_auth_success_fires_on_basic_auth_clients_only() {
    let l = load();
    let r = by_name(&l, "rampart_entra_legacy_auth_success");
    let Some(imap_ok) = graph_signin(0, "IMAP4", "a@contoso.com") else {
        return;
    };
    assert!(r.matches(&imap_ok));
    let browser_ok = graph_signin(0, "Browser", "a@contoso.com").unwrap();
    assert!(!r.matches(&browser_ok));
    let imap_failed = graph_signin(50126, "IMAP4", "a@contoso.com").unwrap();
    assert!(!r.matches(&imap_failed));
    // Azure Monitor export shape.
    let mut e = export_signin(0, "a@contoso.com").unwrap();
    set(
        &mut e,
        "/properties/clientAppUsed",
        json!("Exchange ActiveSync"),
    );
    assert!(r.matches(&e));
    set(
        &mut e,
        "/properties/clientAppUsed",
        json!("Mobile Apps and Desktop clients"),
    );
    assert!(!r.matches(&e));
}

#[test]
fn disabled_account_signin_fires_on_50057() {
    let l = load();
    let r = by_name(&l, "rampart_entra_disabled_account_signin");
    let Some(sample) = first(EXPORT_50076, |_| true) else {
        return;
    };
    assert!(!r.matches(&sample));
    assert!(r.matches(&export_signin(50057, "gone@contoso.com").unwrap()));
    assert!(r.matches(&graph_signin(50057, "Browser", "gone@contoso.com").unwrap()));
    assert!(!r.matches(&graph_signin(50126, "Browser", "gone@contoso.com").unwrap()));
}

#[test]
fn admin_consent_fires_on_tenant_wide_consent_only() {
    let l = load();
    let r = by_name(&l, "rampart_m365_admin_consent");
    let Some(add_user) = first("o365/o365-mgmt-api-content-blob-msdocs.json", |v| {
        v["Operation"] == "Add User."
    }) else {
        return;
    };
    assert!(!r.matches(&add_user));
    // The same Azure AD audit record as a consent, with its ModifiedProperties.
    let consent = |admin: &str| {
        let mut e = add_user.clone();
        set(&mut e, "/Operation", json!("Consent to application."));
        set(
            &mut e,
            "/ModifiedProperties",
            json!([
                {"Name": "ConsentContext.IsAdminConsent", "NewValue": admin, "OldValue": ""},
                {"Name": "ConsentContext.IsAppOnly", "NewValue": "False", "OldValue": ""},
                {"Name": "ConsentContext.OnBehalfOfAll", "NewValue": admin, "OldValue": ""},
                {"Name": "ConsentAction.Permissions", "NewValue": "Scope: Mail.Read, Files.Read.All", "OldValue": ""}
            ]),
        );
        e
    };
    assert!(r.matches(&consent("True")));
    assert!(!r.matches(&consent("False")));
}

#[test]
fn gworkspace_flagged_login_fires_on_is_suspicious_true() {
    let l = load();
    let r = by_name(&l, "rampart_gworkspace_login_flagged_suspicious");
    let Some(mut ok) = first("gworkspace/gworkspace-login-success-splunk.json", |_| true) else {
        return;
    };
    // The sample says is_suspicious: false.
    assert!(!r.matches(&ok));
    set(
        &mut ok,
        "/event/parameters",
        json!([{"name": "login_type", "value": "google_password"},
               {"name": "is_suspicious", "boolValue": true}]),
    );
    assert!(r.matches(&ok));
    // Reports API `events` shape (Elastic's sample record), as a successful login.
    let Some(mut e) = first("gworkspace/gworkspace-login-elastic.log", |_| true) else {
        return;
    };
    set(
        &mut e,
        "/events",
        json!([{"type": "login", "name": "login_success",
                "parameters": [{"name": "is_suspicious", "boolValue": true}]}]),
    );
    assert!(r.matches(&e));
    // A flagged failure is not this rule.
    set(&mut e, "/events/0/name", json!("login_failure"));
    assert!(!r.matches(&e));
}

fn t(mins: i64) -> Timestamp {
    "2026-05-04T08:00:00Z".parse::<Timestamp>().unwrap() + SignedDuration::from_mins(mins)
}

/// Runs records (at minute offsets) through every rule and the correlator; returns the
/// titles of the correlation hits, flush included.
fn correlate(events: &[(i64, Value)]) -> Vec<String> {
    let l = load();
    let (mut c, errors) = Correlator::new(
        &l.rules,
        l.correlations,
        &identity_field_maps(),
        CorrelatorConfig::default(),
    );
    assert!(errors.is_empty(), "{errors:?}");
    let mut hits = Vec::new();
    for (i, (m, e)) in events.iter().enumerate() {
        let matched: Vec<usize> = l
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(e))
            .map(|(k, _)| k)
            .collect();
        hits.extend(c.observe("tenant-a", t(*m), e, &matched, i).hits);
    }
    hits.extend(c.flush());
    hits.iter()
        .map(|h| c.correlations()[h.correlation].meta().title.clone())
        .collect()
}

/// `n` copies of `fail` at minutes 0, 1, …, then the record `then` (at its minute).
fn failures_then(fail: &Value, n: i64, then: (i64, Value)) -> Vec<(i64, Value)> {
    let mut seq: Vec<(i64, Value)> = (0..n).map(|m| (m, fail.clone())).collect();
    seq.push(then);
    seq
}

#[test]
fn failed_signins_then_success_correlates_per_user() {
    let Some(fail) = graph_signin(50126, "Browser", "bob@contoso.com") else {
        return;
    };
    let ok = graph_signin(0, "Browser", "bob@contoso.com").unwrap();
    let other_ok = graph_signin(0, "Browser", "eve@contoso.com").unwrap();
    let title = "Many Failed Sign-Ins Followed by a Successful Sign-In";
    let seq = failures_then(&fail, 5, (6, ok.clone()));
    assert_eq!(correlate(&seq), vec![title.to_string()]);
    // Four failures: nothing.
    let four = failures_then(&fail, 4, (6, ok.clone()));
    assert!(correlate(&four).is_empty());
    // The success is another user's: nothing.
    let other = failures_then(&fail, 5, (6, other_ok));
    assert!(correlate(&other).is_empty());
    // The success 20 minutes later: nothing.
    let late = failures_then(&fail, 5, (25, ok));
    assert!(correlate(&late).is_empty());
    // Mixed shapes: failures from the Azure Monitor export, the success from Graph.
    let exp_fail = export_signin(50126, "bob@contoso.com").unwrap();
    let mixed = failures_then(
        &exp_fail,
        5,
        (7, graph_signin(0, "Browser", "bob@contoso.com").unwrap()),
    );
    assert_eq!(correlate(&mixed), vec![title.to_string()]);
}

#[test]
fn mfa_fatigue_needs_three_mfa_failures_in_ten_minutes() {
    let Some(mfa_fail) = export_signin(500121, "bob@contoso.com") else {
        return;
    };
    let title = "MFA Fatigue - Repeated Failed MFA Prompts for One User";
    let three: Vec<(i64, Value)> = [0, 2, 4].iter().map(|m| (*m, mfa_fail.clone())).collect();
    assert_eq!(correlate(&three), vec![title.to_string()]);
    let spread: Vec<(i64, Value)> = [0, 11, 22].iter().map(|m| (*m, mfa_fail.clone())).collect();
    assert!(correlate(&spread).is_empty());
    // The sample's own 50076 (MFA required, not failed) three times: nothing.
    let required = export_signin(50076, "bob@contoso.com").unwrap();
    let benign: Vec<(i64, Value)> = [0, 1, 2].iter().map(|m| (*m, required.clone())).collect();
    assert!(correlate(&benign).is_empty());
}

#[test]
fn okta_push_bombing_needs_three_rejected_pushes() {
    let Some(push_ok) = first("okta/okta-system-log-elastic.log", |v| {
        v["eventType"] == "user.authentication.auth_via_mfa"
            && v["debugContext"]["debugData"]["factor"] == "OKTA_VERIFY_PUSH"
    }) else {
        return;
    };
    let title = "Okta Verify Push Bombing";
    // Accepted pushes: nothing.
    let accepted: Vec<(i64, Value)> = [0, 1, 2].iter().map(|m| (*m, push_ok.clone())).collect();
    assert!(correlate(&accepted).is_empty());
    let mut failed = push_ok.clone();
    set(&mut failed, "/outcome/result", json!("FAILURE"));
    let mut denied = push_ok.clone();
    set(
        &mut denied,
        "/eventType",
        json!("user.mfa.okta_verify.deny_push"),
    );
    let seq = vec![
        (0, failed.clone()),
        (1, denied.clone()),
        (3, failed.clone()),
    ];
    assert_eq!(correlate(&seq), vec![title.to_string()]);
    // Another user's denial does not add up.
    let mut other = denied;
    set(
        &mut other,
        "/actor/alternateId",
        json!("someone.else@domain.com"),
    );
    let seq = vec![(0, failed.clone()), (1, other), (3, failed)];
    assert!(correlate(&seq).is_empty());
}

#[test]
fn okta_failed_signins_then_success_correlates_per_user() {
    let Some(ok) = first("okta/okta-system-log-elastic.log", |v| {
        v["eventType"] == "user.session.start" && v["outcome"]["result"] == "SUCCESS"
    }) else {
        return;
    };
    let mut fail = ok.clone();
    set(&mut fail, "/outcome/result", json!("FAILURE"));
    set(&mut fail, "/outcome/reason", json!("INVALID_CREDENTIALS"));
    let title = "Okta - Many Failed Sign-Ins Followed by a Successful Sign-In";
    let seq = failures_then(&fail, 5, (6, ok.clone()));
    assert_eq!(correlate(&seq), vec![title.to_string()]);
    let four = failures_then(&fail, 4, (6, ok.clone()));
    assert!(correlate(&four).is_empty());
    let mut other = ok;
    set(
        &mut other,
        "/actor/alternateId",
        json!("someone.else@elastic.co"),
    );
    let seq = failures_then(&fail, 5, (6, other));
    assert!(correlate(&seq).is_empty());
}

#[test]
fn gworkspace_failed_logins_then_success_correlates_per_user() {
    let (Some(fail), Some(ok)) = (
        first("gworkspace/gworkspace-login-failure-splunk.json", |_| true),
        first("gworkspace/gworkspace-login-success-splunk.json", |_| true),
    ) else {
        return;
    };
    // The two samples are different users: make the success the failing user's.
    let user = fail["actor"]["email"].clone();
    let mut ok_same = ok.clone();
    set(&mut ok_same, "/actor/email", user);
    let title = "Google Workspace - Many Failed Logins Followed by a Successful Login";
    let seq = failures_then(&fail, 5, (6, ok_same.clone()));
    assert_eq!(correlate(&seq), vec![title.to_string()]);
    // As sampled, the success is another user's: nothing.
    let seq = failures_then(&fail, 5, (6, ok));
    assert!(correlate(&seq).is_empty());
    // The success before the failures: nothing.
    let mut seq: Vec<(i64, Value)> = vec![(0, ok_same)];
    seq.extend((1..6).map(|m| (m, fail.clone())));
    assert!(correlate(&seq).is_empty());
}
