//! `POST /api/v1/indicators`, `GET /api/v1/indicators` and `GET /api/v1/retro-hunts/{id}`
//! through the router: roles, per-record errors, retro-hunt alerts with their mark, TLP
//! between tenants, no alert twice (reruns, live alerts).

use std::time::Duration;

use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use rampart_engine::Engine;
use serde_json::Value;

use super::settle;
use super::tests::{ACME, ADMIN, BRIGHT, NYC, body, fixture_with, get, graph_signin, ingest, post};

/// Waits for the retro-hunt `id` to finish and returns it as the API shows it.
pub(super) async fn finished(engine: &Engine, id: i64) -> Value {
    let job = engine
        .wait_retro_hunt(id, Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(job.status, rampart_store::RetroStatus::Done),
        "{job:?}"
    );
    let (status, v, _) = get(engine, &format!("/api/v1/retro-hunts/{id}"), ADMIN).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

/// POSTs indicators; returns the answer and the retro-hunt job id (if one started).
pub(super) async fn add(
    engine: &Engine,
    query: &str,
    indicators: &str,
) -> (StatusCode, Value, Option<i64>) {
    let (status, v, headers) = post(
        engine,
        &format!("/api/v1/indicators{query}"),
        ADMIN,
        indicators.as_bytes().to_vec(),
    )
    .await;
    let id = v["retro_hunt"]["id"].as_i64();
    if let Some(id) = id {
        assert_eq!(status, StatusCode::ACCEPTED, "{v}");
        assert_eq!(headers["location"], format!("/api/v1/retro-hunts/{id}"));
    }
    (status, v, id)
}

pub(super) async fn indicator_alerts(engine: &Engine, tenant: &str) -> Vec<Value> {
    let (status, v, _) = get(
        engine,
        &format!("/api/v1/alerts?kind=indicator_match&tenant={tenant}"),
        ADMIN,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    v["alerts"].as_array().unwrap().clone()
}

pub(super) fn reasons(alert: &Value) -> Vec<&str> {
    alert["evidence"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect()
}

const SINCE: &str = "?since=2026-10-01T00:00:00Z";

/// acme-dental: Ann from 203.0.113.66; brightline-law: Bob from 203.0.113.66 and
/// Carl from 203.0.113.77. Detection has settled.
async fn history(engine: &Engine) {
    let acme = body(&[graph_signin(
        "a1",
        "ann@acme.test",
        "2026-11-01T10:00:00Z",
        "203.0.113.66",
        NYC,
        None,
    )]);
    let (status, v, _) = ingest(engine, "acme-dental", ACME, acme).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let bright = body(&[
        graph_signin(
            "b1",
            "bob@bl.test",
            "2026-11-01T10:05:00Z",
            "203.0.113.66",
            NYC,
            None,
        ),
        graph_signin(
            "b2",
            "carl@bl.test",
            "2026-11-02T09:00:00Z",
            "203.0.113.77",
            NYC,
            None,
        ),
    ]);
    let (status, v, _) = ingest(engine, "brightline-law", BRIGHT, bright).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    settle(engine).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_token_can_neither_add_nor_read_indicators() {
    let f = fixture_with(16, true, Default::default()).await;
    for token in [ACME, BRIGHT] {
        let (status, v, _) = post(
            &f.engine,
            "/api/v1/indicators",
            token,
            b"203.0.113.66\n".to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    }
    assert_eq!(
        rampart_store::IndicatorRepo::count(f.engine.store())
            .await
            .unwrap(),
        0
    );
    // A job the admin started is not readable with an ingest token either.
    let (_, _, id) = add(&f.engine, "", "203.0.113.66\n").await;
    let id = id.unwrap();
    finished(&f.engine, id).await;
    for token in [ACME, BRIGHT] {
        for path in [
            format!("/api/v1/retro-hunts/{id}"),
            "/api/v1/indicators".to_owned(),
        ] {
            let (status, v, _) = get(&f.engine, &path, token).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {v}");
        }
    }
    let (status, ..) = get(&f.engine, "/api/v1/retro-hunts/999", ADMIN).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retro_hunt_alerts_on_stored_signins_once_and_keeps_private_intel_in_its_tenant() {
    let f = fixture_with(16, true, Default::default()).await;
    history(&f.engine).await;
    assert!(indicator_alerts(&f.engine, "acme-dental").await.is_empty());
    // acme-dental's confirmed alert gives a red indicator: it may match acme-dental only,
    // although brightline-law's Bob signed in from the same address.
    let query = format!("{SINCE}&tenant=acme-dental&alert=A-17&tlp=red&source=case-17");
    let (status, v, id) = add(&f.engine, &query, "203.0.113.66\n").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(
        (v["added"].as_u64(), v["updated"].as_u64()),
        (Some(1), Some(0)),
        "{v}"
    );
    assert_eq!(v["retro_hunt"]["status"], "queued");
    let job = finished(&f.engine, id.unwrap()).await;
    assert_eq!(job["candidates"], 2, "{job}");
    assert_eq!(job["findings"], 1, "{job}");
    assert_eq!(job["alerts"]["raised"], 1, "{job}");
    assert_eq!(job["progress"]["fraction"], 1.0, "{job}");
    let acme = indicator_alerts(&f.engine, "acme-dental").await;
    assert_eq!(acme.len(), 1, "{acme:?}");
    assert_eq!(acme[0]["retro_hunt"], true);
    assert_eq!(acme[0]["user"], "ann@acme.test");
    assert!(reasons(&acme[0]).contains(&"retro_hunt"), "{}", acme[0]);
    assert!(
        indicator_alerts(&f.engine, "brightline-law")
            .await
            .is_empty()
    );
    // A feed indicator (amber, from no tenant) matches brightline-law's Carl.
    let (_, v, id) = add(
        &f.engine,
        &format!("{SINCE}&source=feed-x"),
        "203.0.113.77\n",
    )
    .await;
    let job = finished(&f.engine, id.unwrap()).await;
    assert_eq!(job["alerts"]["raised"], 1, "{v} {job}");
    let bright = indicator_alerts(&f.engine, "brightline-law").await;
    assert_eq!(bright.len(), 1);
    assert_eq!(bright[0]["user"], "carl@bl.test");
    // The same POST again: the indicator is updated, the hunt finds the same sign-in and
    // raises nothing twice.
    let (_, v, id) = add(&f.engine, &query, "203.0.113.66\n").await;
    assert_eq!(
        (v["added"].as_u64(), v["updated"].as_u64()),
        (Some(0), Some(1)),
        "{v}"
    );
    let job = finished(&f.engine, id.unwrap()).await;
    assert_eq!(
        (
            job["alerts"]["raised"].as_u64(),
            job["alerts"]["already_there"].as_u64()
        ),
        (Some(0), Some(1)),
        "{job}"
    );
    assert_eq!(indicator_alerts(&f.engine, "acme-dental").await.len(), 1);
    assert_eq!(indicator_alerts(&f.engine, "brightline-law").await.len(), 1);
    // The audit log names who added what.
    let audit = f.engine.store().audit(None, 100).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "indicators.added")
            .count(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retro_hunt_leaves_an_alert_live_detection_raised_as_it_was() {
    let (live, issues) = rampart_intel::IndicatorSet::from_bytes(b"198.51.100.99\n", "live.txt");
    assert!(issues.is_empty());
    live.iter().for_each(|i| assert!(!i.decays));
    let f = fixture_with(16, true, live).await;
    let records = body(&[graph_signin(
        "a9",
        "ann@acme.test",
        "2026-11-03T10:00:00Z",
        "198.51.100.99",
        NYC,
        None,
    )]);
    let (status, ..) = ingest(&f.engine, "acme-dental", ACME, records).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    settle(&f.engine).await;
    let before = indicator_alerts(&f.engine, "acme-dental").await;
    assert_eq!(before.len(), 1);
    assert_eq!(before[0]["retro_hunt"], false);
    let (_, _, id) = add(&f.engine, SINCE, "198.51.100.99\n").await;
    let job = finished(&f.engine, id.unwrap()).await;
    assert_eq!(
        (
            job["findings"].as_u64(),
            job["alerts"]["raised"].as_u64(),
            job["alerts"]["already_there"].as_u64()
        ),
        (Some(1), Some(0), Some(1)),
        "{job}"
    );
    assert_eq!(indicator_alerts(&f.engine, "acme-dental").await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_window_is_the_last_30_days() {
    let f = fixture_with(16, true, Default::default()).await;
    let now = Timestamp::now();
    let at = |days: i64| {
        (now - SignedDuration::from_hours(24 * days))
            .round(jiff::Unit::Second)
            .unwrap()
            .to_string()
    };
    let records = body(&[
        graph_signin("old", "ann@acme.test", &at(40), "203.0.113.5", NYC, None),
        graph_signin("new", "ann@acme.test", &at(2), "203.0.113.5", NYC, None),
    ]);
    let (status, ..) = ingest(&f.engine, "acme-dental", ACME, records).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    settle(&f.engine).await;
    let (_, v, id) = add(&f.engine, "", "203.0.113.5\n").await;
    let job = finished(&f.engine, id.unwrap()).await;
    assert_eq!(job["candidates"], 1, "{v} {job}");
    let alerts = indicator_alerts(&f.engine, "acme-dental").await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0]["event_ids"][0], "new");
    // ?since= widens it.
    let (_, _, id) = add(&f.engine, "?since=60d", "203.0.113.5\n").await;
    let job = finished(&f.engine, id.unwrap()).await;
    assert_eq!(
        (job["candidates"].as_u64(), job["alerts"]["raised"].as_u64()),
        (Some(2), Some(1)),
        "{job}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_records_are_named_and_the_rest_is_added() {
    let f = fixture_with(16, true, Default::default()).await;
    let csv =
        "type,value,description\nip,203.0.113.9,ok\nip,not-an-ip,bad\ndomain,evil.example,ok\n";
    let (status, v, id) = add(&f.engine, "?format=csv", csv).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(
        (
            v["received"].as_u64(),
            v["added"].as_u64(),
            v["rejected"].as_u64()
        ),
        (Some(3), Some(2), Some(1)),
        "{v}"
    );
    assert_eq!(v["errors"][0]["line"], 3, "{v}");
    assert!(
        v["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("not-an-ip"),
        "{v}"
    );
    assert_eq!(v["retro_hunt"]["networks"], 1, "{v}");
    finished(&f.engine, id.unwrap()).await;
    // A domain alone: stored, nothing to retro-hunt in sign-ins.
    let (status, v, id) = add(&f.engine, "", "other.example\n").await;
    assert_eq!((status, id), (StatusCode::OK, None), "{v}");
    assert_eq!(v["retro_hunt"], Value::Null);
    // Nothing usable: 422 with the reasons; an empty body, bad options: 400.
    let (status, v, _) = add(&f.engine, "?format=stix", "{\"not\": \"a bundle\"").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(!v["errors"].as_array().unwrap().is_empty(), "{v}");
    for (query, text) in [
        ("", "  \n"),
        ("?tlp=purple", "203.0.113.1\n"),
        ("?format=xml", "203.0.113.1\n"),
        ("?since=yesterday", "203.0.113.1\n"),
        ("?tenant=acme-dental", "203.0.113.1\n"),
    ] {
        let (status, v, _) = add(&f.engine, query, text).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {v}");
    }
    let (status, ..) = add(&f.engine, "?tenant=nobody&alert=A-1", "203.0.113.1\n").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Listed, paged by id.
    let (status, v, _) = get(&f.engine, "/api/v1/indicators?limit=2", ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    let page = v["indicators"].as_array().unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["observable"]["value"], "203.0.113.9", "{v}");
    let after = v["next_after"].as_i64().unwrap();
    let (_, v, _) = get(
        &f.engine,
        &format!("/api/v1/indicators?limit=2&after={after}"),
        ADMIN,
    )
    .await;
    let page = v["indicators"].as_array().unwrap();
    assert_eq!(page.len(), 1, "{v}");
    assert_eq!(v["next_after"], Value::Null);
    let (_, v, _) = get(&f.engine, "/api/v1/indicators?kind=domain", ADMIN).await;
    assert_eq!(v["indicators"].as_array().unwrap().len(), 2, "{v}");
    let (status, ..) = get(&f.engine, "/api/v1/indicators?kind=thing", ADMIN).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
