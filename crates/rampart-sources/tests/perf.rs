//! Decoding speed against the baseline the hunt benchmark uses: parsing the same bytes
//! into `serde_json::Value`. Run with
//! `cargo test --release -p rampart-sources --test perf -- --ignored --nocapture`.

#![recursion_limit = "256"]

use std::time::{Duration, Instant};

use rampart_sources::{DecodeOptions, Decoded, decode_bytes};

/// A Graph beta `signIn` shaped like real exports (~2.5 KB), `n` of them as NDJSON.
fn graph_ndjson(n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 2600);
    for i in 0..n {
        let rec = serde_json::json!({
            "id": format!("1691d37b-8579-43a7-966a-{i:012x}"),
            "createdDateTime": format!("2024-03-{:02}T{:02}:{:02}:32.1234567Z", 1 + i % 28, i % 24, i % 60),
            "userDisplayName": "Test Contoso",
            "userPrincipalName": format!("user{}@contoso.com", i % 5000),
            "userId": "26be570a-1111-5555-b4e2-a37c6808512d",
            "appId": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
            "appDisplayName": "Azure Portal",
            "ipAddress": format!("131.107.{}.{}", i % 250, i % 200),
            "clientAppUsed": "Browser",
            "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/91.0.4472.114 Safari/537.36 Edg/91.0.864.54",
            "correlationId": "5d295068-919b-4017-85d8-44be2f5f5483",
            "conditionalAccessStatus": "notApplied",
            "originalRequestId": "7dccb0d7-1041-4d82-b785-d865272e1400",
            "authenticationProtocol": "oAuth2",
            "incomingTokenType": "Primary Refresh Token",
            "isInteractive": true,
            "homeTenantId": "99081087-73c4-48d1-a112-f60ff75114f7",
            "tokenIssuerType": "AzureAD",
            "processingTimeInMilliseconds": 761,
            "riskDetail": "none",
            "riskLevelAggregated": "none",
            "riskLevelDuringSignIn": "none",
            "riskState": "none",
            "riskEventTypes_v2": [],
            "resourceDisplayName": "Windows Azure Service Management API",
            "resourceId": "797f4846-ba00-4fd7-ba43-dac1f8f63013",
            "resourceTenantId": "99081087-73c4-48d1-a112-f60ff75114f7",
            "authenticationRequirement": "singleFactorAuthentication",
            "uniqueTokenIdentifier": "ZTE0OTk3YTQtZjg5Mi00YjBiLWIwNTEtZmViZTA1YzJhNDli",
            "signInIdentifier": "testaccount1@contoso.com",
            "signInEventTypes": ["interactiveUser"],
            "userType": "member",
            "autonomousSystemNumber": 3598,
            "status": {"errorCode": if i % 3 == 0 { 50126 } else { 0 },
                       "failureReason": "Other.", "additionalDetails": null},
            "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": "Windows 10",
                             "browser": "Edge 91.0.864", "isCompliant": false, "isManaged": false,
                             "trustType": ""},
            "location": {"city": "Redmond", "state": "Washington", "countryOrRegion": "US",
                         "geoCoordinates": {"altitude": null, "latitude": 47.68050003051758,
                                            "longitude": -122.12094116210938}},
            "appliedConditionalAccessPolicies": [
                {"id": "de7e60eb-ed89-4d73-8205-2227def6b7c9", "displayName": "SharePoint limited access",
                 "enforcedGrantControls": [], "enforcedSessionControls": [], "result": "notEnabled"},
                {"id": "6701123a-b4c6-48af-8565-565c8bf7cabc", "displayName": "Medium signin risk block",
                 "enforcedGrantControls": ["Mfa"], "enforcedSessionControls": [], "result": "notApplied"}
            ],
            "authenticationProcessingDetails": [{"key": "Login Hint Present", "value": "True"}],
            "networkLocationDetails": [{"networkType": "namedNetwork", "networkNames": ["North America"]}],
            "authenticationDetails": [{
                "authenticationStepDateTime": "2021-06-30T16:34:32Z",
                "authenticationMethod": "Password",
                "authenticationMethodDetail": "Password in the cloud",
                "succeeded": true,
                "authenticationStepResultDetail": "Correct password",
                "authenticationStepRequirement": "Primary authentication"
            }]
        });
        serde_json::to_writer(&mut out, &rec).unwrap_or_default();
        out.push(b'\n');
    }
    out
}

fn best(rounds: usize, mut f: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

#[test]
#[ignore = "benchmark; run in release with --ignored --nocapture"]
fn decoding_graph_ndjson_beats_parsing_into_value() {
    let n = 50_000;
    let bytes = graph_ndjson(n);
    let value = best(5, || {
        let mut k = 0usize;
        for line in bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let v: serde_json::Value = serde_json::from_slice(line).unwrap_or_default();
            k += usize::from(!v.is_null());
        }
        std::hint::black_box(k);
    });
    let mut decoded = 0;
    let decode = best(5, || {
        decoded = 0;
        decode_bytes(&bytes, "bench", &DecodeOptions::default(), &mut |d| {
            if let Decoded::SignIn(s) = d {
                decoded += 1;
                std::hint::black_box(s);
            }
        });
    });
    assert_eq!(decoded, n);
    let mb = bytes.len() as f64 / 1e6;
    eprintln!(
        "{n} records, {mb:.1} MB: Value {:.1} ms ({:.0} MB/s), decode {:.1} ms ({:.0} MB/s), decode/Value time = {:.2}",
        value.as_secs_f64() * 1e3,
        mb / value.as_secs_f64(),
        decode.as_secs_f64() * 1e3,
        mb / decode.as_secs_f64(),
        decode.as_secs_f64() / value.as_secs_f64()
    );
    // A measurement, not a test of speed: timings never decide a test's outcome here.
}
