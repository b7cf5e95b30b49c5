//! Retro-hunts: indicators added later find the sign-ins already stored.

use jiff::Timestamp;
use rampart_detect::{DetectConfig, IndicatorSet};
use rampart_engine::{retro_hunt_and_alert, retro_key};
use rampart_intel::{Indicator, ObservableKind, Provenance, Verdict, parse};
use rampart_model::{Evidence, FindingKind, SignIn, TenantId};
use rampart_store::{AlertFilter, NewBatch, Store};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn signin(tenant: &str, user: &str, ip: &str, time: &str, id: &str) -> SignIn {
    serde_json::from_value(serde_json::json!({
        "tenant": tenant,
        "user": user,
        "time": time,
        "ip": ip,
        "outcome": "success",
        "source_format": "entra_graph",
        "record_id": id,
    }))
    .unwrap()
}

async fn stored(store: &Store, tenant: &str, signins: &[SignIn]) {
    store
        .commit_batch(&NewBatch {
            tenant: &TenantId::new(tenant).unwrap(),
            origin: "api",
            signins,
            skipped: 0,
            dead_letters: &[],
            resolves: None,
        })
        .await
        .unwrap();
}

fn indicator(kind: ObservableKind, value: &str, verdict: Verdict) -> Indicator {
    let mut i = Indicator::new(
        parse(kind, value).unwrap(),
        Provenance::Feed {
            name: "storm-aitm".into(),
            location: None,
        },
        ts("2026-11-20T00:00:00Z"),
    );
    i.verdict = verdict;
    i
}

fn retro_reasons(f: &rampart_model::Finding) -> usize {
    match &f.evidence {
        Evidence::Indicator(e) => e.reasons.iter().filter(|r| r.code == "retro_hunt").count(),
        _ => 0,
    }
}

#[tokio::test]
async fn indicators_added_later_find_stored_signins_once_and_leave_live_alerts_alone() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("rampart.sqlite"))
        .await
        .unwrap();
    stored(
        &store,
        "acme",
        &[
            signin(
                "acme",
                "ana@acme.example",
                "45.155.205.12",
                "2026-11-10T09:00:00Z",
                "a1",
            ),
            signin(
                "acme",
                "ana@acme.example",
                "198.51.100.4",
                "2026-11-10T12:00:00Z",
                "a2",
            ),
            signin(
                "acme",
                "bo@acme.example",
                "45.155.205.77",
                "2026-11-12T09:00:00Z",
                "a3",
            ),
            // inside the network but before the window
            signin(
                "acme",
                "cy@acme.example",
                "45.155.205.78",
                "2026-09-01T09:00:00Z",
                "a4",
            ),
            // the scanner the partner allows
            signin(
                "acme",
                "ops@acme.example",
                "45.155.205.5",
                "2026-11-11T09:00:00Z",
                "a5",
            ),
        ],
    )
    .await;
    stored(
        &store,
        "bright",
        &[signin(
            "bright",
            "dee@bright.example",
            "45.155.205.12",
            "2026-11-15T09:00:00Z",
            "b1",
        )],
    )
    .await;

    let mut indicators = IndicatorSet::new();
    indicators.insert(indicator(
        ObservableKind::Cidr,
        "45.155.205.0/24",
        Verdict::Malicious,
    ));
    indicators.insert(indicator(
        ObservableKind::Ipv4,
        "45.155.205.5",
        Verdict::BenignAllow,
    ));
    let detect = DetectConfig::default();
    let since = ts("2026-10-23T00:00:00Z");

    // What live detection already raised for bo's sign-in (before the retro-hunt).
    let live = rampart_detect::hunt(
        &[signin(
            "acme",
            "bo@acme.example",
            "45.155.205.77",
            "2026-11-12T09:00:00Z",
            "a3",
        )],
        &detect,
        &indicators,
    )
    .findings;
    assert_eq!(live.len(), 1);
    let live_key = retro_key(&live[0]);
    store
        .store_detection(&[(live_key.clone(), live[0].clone())], ("detect", 1))
        .await
        .unwrap();

    let first = retro_hunt_and_alert(&store, &detect, &indicators, since)
        .await
        .unwrap();
    assert_eq!(first.searched, 1, "the allow entry is not searched for");
    // a1, a3, a5 (allowed: found, no finding) and b1; not a2 (outside), not a4 (too old)
    assert_eq!(first.candidates, 4);
    let mut hits: Vec<(&str, &str)> = first
        .findings
        .iter()
        .map(|f| (f.tenant.as_str(), f.event_ids.last().unwrap().as_str()))
        .collect();
    hits.sort();
    assert_eq!(hits, [("acme", "a1"), ("acme", "a3"), ("bright", "b1")]);
    assert!(
        first
            .findings
            .iter()
            .all(|f| f.kind == FindingKind::IndicatorMatch)
    );
    assert!(first.findings.iter().all(|f| retro_reasons(f) == 1));
    let report = first.stored.unwrap();
    assert_eq!((report.inserted, report.unchanged), (2, 1));

    // The live alert is not rewritten as a retro-hunt hit.
    let alerts = store.alerts(&AlertFilter::default()).await.unwrap();
    assert_eq!(alerts.len(), 3);
    let bo = alerts.iter().find(|a| a.key == live_key).unwrap();
    assert_eq!(bo.finding, live[0]);
    assert_eq!(retro_reasons(&bo.finding), 0);

    // Again: nothing new.
    let again = retro_hunt_and_alert(&store, &detect, &indicators, since)
        .await
        .unwrap();
    let report = again.stored.unwrap();
    assert_eq!((report.inserted, report.unchanged), (0, 3));
    assert_eq!(
        store.alerts(&AlertFilter::default()).await.unwrap().len(),
        3
    );
}
