//! The router without a socket (`oneshot`): authentication, roles and tenant isolation on
//! every route, ingest answers, alerts and dead letters.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use rampart_engine::{DetectSettings, Engine, EngineConfig, Tenants};
use rampart_store::{Role, Store};
use serde_json::Value;
use tower::ServiceExt;

use super::{AppState, app, openapi_document, settle};

pub(super) const ADMIN: &str = "rmp_admin_token_for_tests";
pub(super) const ACME: &str = "rmp_ingest_acme_for_tests";
pub(super) const BRIGHT: &str = "rmp_ingest_brightline_for_tests";

pub(super) struct Fixture {
    _dir: tempfile::TempDir,
    pub(super) engine: Engine,
}

async fn fixture(queue_capacity: usize, run_worker: bool) -> Fixture {
    fixture_with(queue_capacity, run_worker, Default::default()).await
}

/// Two tenants (acme-dental, brightline-law), an msp-admin and one ingest token per
/// tenant, and `indicators` for live detection.
pub(super) async fn fixture_with(
    queue_capacity: usize,
    run_worker: bool,
    indicators: rampart_intel::IndicatorSet,
) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("rampart.sqlite"))
        .await
        .unwrap();
    create_tokens(&store).await;
    let engine = start_engine(store, queue_capacity, run_worker, indicators).await;
    Fixture { _dir: dir, engine }
}

/// The fixture's tokens: an msp-admin, and one ingest token per tenant.
pub(super) async fn create_tokens(store: &Store) {
    for (name, role, tenant, token) in [
        ("admin", Role::MspAdmin, None, ADMIN),
        ("acme", Role::Ingest, Some("acme-dental"), ACME),
        ("bright", Role::Ingest, Some("brightline-law"), BRIGHT),
    ] {
        store
            .create_token(name, role, tenant, &crate::token::hash(token))
            .await
            .unwrap();
    }
}

/// An engine on `store` with the fixture's two tenants, polling the store for indicators
/// every 50 ms.
pub(super) async fn start_engine(
    store: Store,
    queue_capacity: usize,
    run_worker: bool,
    indicators: rampart_intel::IndicatorSet,
) -> Engine {
    let mut tenants = Tenants::new();
    tenants.add(
        "acme-dental".parse().unwrap(),
        Some("Acme Dental".into()),
        &["aaaaaaaa-1111-4111-8111-111111111111".into()],
    );
    tenants.add(
        "brightline-law".parse().unwrap(),
        None,
        &["bbbbbbbb-2222-4222-8222-222222222222".into()],
    );
    let mut detect = DetectSettings::new(Default::default(), indicators);
    detect.indicator_poll = std::time::Duration::from_millis(50);
    let (engine, _worker) = Engine::start(
        store,
        EngineConfig {
            tenants,
            detect,
            queue_capacity,
            geoip: None,
            run_worker,
        },
    )
    .await
    .unwrap();
    engine
}

pub(super) async fn call(
    engine: &Engine,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = app(AppState::new(engine.clone()))
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, value, headers)
}

pub(super) async fn get(
    engine: &Engine,
    uri: &str,
    token: &str,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    call(engine, Method::GET, uri, Some(token), vec![]).await
}

pub(super) async fn post(
    engine: &Engine,
    uri: &str,
    token: &str,
    body: Vec<u8>,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    call(engine, Method::POST, uri, Some(token), body).await
}

/// An Entra Graph sign-in of `user` at `time` from `ip` in `city`, with an optional
/// provider tenant id.
pub(super) fn graph_signin(
    id: &str,
    user: &str,
    time: &str,
    ip: &str,
    city: (&str, &str, f64, f64),
    tenant_id: Option<&str>,
) -> Value {
    let mut v = serde_json::json!({
        "id": id,
        "createdDateTime": time,
        "userPrincipalName": user,
        "userId": format!("uid-{user}"),
        "appDisplayName": "Office 365",
        "clientAppUsed": "Browser",
        "ipAddress": ip,
        "isInteractive": true,
        "status": {"errorCode": 0},
        "location": {
            "city": city.0, "countryOrRegion": city.1,
            "geoCoordinates": {"latitude": city.2, "longitude": city.3}
        }
    });
    if let Some(t) = tenant_id {
        v["tenantId"] = Value::String(t.to_owned());
    }
    v
}

pub(super) const NYC: (&str, &str, f64, f64) = ("New York", "US", 40.71, -74.0);
const PHX: (&str, &str, f64, f64) = ("Phoenix", "US", 33.45, -112.07);

pub(super) fn body(records: &[Value]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "value": records })).unwrap()
}

/// POST `body` to `tenant`'s ingest route.
pub(super) async fn ingest(
    engine: &Engine,
    tenant: &str,
    token: &str,
    body: Vec<u8>,
) -> (StatusCode, Value, axum::http::HeaderMap) {
    post(
        engine,
        &format!("/api/v1/tenants/{tenant}/ingest"),
        token,
        body,
    )
    .await
}

/// One sign-in of Ann's at acme-dental, from New York.
fn one_signin() -> Vec<u8> {
    body(&[graph_signin(
        "r1",
        "ann@acme.test",
        "2026-11-01T10:00:00Z",
        "198.51.100.7",
        NYC,
        None,
    )])
}

/// Ann in New York, then 20 minutes later a sign-in from Phoenix (the attacker's).
fn takeover() -> [Value; 2] {
    [
        graph_signin(
            "ny",
            "ann@acme.test",
            "2026-10-20T14:00:00Z",
            "198.51.100.7",
            NYC,
            None,
        ),
        graph_signin(
            "phx",
            "ann@acme.test",
            "2026-10-20T14:20:00Z",
            "203.0.113.66",
            PHX,
            None,
        ),
    ]
}

/// Every API route, with a method and a path whose parameters point at acme-dental data.
fn api_routes() -> Vec<(Method, &'static str)> {
    vec![
        (Method::GET, "/metrics"),
        (Method::GET, "/api/v1/openapi.json"),
        (Method::POST, "/api/v1/tenants/acme-dental/ingest"),
        (Method::GET, "/api/v1/alerts"),
        (Method::GET, "/api/v1/alerts/1"),
        (Method::POST, "/api/v1/alerts/1/transition"),
        (Method::POST, "/api/v1/alerts/1/assign"),
        (Method::POST, "/api/v1/alerts/1/notes"),
        (Method::GET, "/api/v1/dead-letters"),
        (Method::POST, "/api/v1/dead-letters/1/retry"),
        (Method::POST, "/api/v1/indicators"),
        (Method::GET, "/api/v1/indicators"),
        (Method::GET, "/api/v1/retro-hunts/1"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_api_route_wants_a_valid_token() {
    let f = fixture(16, true).await;
    for (method, path) in api_routes() {
        let (status, v, headers) = call(&f.engine, method.clone(), path, None, vec![]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {v}");
        assert_eq!(headers["www-authenticate"], "Bearer");
        let (status, ..) = call(&f.engine, method.clone(), path, Some("rmp_wrong"), vec![]).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a wrong token"
        );
    }
    let (status, v, _) = call(&f.engine, Method::GET, "/healthz", None, vec![]).await;
    assert_eq!((status, v["status"].as_str()), (StatusCode::OK, Some("ok")));
}

/// A token past its expiry, and one revoked while the server runs, are refused on every
/// route at once; the admin token beside them still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_and_revoked_tokens_are_refused_everywhere() {
    let f = fixture(16, true).await;
    let store = f.engine.store();
    let hour = jiff::SignedDuration::from_hours(1);
    let expired = "rmp_expired_admin_for_tests";
    store
        .create_token_until(
            "expired",
            Role::MspAdmin,
            None,
            &crate::token::hash(expired),
            Some(jiff::Timestamp::now() - hour),
        )
        .await
        .unwrap();
    let soon = "rmp_revoked_admin_for_tests";
    let t = store
        .create_token_until(
            "soon-revoked",
            Role::MspAdmin,
            None,
            &crate::token::hash(soon),
            Some(jiff::Timestamp::now() + hour),
        )
        .await
        .unwrap();
    let (status, ..) = call(&f.engine, Method::GET, "/api/v1/alerts", Some(soon), vec![]).await;
    assert_eq!(status, StatusCode::OK, "live until revoked");
    store.revoke_token(t.id, "cli").await.unwrap();
    for (method, path) in api_routes() {
        for token in [expired, soon] {
            let (status, v, _) = call(&f.engine, method.clone(), path, Some(token), vec![]).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {token}: {v}"
            );
        }
    }
    let (status, ..) = call(
        &f.engine,
        Method::GET,
        "/api/v1/alerts",
        Some(ADMIN),
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
}

/// Every request a token makes, read or write, allowed or refused, is in the audit log
/// with who, what and the answer; requests without a live token are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_by_a_token_is_audited() {
    let f = fixture(16, true).await;
    let before = f.engine.store().audit(None, 1000).await.unwrap().len();
    let (status, ..) = get(&f.engine, "/api/v1/alerts?limit=5", ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    let (status, ..) = ingest(&f.engine, "acme-dental", ACME, one_signin()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, ..) = get(&f.engine, "/api/v1/alerts/1", ACME).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, ..) = ingest(&f.engine, "brightline-law", ACME, one_signin()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, ..) = call(
        &f.engine,
        Method::GET,
        "/api/v1/alerts",
        Some("rmp_wrong"),
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, ..) = call(&f.engine, Method::GET, "/healthz", None, vec![]).await;
    assert_eq!(status, StatusCode::OK);

    let audit = f.engine.store().audit(None, 1000).await.unwrap();
    let requests: Vec<(String, String, Option<String>, Value)> = audit[before..]
        .iter()
        .filter(|e| e.action.starts_with("api."))
        .map(|e| {
            (
                e.actor.clone(),
                e.action.clone(),
                e.tenant.clone(),
                e.detail.clone(),
            )
        })
        .collect();
    // (actor, action, tenant, route, path, status)
    type Seen<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, &'a str, u64);
    let seen: Vec<Seen> = requests
        .iter()
        .map(|(actor, action, tenant, d)| {
            (
                actor.as_str(),
                action.as_str(),
                tenant.as_deref(),
                d["route"].as_str().unwrap_or(""),
                d["path"].as_str().unwrap_or(""),
                d["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "token:admin",
                "api.read",
                None,
                "/api/v1/alerts",
                "/api/v1/alerts",
                200
            ),
            (
                "token:acme",
                "api.write",
                Some("acme-dental"),
                "/api/v1/tenants/{tenant}/ingest",
                "/api/v1/tenants/acme-dental/ingest",
                202
            ),
            (
                "token:acme",
                "api.read",
                Some("acme-dental"),
                "/api/v1/alerts/{id}",
                "/api/v1/alerts/1",
                403
            ),
            (
                "token:acme",
                "api.write",
                Some("acme-dental"),
                "/api/v1/tenants/{tenant}/ingest",
                "/api/v1/tenants/brightline-law/ingest",
                403
            ),
        ]
    );
}

/// An analyst (msp-admin token) triages an alert over the API: acknowledge, assign, note,
/// resolve with a verdict, reopen with a reason; refusals say why; ingest tokens may not
/// triage; the history names who did what.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_is_triaged_over_the_api_and_its_history_says_who_did_what() {
    let f = fixture(16, true).await;
    let records = takeover();
    let (status, v, _) = ingest(&f.engine, "acme-dental", ACME, body(&records)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    // The same address signed in at a second partner an hour earlier (the user was there:
    // nothing odd about it on its own, but the takeover at acme makes it cross-tenant).
    let bright = [graph_signin(
        "bright-1",
        "bo@brightline.test",
        "2026-10-20T13:10:00Z",
        "203.0.113.66",
        PHX,
        None,
    )];
    let (status, v, _) = ingest(&f.engine, "brightline-law", BRIGHT, body(&bright)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    settle(&f.engine).await;
    let kinds = |v: &Value| -> Vec<(String, bool)> {
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["kind"].as_str().unwrap().to_owned(),
                    a["retro_hunt"] == true,
                )
            })
            .collect()
    };
    let (_, v, _) = get(&f.engine, "/api/v1/alerts?tenant=brightline-law", ADMIN).await;
    assert_eq!(kinds(&v), [("cross_tenant_ip".to_owned(), false)], "{v}");
    let (_, v, _) = get(&f.engine, "/api/v1/alerts?kind=impossible_travel", ADMIN).await;
    let id = v["alerts"][0]["id"]
        .as_i64()
        .expect("an impossible travel alert");
    assert_eq!(v["alerts"][0]["status"], "new");
    let at = |what: &str| format!("/api/v1/alerts/{id}/{what}");
    let send = |path: String, token: &'static str, json: Value| {
        let engine = f.engine.clone();
        async move { post(&engine, &path, token, json.to_string().into_bytes()).await }
    };

    // Ingest tokens may not triage, not even their own tenant's alerts.
    for (what, json) in [
        ("transition", serde_json::json!({"to": "acknowledged"})),
        ("assign", serde_json::json!({"assignee": "dana"})),
        ("notes", serde_json::json!({"text": "x"})),
    ] {
        let (status, ..) = send(at(what), ACME, json).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}");
    }
    let (status, v, _) = send(
        at("transition"),
        ADMIN,
        serde_json::json!({"to": "acknowledged"}),
    )
    .await;
    assert_eq!(
        (status, v["status"].as_str()),
        (StatusCode::OK, Some("acknowledged")),
        "{v}"
    );
    let (status, v, _) = send(
        at("transition"),
        ADMIN,
        serde_json::json!({"to": "acknowledged"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("is acknowledged"),
        "{v}"
    );
    let (status, v, _) = send(at("assign"), ADMIN, serde_json::json!({"assignee": "dana"})).await;
    assert_eq!(
        (status, v["assignee"].as_str()),
        (StatusCode::OK, Some("dana")),
        "{v}"
    );
    let (status, ..) = send(
        at("notes"),
        ADMIN,
        serde_json::json!({"text": "Ann is in New York; phoned her"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, v, _) = send(
        at("transition"),
        ADMIN,
        serde_json::json!({"to": "resolved"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v["error"].as_str().unwrap().contains("verdict"), "{v}");
    let (status, v, _) = send(
        at("transition"),
        ADMIN,
        serde_json::json!({"to": "resolved", "verdict": "true_positive"}),
    )
    .await;
    assert_eq!(
        (status, v["status"].as_str(), v["verdict"].as_str()),
        (StatusCode::OK, Some("resolved"), Some("true_positive")),
        "{v}"
    );
    // Learned: the attacker's address (the Phoenix side), and a retro-hunt of every tenant.
    assert_eq!(
        v["learned"]["indicators"],
        serde_json::json!(["203.0.113.66"]),
        "{v}"
    );
    let job = v["learned"]["retro_hunt"].as_i64().expect("a retro-hunt");
    let done = f
        .engine
        .wait_retro_hunt(job, std::time::Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(done.status, rampart_store::RetroStatus::Done, "{done:?}");
    settle(&f.engine).await;
    // The retro-hunt found the second partner's sign-in: an indicator match beside the
    // cross-tenant alert.
    let (_, v, _) = get(
        &f.engine,
        "/api/v1/alerts?tenant=brightline-law&kind=indicator_match",
        ADMIN,
    )
    .await;
    assert_eq!(kinds(&v), [("indicator_match".to_owned(), true)], "{v}");
    assert_eq!(v["alerts"][0]["event_ids"][0], "bright-1");
    let (_, v, _) = get(&f.engine, "/api/v1/indicators", ADMIN).await;
    assert!(v.to_string().contains("203.0.113.66"), "{v}");
    let (status, ..) = send(
        at("transition"),
        ADMIN,
        serde_json::json!({"to": "acknowledged"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "reopening without a reason"
    );
    // Reopened and closed as a false positive: its address is now a confirmed-malicious
    // indicator, so that takes an explicit override with a reason (audited); a false
    // positive teaches nothing.
    let (status, ..) = send(
        at("transition"),
        ADMIN,
        serde_json::json!({"to": "acknowledged", "reason": "recheck"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, v, _) = send(
        at("transition"),
        ADMIN,
        serde_json::json!({"to": "resolved", "verdict": "false_positive"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("confirmed-malicious indicator (ip 203.0.113.66)"),
        "{v}"
    );
    let (status, v, _) = send(
        at("transition"),
        ADMIN,
        serde_json::json!({"to": "resolved", "verdict": "false_positive", "override": true}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an override needs a reason: {v}"
    );
    let (status, v, _) = send(
        at("transition"),
        ADMIN,
        serde_json::json!({"to": "resolved", "verdict": "false_positive", "override": true,
            "reason": "the partner's VPN egress; checked with their IT"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert!(v.get("learned").is_none(), "{v}");
    // The second partner's alerts are tied to the learned indicator too.
    let (_, v, _) = get(
        &f.engine,
        "/api/v1/alerts?tenant=brightline-law&kind=cross_tenant_ip",
        ADMIN,
    )
    .await;
    let cross = v["alerts"][0]["id"].as_i64().unwrap();
    let (status, v, _) = post(
        &f.engine,
        &format!("/api/v1/alerts/{cross}/transition"),
        ADMIN,
        br#"{"to": "resolved", "verdict": "benign"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    let (status, ..) = post(&f.engine, &at("transition"), ADMIN, b"not json".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, ..) = post(
        &f.engine,
        "/api/v1/alerts/99999/notes",
        ADMIN,
        br#"{"text":"x"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (_, v, _) = get(&f.engine, &format!("/api/v1/alerts/{id}"), ADMIN).await;
    let steps: Vec<(&str, &str)> = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["actor"] != "engine")
        .map(|h| (h["actor"].as_str().unwrap(), h["action"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("token:admin", "alert.acknowledged"),
            ("token:admin", "alert.assigned"),
            ("token:admin", "alert.note"),
            ("token:admin", "alert.resolved"),
            ("token:admin", "alert.learned"),
            ("token:admin", "alert.acknowledged"),
            ("token:admin", "alert.resolved"),
            ("token:admin", "alert.guard_overridden"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingest_token_ingests_into_its_tenant_only_and_reads_nothing() {
    let f = fixture(16, true).await;
    let records = one_signin();
    let (status, v, _) = ingest(&f.engine, "acme-dental", ACME, records.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(v["accepted"], 1);
    // Another tenant's route: refused, and nothing is stored.
    let (status, v, _) = ingest(&f.engine, "brightline-law", ACME, records.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{v}");
    let (status, ..) = ingest(&f.engine, "acme-dental", BRIGHT, records.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        f.engine.store().signin_counts().await.unwrap(),
        vec![("acme-dental".to_owned(), 1)]
    );
    // Ingest tokens read nothing: not alerts, not dead letters, not metrics.
    for (method, path) in api_routes() {
        if path.ends_with("/ingest") || path.ends_with("openapi.json") {
            continue;
        }
        for token in [ACME, BRIGHT] {
            let (status, v, _) = call(&f.engine, method.clone(), path, Some(token), vec![]).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {v}");
        }
    }
    // Unknown tenants are 404 for everyone.
    let (status, ..) = ingest(&f.engine, "nobody", ADMIN, records.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, ..) = ingest(&f.engine, "Not%20A%20Slug", ADMIN, records).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_claimed_by_another_tenant_is_a_dead_letter_not_a_leak() {
    let f = fixture(16, true).await;
    let records = body(&[
        graph_signin(
            "r1",
            "ann@acme.test",
            "2026-11-01T10:00:00Z",
            "198.51.100.7",
            NYC,
            Some("aaaaaaaa-1111-4111-8111-111111111111"),
        ),
        graph_signin(
            "r2",
            "bob@bl.test",
            "2026-11-01T10:05:00Z",
            "198.51.100.8",
            NYC,
            Some("bbbbbbbb-2222-4222-8222-222222222222"),
        ),
        serde_json::json!({"id": "r3", "what": "not a sign-in of any format"}),
    ]);
    let (status, v, _) = ingest(&f.engine, "acme-dental", ACME, records).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    assert_eq!(
        (v["accepted"].as_u64(), v["rejected"].as_u64()),
        (Some(1), Some(2)),
        "{v}"
    );
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["index"], 2);
    assert!(
        errors[0]["reason"]
            .as_str()
            .unwrap()
            .contains("another tenant"),
        "{v}"
    );
    assert_eq!(errors[1]["index"], 3);
    // Stored in acme-dental only; brightline-law has nothing.
    assert_eq!(
        f.engine.store().signin_counts().await.unwrap(),
        vec![("acme-dental".to_owned(), 1)]
    );
    // The dead letters are listed with their reasons, per tenant.
    let (status, v, _) = get(&f.engine, "/api/v1/dead-letters?tenant=acme-dental", ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["dead_letters"].as_array().unwrap().len(), 2, "{v}");
    let (_, v, _) = get(
        &f.engine,
        "/api/v1/dead-letters?tenant=brightline-law",
        ADMIN,
    )
    .await;
    assert!(v["dead_letters"].as_array().unwrap().is_empty(), "{v}");
    // Retrying the one claimed by brightline-law fails again, with the reason.
    let id = errors[0]["dead_letter"].as_i64().unwrap();
    let (status, v, _) = post(
        &f.engine,
        &format!("/api/v1/dead-letters/{id}/retry"),
        ADMIN,
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["outcome"], "rejected", "{v}");
    let (status, ..) = post(&f.engine, "/api/v1/dead-letters/99999/retry", ADMIN, vec![]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impossible_travel_becomes_one_alert_visible_to_the_msp_only_in_its_tenant() {
    let f = fixture(16, true).await;
    // Ann's ordinary weeks in New York, then a Phoenix sign-in 20 minutes after New York.
    let mut records = Vec::new();
    for day in 1..=14 {
        records.push(graph_signin(
            &format!("n{day}"),
            "ann@acme.test",
            &format!("2026-10-{day:02}T14:00:00Z"),
            "198.51.100.7",
            NYC,
            None,
        ));
    }
    records.extend(takeover());
    let (status, v, _) = ingest(&f.engine, "acme-dental", ACME, body(&records)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    settle(&f.engine).await;
    let (status, v, _) = get(&f.engine, "/api/v1/alerts", ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    let alerts = v["alerts"].as_array().unwrap().clone();
    let travel: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["kind"] == "impossible_travel")
        .collect();
    assert_eq!(travel.len(), 1, "{v}");
    assert_eq!(travel[0]["tenant"], "acme-dental");
    assert_eq!(
        travel[0]["event_ids"].as_array().unwrap().last().unwrap(),
        "phx"
    );
    // The same records again: duplicates, and no second alert.
    let (_, v, _) = ingest(&f.engine, "acme-dental", ACME, body(&records)).await;
    assert_eq!(v["duplicates"].as_u64(), Some(records.len() as u64), "{v}");
    settle(&f.engine).await;
    let (_, v, _) = get(&f.engine, "/api/v1/alerts", ADMIN).await;
    assert_eq!(v["alerts"].as_array().unwrap().len(), alerts.len());
    // Filters: another tenant sees none of it.
    let (_, v, _) = get(&f.engine, "/api/v1/alerts?tenant=brightline-law", ADMIN).await;
    assert!(v["alerts"].as_array().unwrap().is_empty(), "{v}");
    let (_, v, _) = get(
        &f.engine,
        "/api/v1/alerts?tenant=acme-dental&kind=impossible_travel&limit=1",
        ADMIN,
    )
    .await;
    assert_eq!(v["alerts"].as_array().unwrap().len(), 1);
    for bad in [
        "limit=0",
        "limit=1001",
        "since=yesterday",
        "severity=urgent",
    ] {
        let (status, ..) = get(&f.engine, &format!("/api/v1/alerts?{bad}"), ADMIN).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // One alert with its evidence and history.
    let id = travel[0]["id"].as_i64().unwrap();
    let (status, v, _) = get(&f.engine, &format!("/api/v1/alerts/{id}"), ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["history"][0]["action"], "alert.raised", "{v}");
    assert!(v["evidence"].is_object());
    let (status, ..) = get(&f.engine, "/api/v1/alerts/987654", ADMIN).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Metrics count what came in, per tenant and format, and the alert kinds.
    let (status, v, _) = get(&f.engine, "/metrics", ADMIN).await;
    assert_eq!(status, StatusCode::OK);
    let text = v.as_str().unwrap();
    assert!(
        text.contains(&format!(
            "rampart_events_in_total{{tenant=\"acme-dental\",format=\"entra_graph\"}} {}",
            records.len() * 2
        )),
        "{text}"
    );
    assert!(
        text.contains("rampart_alerts{kind=\"impossible_travel\"} 1"),
        "{text}"
    );
    assert!(text.contains("rampart_queue_depth 0"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_429_with_retry_after_and_stores_nothing() {
    // A queue of two batches and no worker to empty it.
    let f = fixture(2, false).await;
    let records = one_signin();
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (status, v, headers) = ingest(&f.engine, "acme-dental", ADMIN, records.clone()).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(headers["retry-after"], "1", "{v}");
        }
        statuses.push(status);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // Refused requests stored nothing.
    assert_eq!(f.engine.store().last_batch_seq().await.unwrap(), 2);
    let (_, v, _) = get(&f.engine, "/metrics", ADMIN).await;
    let text = v.as_str().unwrap();
    assert!(text.contains("rampart_queue_depth 2"), "{text}");
    assert!(
        text.contains("rampart_ingest_refused_busy_total 2"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_exactly_the_served_routes() {
    let doc = openapi_document();
    let mut documented: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{} {path}", m.to_uppercase()))
        })
        .collect();
    documented.sort();
    let mut served: Vec<String> = api_routes()
        .into_iter()
        .map(|(m, p)| {
            let p = p
                .replace("/acme-dental/", "/{tenant}/")
                .replace("/alerts/1/", "/alerts/{id}/")
                .replace("/alerts/1", "/alerts/{id}")
                .replace("/dead-letters/1/", "/dead-letters/{id}/")
                .replace("/retro-hunts/1", "/retro-hunts/{id}");
            format!("{m} {p}")
        })
        .chain(["GET /healthz".to_owned()])
        .collect();
    served.sort();
    assert_eq!(documented, served);
    let f = fixture(4, true).await;
    let (status, v, _) = get(&f.engine, "/api/v1/openapi.json", ACME).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v, doc);
}
