//! One test per file in `shared/samples/`: every real record decodes (or is rejected or
//! skipped with the reason the research predicts), with its real values checked.

use std::net::IpAddr;

use rampart_model::{Outcome, SignIn, SourceFormat};
use rampart_sources::{DecodeOptions, Decoded, RecordRef, Rejection, read_file};

#[derive(Default)]
struct Out {
    signins: Vec<SignIn>,
    skipped: Vec<(RecordRef, SourceFormat, String)>,
    rejected: Vec<Rejection>,
}

/// Decodes `shared/samples/<rel>`, or `None` (after printing why) when the data is absent.
fn decode(rel: &str) -> Option<Out> {
    let path = rampart_testkit::shared(&format!("samples/{rel}"))?;
    let mut out = Out::default();
    read_file(&path, &DecodeOptions::default(), &mut |d| match d {
        Decoded::SignIn(s) => out.signins.push(*s),
        Decoded::Skipped { at, format, reason } => out.skipped.push((at, format, reason)),
        Decoded::Rejected(r) => out.rejected.push(r),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    Some(out)
}

fn ip(s: &str) -> Option<IpAddr> {
    s.parse().ok()
}

fn time(s: &SignIn) -> String {
    s.time.to_string()
}

fn latlon(s: &SignIn) -> Option<(f64, f64)> {
    s.location.as_ref().map(|l| (l.lat, l.lon))
}

fn count(out: &Out) -> (usize, usize, usize) {
    (out.signins.len(), out.skipped.len(), out.rejected.len())
}

fn outcomes(out: &Out) -> Vec<Outcome> {
    out.signins.iter().map(|s| s.outcome).collect()
}

// ---- Entra ----

#[test]
fn entra_graph_beta_list_msdocs() {
    let Some(out) = decode("entra/entra-graph-signins-beta-list-msdocs.json") else {
        return;
    };
    assert_eq!(count(&out), (1, 0, 0));
    let s = &out.signins[0];
    assert_eq!(s.source_format, SourceFormat::EntraGraph);
    assert_eq!(s.record_id, "1691d37b-8579-43a7-966a-0f35583c1300");
    assert_eq!(s.user, "testaccount1@contoso.com");
    assert_eq!(time(s), "2021-06-30T16:34:32Z");
    // 50126, and the Password step says the password was wrong.
    assert_eq!(s.outcome, Outcome::BadCredentials);
    assert_eq!(s.result_code.as_deref(), Some("50126"));
    assert_eq!(
        s.result_detail.as_deref(),
        Some("Error validating credentials due to invalid username or password.")
    );
    assert_eq!(s.ip, ip("131.107.159.37"));
    // `"geoCoordinates": {}`: no coordinates, so no location (never 0,0).
    assert_eq!(s.location, None);
    assert_eq!(s.asn, Some(3598));
    // The duplicate `homeTenantId` does not matter; the resource tenant is the provider's.
    assert_eq!(
        s.provider_tenant.as_deref(),
        Some("99081087-73c4-48d1-a112-f60ff75114f7")
    );
    assert_eq!(s.tenant, None);
    assert_eq!(s.interactive, Some(true));
    assert_eq!(s.app.as_deref(), Some("Azure Portal"));
    assert_eq!(s.client_app.as_deref(), Some("Browser"));
    assert_eq!(s.os.as_deref(), Some("Windows 10"));
    assert_eq!(s.device_id, None);
    assert_eq!(
        s.correlation_id.as_deref(),
        Some("5d295068-919b-4017-85d8-44be2f5f5483")
    );
    // `namedNetwork`, not `trustedNamedLocation`.
    assert!(!s.network.provider_trusted);
}

#[test]
fn entra_graph_v1_list_msdocs_invalid_trailing_comma_is_rejected_with_its_position() {
    let Some(out) = decode("entra/entra-graph-signins-v1-list-msdocs-INVALID-trailing-comma.json")
    else {
        return;
    };
    assert_eq!(count(&out), (0, 0, 1));
    let r = &out.rejected[0];
    assert_eq!(r.at.index, 0, "a whole-input problem");
    assert_eq!(r.at.line, Some(64));
    assert!(
        r.at.file
            .ends_with("entra-graph-signins-v1-list-msdocs-INVALID-trailing-comma.json")
    );
    assert!(
        r.reason.starts_with("invalid JSON at line 64, column 15"),
        "{}",
        r.reason
    );
    assert!(
        r.reason.contains("trailing comma at line 63, column 18"),
        "{}",
        r.reason
    );
    let shown = r.to_string();
    assert!(
        shown.contains("INVALID-trailing-comma.json (line 64): invalid JSON"),
        "{shown}"
    );
    assert!(r.raw.as_deref().is_some_and(|raw| raw.contains("66ea54eb")));
}

#[test]
fn entra_signinlogs_azure_monitor_msdocs() {
    let Some(out) = decode("entra/entra-signinlogs-azure-monitor-msdocs.json") else {
        return;
    };
    assert_eq!(count(&out), (1, 0, 0));
    let s = &out.signins[0];
    assert_eq!(s.source_format, SourceFormat::EntraSigninLogs);
    assert_eq!(s.record_id, "0231f922-93fa-4005-bb11-b344eca03c01");
    // The doc's placeholders are kept as text; an IP placeholder is no IP.
    assert_eq!(s.user, "<user principal name>");
    assert_eq!(s.ip, None);
    assert_eq!(s.provider_tenant.as_deref(), Some("<TENANT ID>"));
    assert_eq!(time(s), "2019-03-12T16:02:15.5522137Z");
    // 50140 "keep me signed in" interrupt; the steps are tokens, so the table decides.
    assert_eq!(s.outcome, Outcome::CredentialValidFailure);
    assert_eq!(s.result_code.as_deref(), Some("50140"));
    // Integer coordinates are accepted.
    assert_eq!(latlon(s), Some((45.0, 122.0)));
    let loc = s.location.as_ref().map(|l| {
        (
            l.city.as_deref(),
            l.region.as_deref(),
            l.country.as_deref(),
            l.accuracy_km,
        )
    });
    assert_eq!(
        loc,
        Some((Some("Bellevue"), Some("Washington"), Some("US"), None))
    );
    assert_eq!(s.asn, Some(8000));
    assert_eq!(s.interactive, Some(true));
    assert_eq!(
        s.device_id.as_deref(),
        Some("8bfcb982-6856-4402-924c-ada2486321cc")
    );
    assert_eq!(
        s.correlation_id.as_deref(),
        Some("bbbb1111-cc22-3333-44dd-555555eeeeee")
    );
}

#[test]
fn entra_signinlogs_eventhub_50076_splunk() {
    let Some(out) = decode("entra/entra-signinlogs-eventhub-50076-splunk.json") else {
        return;
    };
    assert_eq!(count(&out), (1, 0, 0));
    let s = &out.signins[0];
    assert_eq!(s.user, "user15@splunkresearch.onmicrosoft.com");
    // `properties.createdDateTime`, not the envelope's `time` (20:13:31).
    assert_eq!(time(s), "2023-10-24T20:01:11.9490387Z");
    // "Correct password", then "MFA required in Azure AD": the attacker had the password.
    assert_eq!(s.outcome, Outcome::CredentialValidFailure);
    assert!(s.outcome.password_proven());
    assert_eq!(s.result_code.as_deref(), Some("50076"));
    assert_eq!(s.ip, ip("1.2.3.4"));
    assert_eq!(s.asn, Some(12271));
    assert_eq!(latlon(s), Some((20.756160123483984, -73.99697875976562)));
    assert_eq!(
        s.location.as_ref().and_then(|l| l.city.as_deref()),
        Some("Rochester")
    );
    assert_eq!(
        s.provider_tenant.as_deref(),
        Some("887c9144-28b8-431b-885b-764fdeefcf62")
    );
    assert_eq!(s.app.as_deref(), Some("Azure Active Directory PowerShell"));
    assert_eq!(
        s.client_app.as_deref(),
        Some("Mobile Apps and Desktop clients")
    );
    assert_eq!(s.record_id, "22608a25-1d9b-44b5-b0f2-cb94f06b2d00");
}

#[test]
fn entra_signinlogs_eventhub_elastic() {
    let Some(out) = decode("entra/entra-signinlogs-eventhub-elastic.log") else {
        return;
    };
    // One record per category: two user sign-ins, three service-principal/MSI ones.
    assert_eq!(count(&out), (2, 3, 0));
    let (a, b) = (&out.signins[0], &out.signins[1]);
    assert_eq!(a.user, "test@elastic.co");
    assert_eq!(a.interactive, Some(true), "SignInLogs");
    // `userPrincipalName` is a GUID in the non-interactive record; kept as given.
    assert_eq!(b.user, "c3813493-bf92-5123-2717-8a8b2979c38b");
    assert_eq!(b.interactive, Some(false), "NonInteractiveUserSignInLogs");
    for s in [a, b] {
        // -05:00 normalized to UTC.
        assert_eq!(time(s), "2019-10-18T09:45:48.0729893Z");
        assert_eq!(s.outcome, Outcome::CredentialValidFailure);
        assert_eq!(s.result_code.as_deref(), Some("50140"));
        assert_eq!(s.ip, ip("81.2.69.144"));
        assert_eq!(latlon(s), Some((48.12341234, 2.12341234)));
        assert_eq!(s.os.as_deref(), Some("MacOs"));
        assert_eq!(
            s.provider_tenant.as_deref(),
            Some("8a4de8b5-095c-47d0-a96f-a75130c61d53")
        );
    }
    let skipped: Vec<(usize, Option<usize>, &str)> = out
        .skipped
        .iter()
        .map(|(at, f, reason)| {
            assert_eq!(*f, SourceFormat::EntraSigninLogs);
            (at.index, at.line, reason.as_str())
        })
        .collect();
    assert_eq!(skipped.len(), 3);
    assert_eq!((skipped[0].0, skipped[0].1), (3, Some(3)));
    assert!(skipped[0].2.contains("`ServicePrincipalSignInLogs`"));
    assert!(
        skipped[1]
            .2
            .contains("`MicrosoftServicePrincipalSignInLogs`")
    );
    assert!(skipped[2].2.contains("`ManagedIdentitySignInLogs`"));
}

// ---- O365 ----

#[test]
fn o365_mgmt_api_content_blob_msdocs() {
    let Some(out) = decode("o365/o365-mgmt-api-content-blob-msdocs.json") else {
        return;
    };
    // A JSON array of three records, none an STS logon.
    assert_eq!(count(&out), (0, 3, 0));
    let reasons: Vec<&str> = out.skipped.iter().map(|s| s.2.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "operation `PasswordLogonInitialAuthUsingPassword` (RecordType 9) is not a sign-in",
            "operation `PasswordLogonInitialAuthUsingPassword` (RecordType 9) is not a sign-in",
            "operation `Add User.` (RecordType 8) is not a sign-in",
        ]
    );
    let lines: Vec<Option<usize>> = out.skipped.iter().map(|s| s.0.line).collect();
    assert_eq!(lines, [Some(2), Some(26), Some(44)]);
    assert!(out.skipped.iter().all(|s| s.1 == SourceFormat::O365));
}

fn o365_spray(rel: &str, total: usize, bad: usize, success: usize, other: usize) -> Option<Out> {
    let out = decode(rel)?;
    assert_eq!(count(&out), (total, 0, 0), "{rel}");
    let n = |o| outcomes(&out).into_iter().filter(|x| *x == o).count();
    assert_eq!(n(Outcome::BadCredentials), bad, "{rel}");
    assert_eq!(n(Outcome::Success), success, "{rel}");
    assert_eq!(n(Outcome::Other), other, "{rel}");
    for s in &out.signins {
        assert_eq!(s.source_format, SourceFormat::O365);
        assert_eq!(
            s.provider_tenant.as_deref(),
            Some("8d4121ed-0008-406d-bff9-0d5bb312183c")
        );
        // (one spray target in the real data is `lynnercontoso.onmicrosoft.com`)
        assert!(s.user.ends_with("contoso.onmicrosoft.com"), "{}", s.user);
        assert_eq!(s.user, s.user.to_lowercase());
        assert_eq!(s.location, None, "O365 has no geo");
        match s.outcome {
            Outcome::BadCredentials => {
                assert_eq!(s.result_code.as_deref(), Some("50126"));
                assert_eq!(
                    s.result_detail.as_deref(),
                    Some("InvalidUserNameOrPassword")
                );
            }
            Outcome::Success => assert_eq!(s.result_code.as_deref(), Some("0")),
            _ => {}
        }
    }
    Some(out)
}

#[test]
fn o365_ual_msolspray_powershell() {
    let Some(out) = o365_spray(
        "o365/o365-ual-t1110.003_msolspray-powershell.json",
        11,
        10,
        1,
        0,
    ) else {
        return;
    };
    let s = &out.signins[0];
    assert_eq!(s.user, "miriam@contoso.onmicrosoft.com");
    assert_eq!(time(s), "2023-07-12T12:38:43Z");
    assert_eq!(s.record_id, "f8a2e606-c46c-40b7-9663-a12b467d0300");
    assert_eq!(s.ip, ip("2a09:bac1:820:8::1a:9c"));
    assert_eq!(s.client_app.as_deref(), Some("OAuth2:Token"));
    assert_eq!(
        s.user_agent.as_deref(),
        Some("Mozilla/5.0 (Windows NT; Windows NT 10.0; en-US) WindowsPowerShell/5.1.19041.3031")
    );
    assert_eq!(s.os.as_deref(), Some("Windows 10"));
    assert_eq!(
        s.correlation_id.as_deref(),
        Some("c1c85022-3bd2-48b0-a149-3592c1bede6a")
    );
    let ok = out.signins.iter().find(|s| s.outcome == Outcome::Success);
    assert_eq!(
        ok.map(|s| s.user.as_str()),
        Some("lidia@contoso.onmicrosoft.com")
    );
}

#[test]
fn o365_ual_o365spray_default() {
    let Some(out) = o365_spray("o365/o365-ual-t1110.003_o365spray_default.json", 9, 8, 0, 1) else {
        return;
    };
    let other = out.signins.iter().find(|s| s.outcome == Outcome::Other);
    assert_eq!(
        other.map(|s| (s.result_code.as_deref(), s.user.as_str())),
        Some((Some("500011"), "henrietta@contoso.onmicrosoft.com"))
    );
    assert_eq!(out.signins[0].ip, ip("2a09:bac5:114:105::1a:9b"));
    assert_eq!(
        out.signins[0].session_id.as_deref(),
        Some("b3d59e5f-04e2-46a5-879c-a8ef255a6b57")
    );
}

#[test]
fn o365_ual_o365spray_reporting() {
    let Some(out) = o365_spray(
        "o365/o365-ual-t1110.003_o365spray_reporting.json",
        14,
        12,
        2,
        0,
    ) else {
        return;
    };
    let s = &out.signins[1];
    assert_eq!(s.user, "henrietta@contoso.onmicrosoft.com");
    assert_eq!(s.outcome, Outcome::Success);
    assert_eq!(time(s), "2023-07-23T09:17:45Z");
}

#[test]
fn o365_ual_mfa_sweep_purview_csv() {
    let Some(out) = decode("o365/o365-ual-t1592.004_mfa_sweep.csv") else {
        return;
    };
    assert_eq!(count(&out), (8, 0, 0));
    // `UserLoggedIn` with ErrorNumber 50140 (KMSI interrupt): the password was right.
    assert_eq!(
        outcomes(&out),
        [
            Outcome::CredentialValidFailure,
            Outcome::Success,
            Outcome::CredentialValidFailure,
            Outcome::CredentialValidFailure,
            Outcome::CredentialValidFailure,
            Outcome::Success,
            Outcome::Success,
            Outcome::CredentialValidFailure,
        ]
    );
    let s = &out.signins[0];
    assert_eq!(s.user, "lidia@contoso.onmicrosoft.com");
    assert_eq!(s.record_id, "5b3b1d1a-0b7f-44b7-be72-3966d4dc0500");
    assert_eq!(time(s), "2023-06-18T12:02:47Z");
    assert_eq!(s.ip, ip("104.28.196.199"));
    assert_eq!(s.client_app.as_deref(), Some("Login:login"));
    assert_eq!(s.os.as_deref(), Some("Linux"));
    assert_eq!(
        s.session_id.as_deref(),
        Some("31bbdbf0-dc1e-4a35-a2fb-610b34f83f02")
    );
    assert_eq!(out.signins[6].ip, ip("2a09:bac5:117:105::1a:de"));
}

#[test]
fn o365_userloggedin_splunk() {
    let Some(out) = decode("o365/o365-userloggedin-splunk.json") else {
        return;
    };
    assert_eq!(count(&out), (1, 0, 0));
    let s = &out.signins[0];
    assert_eq!(s.user, "user15@splunkresearch.onmicrosoft.com");
    assert_eq!(s.outcome, Outcome::Success);
    assert_eq!(s.result_code.as_deref(), Some("0"));
    assert_eq!(time(s), "2023-12-04T20:42:05Z");
    assert_eq!(s.ip, ip("54.68.231.63"));
    assert_eq!(
        s.provider_tenant.as_deref(),
        Some("75243ab2-44f8-435c-a7a6-b479385df6d4")
    );
    assert_eq!(s.record_id, "52d72a62-132b-487b-bb7f-c4c119f90700");
    assert_eq!(
        s.session_id.as_deref(),
        Some("15e27956-79a0-45b2-9d02-60f48349f692")
    );
    assert_eq!(
        s.app.as_deref(),
        Some("00000002-0000-0ff1-ce00-000000000000")
    );
}

#[test]
fn o365_userloginfailed_splunk_has_an_invalid_time_and_is_rejected() {
    let Some(out) = decode("o365/o365-userloginfailed-splunk.json") else {
        return;
    };
    assert_eq!(count(&out), (0, 0, 1));
    let r = &out.rejected[0];
    assert_eq!((r.at.index, r.at.line), (1, Some(1)));
    assert!(
        r.reason
            .starts_with("o365: `CreationTime` \"2023-10-10T17:08:65\" is not a valid time"),
        "{}",
        r.reason
    );
    assert!(
        r.raw
            .as_deref()
            .is_some_and(|raw| raw.contains("4593aac8-855f-4341-9d2a-4289146eb800"))
    );
}

// ---- Okta ----

fn okta_openapi(rel: &str) {
    let Some(out) = decode(rel) else {
        return;
    };
    assert_eq!(count(&out), (1, 0, 0), "{rel}");
    let s = &out.signins[0];
    assert_eq!(s.source_format, SourceFormat::Okta);
    assert_eq!(s.user, "john.doe@example.com");
    assert_eq!(s.record_id, "dc9fd3c0-598c-11ef-8478-2b7584bf8d5a");
    assert_eq!(time(s), "2024-08-13T15:58:20.353Z");
    assert_eq!(s.outcome, Outcome::Success);
    assert_eq!(s.result_code.as_deref(), Some("SUCCESS"));
    assert_eq!(s.ip, ip("10.0.0.1"));
    assert_eq!(latlon(s), Some((40.3157, -74.01)));
    // A full country name, left for the geo stage to map.
    assert_eq!(
        s.location.as_ref().and_then(|l| l.country.as_deref()),
        Some("United States")
    );
    assert_eq!(s.asn, Some(394089));
    assert_eq!(s.network.isp.as_deref(), Some("google"));
    assert_eq!(s.network.proxy, Some(false));
    assert_eq!(s.session_id.as_deref(), Some("idxBager62CSveUkTxvgRtonA"));
    assert_eq!(s.app.as_deref(), Some("Okta Admin Console"));
    assert_eq!(s.device_id.as_deref(), Some("guofdhyjex1feOgbN1d9"));
    assert_eq!(
        s.correlation_id.as_deref(),
        Some("ab609228fe84ce59cdcbfa690bgce016")
    );
    assert_eq!(s.provider_tenant, None);
}

#[test]
fn okta_openapi_example_list_logs() {
    okta_openapi("okta/okta-openapi-example-ListLogs.converted.json");
}

#[test]
fn okta_openapi_example_list_logs_with_additional_security_context() {
    okta_openapi("okta/okta-openapi-example-ListLogsWithAdditionalSecurityContext.converted.json");
}

#[test]
fn okta_system_log_elastic() {
    let Some(out) = decode("okta/okta-system-log-elastic.log") else {
        return;
    };
    // 5 session starts, 2 verify, 3 auth_via_mfa; 4 session ends, 4 policy
    // evaluations, a group change and an app import are skipped.
    assert_eq!(count(&out), (10, 10, 0));
    assert!(out.signins.iter().all(|s| s.outcome == Outcome::Success));
    let skipped: Vec<&str> = out.skipped.iter().map(|s| s.2.as_str()).collect();
    assert_eq!(
        skipped
            .iter()
            .filter(|r| **r == "event type `policy.evaluate_sign_on` is not a sign-in")
            .count(),
        4
    );
    assert_eq!(
        skipped
            .iter()
            .filter(|r| **r == "event type `user.session.end` is not a sign-in")
            .count(),
        4
    );
    // Line 11: `client.ipAddress` is the string "null"; the chain's first hop is used.
    let s = &out.signins[3];
    assert_eq!(time(s), "2020-02-14T20:18:57.718Z");
    assert_eq!(s.ip, ip("175.16.199.1"));
    // Line 13: ASN, ISP and proxy flag from `securityContext`.
    let s = &out.signins[4];
    assert_eq!(s.user, "test@test.com");
    assert_eq!(s.asn, Some(14618));
    assert_eq!(s.network.isp.as_deref(), Some("amazon.com  inc."));
    assert_eq!(s.network.proxy, Some(false));
    assert_eq!(latlon(s), Some((39.1469, -77.5903)));
    // Line 15: lat/lon 0,0 means unknown — no location.
    let s = &out.signins[6];
    assert_eq!(s.user, "snipped_user@domain.com");
    assert_eq!(s.location, None);
    // Line 16: MFA via Okta Verify from Switzerland.
    let s = &out.signins[7];
    assert_eq!(
        s.result_detail.as_deref(),
        Some("Authentication of user via MFA")
    );
    assert_eq!(
        s.location.as_ref().and_then(|l| l.country.as_deref()),
        Some("Switzerland")
    );
    assert_eq!(s.ip, ip("127.0.0.1"));
    // `zone` is the string "null" everywhere: no trusted network.
    assert!(out.signins.iter().all(|s| !s.network.provider_trusted));
}

// ---- Google Workspace ----

#[test]
fn gworkspace_login_elastic() {
    let Some(out) = decode("gworkspace/gworkspace-login-elastic.log") else {
        return;
    };
    // Flattened `events` objects: 9 account warnings, a logout and a sensitive action
    // are skipped.
    assert_eq!(count(&out), (6, 11, 0));
    assert_eq!(
        out.signins
            .iter()
            .map(|s| (s.result_code.as_deref().unwrap_or(""), s.outcome))
            .collect::<Vec<_>>(),
        [
            ("login_failure", Outcome::Other), // login_failure_access_code_disallowed
            ("login_challenge", Outcome::Success),
            ("login_verification", Outcome::Success),
            ("login_success", Outcome::Success),
            ("login_success", Outcome::Success),
            ("login_verification", Outcome::Success),
        ]
    );
    let s = &out.signins[0];
    assert_eq!(s.user, "foo@bar.com");
    assert_eq!(s.provider_tenant.as_deref(), Some("1"));
    assert_eq!(s.record_id, "1", "numeric uniqueQualifier");
    assert_eq!(s.ip, ip("67.43.156.13"));
    assert_eq!(s.client_app.as_deref(), Some("exchange"));
    assert_eq!(
        s.result_detail.as_deref(),
        Some("login_failure_access_code_disallowed")
    );
    assert_eq!(s.location, None, "Google has no geo");
    let last = &out.signins[5];
    assert_eq!(last.user, "tl.zeous.daclitan@company.com");
    assert_eq!(time(last), "2025-02-27T05:59:58.481Z");
    assert!(
        out.skipped[0]
            .2
            .contains("`account_disabled_password_leak`")
    );
    assert_eq!(out.skipped[0].1, SourceFormat::GoogleWorkspace);
}

#[test]
fn gworkspace_login_failure_splunk() {
    let Some(out) = decode("gworkspace/gworkspace-login-failure-splunk.json") else {
        return;
    };
    assert_eq!(count(&out), (1, 0, 0));
    let s = &out.signins[0];
    assert_eq!(s.user, "user29@daftpunk.com");
    assert_eq!(s.outcome, Outcome::BadCredentials);
    assert_eq!(s.result_code.as_deref(), Some("login_failure"));
    assert_eq!(s.provider_tenant.as_deref(), Some("C046r85ir"));
    assert_eq!(s.record_id, "720229394436");
    assert_eq!(time(s), "2022-10-12T01:05:35.119Z");
    assert_eq!(s.ip, ip("141.254.89.27"));
}

#[test]
fn gworkspace_login_success_splunk() {
    let Some(out) = decode("gworkspace/gworkspace-login-success-splunk.json") else {
        return;
    };
    assert_eq!(count(&out), (1, 0, 0));
    let s = &out.signins[0];
    assert_eq!(s.user, "user1@splunkresearch.com");
    assert_eq!(s.outcome, Outcome::Success);
    assert_eq!(s.client_app.as_deref(), Some("google_password"));
    assert_eq!(s.record_id, "437744618349");
    assert_eq!(s.ip, ip("45.23.129.123"));
}

// ---- SonicWall ----

#[test]
fn sonicwall_elastic_general() {
    let Some(out) = decode("sonicwall/sonicwall-elastic-general.log") else {
        return;
    };
    // 38 lines in every framing; the two m=30 admin logins are sign-ins.
    assert_eq!(count(&out), (2, 36, 0));
    for (s, n) in out.signins.iter().zip(["7", "8"]) {
        assert_eq!(s.source_format, SourceFormat::SonicWall);
        assert_eq!(s.outcome, Outcome::BadCredentials);
        assert_eq!(s.result_code.as_deref(), Some("30"));
        assert_eq!(
            s.result_detail.as_deref(),
            Some("Administrator login denied due to bad credentials")
        );
        assert_eq!(s.user, rampart_sources::SONICWALL_UNKNOWN_USER);
        assert_eq!(s.ip, ip("216.160.83.57"));
        assert_eq!(s.provider_tenant.as_deref(), Some("000SERIAL"));
        assert_eq!(s.record_id, format!("000SERIAL/30/{n}"));
    }
    assert_eq!(time(&out.signins[0]), "2007-01-03T14:48:07Z");
    let first = &out.skipped[0];
    assert_eq!((first.0.index, first.0.line), (1, Some(1)));
    assert_eq!(
        first.2,
        "firewall event m=98 \"Connection Opened\" is not a sign-in"
    );
    // The IPS line repeats `msg`; the first (fuller) one names it.
    assert!(out.skipped.iter().any(|s| {
        s.2.contains("m=608 \"IPS Detection Alert: ICMP Echo Reply, SID: 316")
    }));
}
