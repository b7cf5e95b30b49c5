//! Live matching of the store's indicators, over the router: an indicator added through
//! the API is matched by detection from the next batch on (not only by its retro-hunt);
//! private intel stays in its tenant live too; what another writer adds or changes in the
//! store is picked up by the poll (SQLite, and PostgreSQL when `RAMPART_TEST_POSTGRES` is
//! set); and a sign-in matched both live and by a retro-hunt ends as one alert, in either
//! order.

use std::time::Duration;

use axum::http::StatusCode;
use rampart_engine::{Detection, Engine};
use rampart_intel::{Indicator, Provenance, Verdict, parse_inferred};
use rampart_store::{IndicatorRepo, Store};
use serde_json::Value;

use super::indicator_tests::{add, finished, indicator_alerts, reasons};
use super::settle;
use super::tests::{
    ACME, BRIGHT, NYC, body, create_tokens, fixture_with, graph_signin, ingest, start_engine,
};

/// Ingests one Graph sign-in of `user` from `ip` into `tenant` and waits for detection.
async fn signin_from(engine: &Engine, tenant: &str, id: &str, user: &str, ip: &str) {
    let token = if tenant == "acme-dental" {
        ACME
    } else {
        BRIGHT
    };
    let records = body(&[graph_signin(
        id,
        user,
        "2026-11-05T10:00:00Z",
        ip,
        NYC,
        None,
    )]);
    let (status, v, _) = ingest(engine, tenant, token, records).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    settle(engine).await;
}

/// Waits until `ok` holds for the engine's live indicator set (the poll is 50 ms in these
/// fixtures; the deadline only bounds a failure).
async fn until_live(
    engine: &Engine,
    what: &str,
    ok: impl Fn(&rampart_intel::IndicatorSet) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !ok(&engine.settings().indicators.current()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the engine never saw {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn ip(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}

fn at() -> jiff::Timestamp {
    "2026-11-05T10:00:00Z".parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_indicator_added_through_the_api_is_matched_live_on_the_next_signin() {
    let f = fixture_with(16, true, Default::default()).await;
    // Nothing stored yet from that address: the retro-hunt finds nothing.
    let (status, v, id) = add(&f.engine, "?source=partner-case", "203.0.113.99\n").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let job = finished(&f.engine, id.unwrap()).await;
    assert_eq!(job["candidates"], 0, "{job}");
    assert!(indicator_alerts(&f.engine, "acme-dental").await.is_empty());
    // The next sign-in from it, at any partner, is matched by detection itself.
    signin_from(
        &f.engine,
        "acme-dental",
        "n1",
        "ann@acme.test",
        "203.0.113.99",
    )
    .await;
    let alerts = indicator_alerts(&f.engine, "acme-dental").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["retro_hunt"], false, "{}", alerts[0]);
    assert!(
        !reasons(&alerts[0]).contains(&"retro_hunt"),
        "{}",
        alerts[0]
    );
    assert_eq!(alerts[0]["event_ids"][0], "n1");
    assert_eq!(
        alerts[0]["evidence"]["indicator"]["value"], "203.0.113.99",
        "{}",
        alerts[0]
    );
    // An address nobody listed raises nothing.
    signin_from(
        &f.engine,
        "acme-dental",
        "n2",
        "ann@acme.test",
        "203.0.113.98",
    )
    .await;
    assert_eq!(indicator_alerts(&f.engine, "acme-dental").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_amber_strict_indicator_matches_only_that_tenant_live_and_a_feeds_every_tenant() {
    let f = fixture_with(16, true, Default::default()).await;
    let (_, v, id) = add(
        &f.engine,
        "?tenant=acme-dental&alert=A-9&tlp=amber%2Bstrict",
        "203.0.113.41\n",
    )
    .await;
    finished(&f.engine, id.unwrap()).await;
    let (_, v2, id) = add(&f.engine, "?source=feed-y&tlp=amber", "203.0.113.42\n").await;
    finished(&f.engine, id.unwrap()).await;
    assert_eq!(
        (v["added"].as_u64(), v2["added"].as_u64()),
        (Some(1), Some(1))
    );
    signin_from(
        &f.engine,
        "brightline-law",
        "b1",
        "bob@bl.test",
        "203.0.113.41",
    )
    .await;
    signin_from(
        &f.engine,
        "acme-dental",
        "a1",
        "ann@acme.test",
        "203.0.113.41",
    )
    .await;
    signin_from(
        &f.engine,
        "brightline-law",
        "b2",
        "bob@bl.test",
        "203.0.113.42",
    )
    .await;
    let acme = indicator_alerts(&f.engine, "acme-dental").await;
    assert_eq!(acme.len(), 1, "{acme:?}");
    assert_eq!(acme[0]["event_ids"][0], "a1");
    assert_eq!(acme[0]["retro_hunt"], false);
    let bright = indicator_alerts(&f.engine, "brightline-law").await;
    assert_eq!(
        bright.len(),
        1,
        "acme-dental's private indicator matched here: {bright:?}"
    );
    assert_eq!(bright[0]["event_ids"][0], "b2");
}

/// The race: a sign-in committed before its indicator was added, detected after. Live
/// detection and the retro-hunt both find it; one alert stands, whichever wrote first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signin_matched_live_and_by_a_retro_hunt_is_one_alert_in_either_order() {
    // No detection worker: this test decides when detection runs.
    let f = fixture_with(64, false, Default::default()).await;
    let engine = &f.engine;
    let store = engine.store();
    let records = |id: &str, user: &str, ip: &str| {
        body(&[graph_signin(
            id,
            user,
            "2026-11-05T10:00:00Z",
            ip,
            NYC,
            None,
        )])
    };
    let detect = async || {
        let d = Detection::recover(store, engine.settings()).await.unwrap();
        let last = store.last_batch_seq().await.unwrap();
        d.run(store, engine.settings(), last).await.unwrap().1
    };
    // 1. The retro-hunt first: the sign-in is stored, the indicator added, its job raises
    //    the alert; then detection runs over the sign-in with the indicator in its set.
    let (status, ..) = ingest(
        engine,
        "acme-dental",
        ACME,
        records("r1", "ann@acme.test", "203.0.113.61"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, _, id) = add(engine, "?since=2026-11-01T00:00:00Z", "203.0.113.61\n").await;
    let job = finished(engine, id.unwrap()).await;
    assert_eq!(job["alerts"]["raised"], 1, "{job}");
    let retro = indicator_alerts(engine, "acme-dental").await;
    assert_eq!(retro.len(), 1);
    assert_eq!(retro[0]["retro_hunt"], true);
    let report = detect().await;
    assert_eq!((report.inserted, report.amended), (0, 1), "{report:?}");
    let after = indicator_alerts(engine, "acme-dental").await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["id"], retro[0]["id"]);
    // 2. Live detection first: the indicator reaches the set (written by another process,
    //    no job), detection matches the stored sign-in, then a retro-hunt finds it again.
    let (status, ..) = ingest(
        engine,
        "brightline-law",
        BRIGHT,
        records("r2", "bob@bl.test", "203.0.113.62"),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let indicator = Indicator::new(
        parse_inferred("203.0.113.62").unwrap(),
        Provenance::Feed {
            name: "other-process".into(),
            location: None,
        },
        "2026-11-01T00:00:00Z".parse().unwrap(),
    );
    store
        .upsert_many(std::slice::from_ref(&indicator))
        .await
        .unwrap();
    engine.refresh_indicators().await.unwrap();
    let report = detect().await;
    assert_eq!(report.inserted, 1, "{report:?}");
    let live = indicator_alerts(engine, "brightline-law").await;
    assert_eq!(
        (live.len(), &live[0]["retro_hunt"]),
        (1, &Value::Bool(false))
    );
    let job = engine
        .queue_retro_hunt(
            "test",
            &[ipnet::IpNet::from(ip("203.0.113.62"))],
            1,
            "2026-11-01T00:00:00Z".parse().unwrap(),
        )
        .await
        .unwrap();
    let job = finished(engine, job).await;
    assert_eq!(
        (
            job["alerts"]["raised"].as_u64(),
            job["alerts"]["already_there"].as_u64()
        ),
        (Some(0), Some(1)),
        "{job}"
    );
    assert_eq!(indicator_alerts(engine, "brightline-law").await, live);
}

/// Another writer on the same store (a second server's API, `rampart indicators import`):
/// the engine notices within its poll, insertions and changes alike.
async fn another_writer_is_followed(store: Store) {
    create_tokens(&store).await;
    let ours = start_engine(store.clone(), 16, true, Default::default()).await;
    // The other server: same database, no detection worker of its own.
    let theirs = start_engine(store.clone(), 16, false, Default::default()).await;
    let (_, v, id) = add(&theirs, "?source=feed-z", "203.0.113.71\n").await;
    assert_eq!(v["added"], 1, "{v}");
    finished(&theirs, id.unwrap()).await;
    until_live(&ours, "the other server's indicator", |set| {
        set.decide_ip(ip("203.0.113.71"), at()).is_some()
    })
    .await;
    signin_from(&ours, "acme-dental", "p1", "ann@acme.test", "203.0.113.71").await;
    let alerts = indicator_alerts(&ours, "acme-dental").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(alerts[0]["retro_hunt"], false);
    // A change, not an insert: the same indicator (same value and provenance) re-imported
    // as an allow entry. Followed too: the next sign-in from it raises nothing.
    let mut allow = store.all().await.unwrap().remove(0);
    allow.verdict = Verdict::BenignAllow;
    let before = ours.settings().indicators.current().len();
    store.upsert_many(&[allow]).await.unwrap();
    until_live(&ours, "the verdict change", |set| {
        set.decide_ip(ip("203.0.113.71"), at()).is_none()
    })
    .await;
    assert_eq!(
        ours.settings().indicators.current().len(),
        before,
        "updated, not added"
    );
    signin_from(&ours, "acme-dental", "p2", "ann@acme.test", "203.0.113.71").await;
    assert_eq!(indicator_alerts(&ours, "acme-dental").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_writer_is_followed_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("rampart.sqlite"))
        .await
        .unwrap();
    another_writer_is_followed(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_writer_is_followed_on_postgres() {
    let Some(url) = std::env::var("RAMPART_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true but RAMPART_TEST_POSTGRES is not set"
        );
        eprintln!("RAMPART_TEST_POSTGRES is not set: PostgreSQL variant skipped");
        return;
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let schema = format!("rampart_test_live_{}_{nanos}", std::process::id());
    let store = Store::open_postgres(&url, Some(&schema)).await.unwrap();
    another_writer_is_followed(store.clone()).await;
    store.drop_schema_for_tests(&schema).await.unwrap();
    store.close().await;
}
