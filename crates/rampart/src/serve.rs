//! `rampart serve`: the ingest and alert API over the streaming engine.
//!
//! HTTP lives here only: routes, bearer-token authentication (an extractor), roles and
//! tenant scoping, and the conversion of store rows to API JSON (`alert_json`, one place).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rampart_engine::{DetectSettings, Engine, EngineConfig, EngineError, RetryOutcome, Tenants};
use rampart_model::TenantId;
use rampart_store::{AlertFilter, AlertRow, ApiToken, DeadLetterFilter, NewAudit, Role, Store};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::Config;

/// Everything `serve` was asked to do.
pub struct ServeArgs {
    pub config: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub listen: SocketAddr,
    pub store: Option<String>,
    pub indicators: Vec<PathBuf>,
    pub geoip: Vec<PathBuf>,
    pub queue_capacity: usize,
}

/// Request bodies up to this size are accepted.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// Opens the store named by `--store`, or the SQLite file in the data directory.
pub async fn open_store(spec: Option<&str>, data_dir: Option<PathBuf>) -> Result<Store> {
    match spec {
        Some(spec) => Store::connect(spec)
            .await
            .with_context(|| format!("cannot open the store {spec}")),
        None => {
            let dir = crate::indicators::data_dir(data_dir)?;
            let path = dir.join(crate::indicators::DB_FILE);
            Store::open(&path)
                .await
                .with_context(|| format!("cannot open the store {}", path.display()))
        }
    }
}

pub fn run(args: ServeArgs) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(args))
}

async fn serve(args: ServeArgs) -> Result<()> {
    let config = args
        .config
        .as_deref()
        .map(Config::load)
        .transpose()?
        .unwrap_or_default();
    if config.tenants.is_empty() {
        tracing::warn!("no tenants configured: every ingest will answer 404 (give --config)");
    }
    let mut tenants = Tenants::new();
    for (slug, t) in &config.tenants {
        tenants.add(slug.clone(), t.name.clone(), &t.provider_ids);
    }
    // As `hunt --indicators`: any format rampart-intel imports; undated values never decay.
    let mut indicators = rampart_intel::IndicatorSet::new();
    let mut opts = rampart_intel::ImportOptions::new(jiff::Timestamp::now());
    opts.undated = rampart_intel::Undated::Timeless;
    for path in &args.indicators {
        let report = rampart_intel::import_path(path, None, &opts)
            .with_context(|| format!("cannot read the indicator list {}", path.display()))?;
        for e in indicators.add_report(report) {
            tracing::warn!("indicator not loaded: {e}");
        }
    }
    let geoip = if args.geoip.is_empty() {
        None
    } else {
        Some(Arc::new(
            rampart_geo::GeoIp::open(&args.geoip).context("cannot open the GeoIP database")?,
        ))
    };
    let store = open_store(args.store.as_deref(), args.data_dir).await?;
    let mut detect = DetectSettings::new(config.detect_config(), indicators);
    detect.indicator_poll = config.indicators.poll();
    let (engine, worker) = Engine::start(
        store.clone(),
        EngineConfig {
            tenants,
            detect,
            queue_capacity: args.queue_capacity,
            geoip,
            run_worker: true,
        },
    )
    .await
    .context("cannot start the engine")?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr().context("no local address")?;
    // One line a supervisor (or a test) can read: where to connect.
    eprintln!(
        "rampart serve: listening on http://{addr} (store {})",
        store.describe()
    );
    let state = AppState {
        engine,
        retro_window: config.retro_hunt.window(),
    };
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("the server failed")?;
    worker.abort();
    store.close().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    /// How far back a retro-hunt searches when indicators are added (`[retro_hunt]`).
    pub retro_window: jiff::SignedDuration,
}

impl AppState {
    /// The engine with the default settings (a 30-day retro-hunt window).
    pub fn new(engine: Engine) -> AppState {
        AppState {
            engine,
            retro_window: rampart_engine::DEFAULT_RETRO_WINDOW,
        }
    }
}

impl FromRef<AppState> for Engine {
    fn from_ref(s: &AppState) -> Engine {
        s.engine.clone()
    }
}

/// The router (no socket: tests drive it with `oneshot`).
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/tenants/{tenant}/ingest", post(ingest))
        .route("/api/v1/alerts", get(list_alerts))
        .route("/api/v1/alerts/{id}", get(get_alert))
        .route("/api/v1/alerts/{id}/transition", post(transition_alert))
        .route("/api/v1/alerts/{id}/assign", post(assign_alert))
        .route("/api/v1/alerts/{id}/notes", post(note_alert))
        .route("/api/v1/dead-letters", get(list_dead_letters))
        .route("/api/v1/dead-letters/{id}/retry", post(retry_dead_letter))
        .route(
            "/api/v1/indicators",
            get(indicators::list).post(indicators::add),
        )
        .route("/api/v1/retro-hunts/{id}", get(indicators::retro_hunt))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authenticate_and_audit,
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// Every request to a route: the bearer token is looked up once (handlers take the
/// [`Caller`] found here), and every request made with a live token — read or write,
/// allowed or refused — is written to the audit log after it is answered: who (the
/// token), the method, the path, the route and the status. Requests without a live token
/// are answered 401 by the handlers and logged, not audited (the audit log is for what
/// tokens did; anyone can send a wrong one).
async fn authenticate_and_audit(
    State(engine): State<Engine>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let caller = match bearer(req.headers()) {
        Some(token) => match engine
            .store()
            .token_by_hash(&crate::token::hash(token))
            .await
        {
            Ok(found) => found.map(Caller),
            Err(e) => return ApiError::from(e).into_response(),
        },
        None => None,
    };
    let Some(caller) = caller else {
        tracing::debug!(path = %req.uri().path(), "request without a live token");
        return next.run(req).await;
    };
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|m| m.as_str().to_owned());
    req.extensions_mut().insert(caller.clone());
    let response = next.run(req).await;
    let status = response.status().as_u16();
    let detail = json!({
        "method": method.as_str(),
        "path": path,
        "route": route,
        "status": status,
    })
    .to_string();
    let action = if method == axum::http::Method::GET {
        "api.read"
    } else {
        "api.write"
    };
    let tenant = caller.0.tenant.clone().or_else(|| {
        path.strip_prefix("/api/v1/tenants/")
            .and_then(|rest| rest.split('/').next())
            .map(str::to_owned)
    });
    let entry = NewAudit {
        actor: &caller.actor(),
        action,
        tenant: tenant.as_deref(),
        subject: None,
        detail: &detail,
    };
    if let Err(e) = engine.store().append_audit(&entry).await {
        // The request is done; its answer stands. The failure is on record here.
        tracing::error!(
            actor = entry.actor,
            action,
            %detail,
            "the audit log could not record a request: {e}"
        );
    }
    response
}

/// The token of an `Authorization: Bearer …` header.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The one error type of the API: a status and a message safe to show a client.
/// Internal errors are logged and answered with a generic text.
#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    Forbidden(String),
    NotFound(String),
    BadRequest(String),
    /// The request does not fit the resource's state (409).
    Conflict(String),
    /// The request is well-formed but not acceptable (422).
    Unprocessable(String),
    Busy {
        retry_after_secs: u64,
        message: String,
    },
    Internal(anyhow::Error),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "a valid bearer token is required (Authorization: Bearer …)".to_owned(),
            ),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m),
            ApiError::Busy {
                retry_after_secs,
                message,
            } => {
                let mut r = (
                    StatusCode::TOO_MANY_REQUESTS,
                    Json(json!({ "error": message })),
                )
                    .into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                return r;
            }
            ApiError::Internal(e) => {
                tracing::error!("internal error: {e:#}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error (see the server log)".to_owned(),
                )
            }
        };
        let mut r = (status, Json(json!({ "error": message }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        r
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        match e {
            EngineError::Busy {
                retry_after_secs, ..
            } => ApiError::Busy {
                retry_after_secs,
                message: e.to_string(),
            },
            EngineError::UnknownTenant(t) => ApiError::NotFound(format!("unknown tenant {t}")),
            EngineError::NoDeadLetter(id) => ApiError::NotFound(format!("no dead letter {id}")),
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<rampart_store::StoreError> for ApiError {
    fn from(e: rampart_store::StoreError) -> ApiError {
        ApiError::Internal(e.into())
    }
}

/// The authenticated caller of an `/api` route (or `/metrics`).
#[derive(Clone, Debug)]
pub struct Caller(pub ApiToken);

impl Caller {
    /// Reading (alerts, dead letters, metrics) is for msp-admin tokens, which read every
    /// tenant; ingest tokens read nothing.
    fn may_read(&self) -> Result<(), ApiError> {
        match self.0.role {
            Role::MspAdmin => Ok(()),
            Role::Ingest => Err(ApiError::Forbidden(
                "an ingest token can only ingest".to_owned(),
            )),
        }
    }

    /// Adding and listing indicators, and following retro-hunts, is for msp-admin tokens:
    /// indicators are the MSP's intelligence across tenants.
    fn may_manage_intel(&self) -> Result<(), ApiError> {
        match self.0.role {
            Role::MspAdmin => Ok(()),
            Role::Ingest => Err(ApiError::Forbidden(
                "an ingest token can only ingest; indicators need an msp-admin token".to_owned(),
            )),
        }
    }

    /// Triage (state, verdict, assignment, notes) is for msp-admin tokens.
    fn may_triage(&self) -> Result<(), ApiError> {
        match self.0.role {
            Role::MspAdmin => Ok(()),
            Role::Ingest => Err(ApiError::Forbidden(
                "an ingest token can only ingest; triage needs an msp-admin token".to_owned(),
            )),
        }
    }

    fn may_ingest(&self, tenant: &TenantId) -> Result<(), ApiError> {
        match (self.0.role, self.0.tenant.as_deref()) {
            (Role::MspAdmin, _) => Ok(()),
            (Role::Ingest, Some(t)) if t == tenant.as_str() => Ok(()),
            (Role::Ingest, _) => Err(ApiError::Forbidden(format!(
                "this token may not ingest into {tenant}"
            ))),
        }
    }

    fn actor(&self) -> String {
        format!("token:{}", self.0.name)
    }
}

impl<S> FromRequestParts<S> for Caller
where
    Engine: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Caller, ApiError> {
        // Found by the router's middleware (`authenticate_and_audit`) when it ran.
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let engine = Engine::from_ref(state);
        let token = bearer(&parts.headers).ok_or(ApiError::Unauthorized)?;
        let found = engine
            .store()
            .token_by_hash(&crate::token::hash(token))
            .await?;
        found.map(Caller).ok_or(ApiError::Unauthorized)
    }
}

async fn healthz(State(engine): State<Engine>) -> Response {
    match engine.store().ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({"status": "ok"}))).into_response(),
        Err(e) => {
            tracing::error!("health check: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "store unavailable"})),
            )
                .into_response()
        }
    }
}

/// Prometheus metrics. They name tenants, so an msp-admin token is required.
async fn metrics(State(engine): State<Engine>, caller: Caller) -> Result<Response, ApiError> {
    caller.may_read()?;
    let gauges = engine.gauges().await?;
    let mut r = engine.metrics().render(&gauges).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    Ok(r)
}

fn parse_tenant(s: &str) -> Result<TenantId, ApiError> {
    TenantId::new(s).map_err(|_| ApiError::NotFound(format!("unknown tenant {s}")))
}

async fn ingest(
    State(engine): State<Engine>,
    caller: Caller,
    Path(tenant): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let tenant = parse_tenant(&tenant)?;
    caller.may_ingest(&tenant)?;
    let origin = format!("api ({})", caller.actor());
    let report = engine.ingest(&tenant, body.to_vec(), &origin).await?;
    Ok((StatusCode::ACCEPTED, Json(report)).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct AlertQuery {
    tenant: Option<String>,
    status: Option<String>,
    severity: Option<String>,
    kind: Option<String>,
    since: Option<String>,
    limit: Option<String>,
}

fn parse_limit(limit: Option<&str>) -> Result<Option<u32>, ApiError> {
    limit
        .map(|l| match l.parse::<u32>() {
            Ok(n) if (1..=1000).contains(&n) => Ok(n),
            _ => Err(ApiError::BadRequest(format!(
                "limit {l:?}: give a number from 1 to 1000"
            ))),
        })
        .transpose()
}

async fn list_alerts(
    State(engine): State<Engine>,
    caller: Caller,
    Query(q): Query<AlertQuery>,
) -> Result<Json<Value>, ApiError> {
    let since = q
        .since
        .as_deref()
        .map(|s| {
            s.parse::<jiff::Timestamp>().map_err(|e| {
                ApiError::BadRequest(format!("since {s:?}: not an RFC 3339 time: {e}"))
            })
        })
        .transpose()?;
    if let Some(s) = &q.severity
        && rampart_model::Severity::from_name(s).is_none()
    {
        return Err(ApiError::BadRequest(format!(
            "severity {s:?}: one of info, low, medium, high, critical"
        )));
    }
    caller.may_read()?;
    let filter = AlertFilter {
        tenants: q.tenant.map(|t| vec![t]),
        status: q.status,
        severity: q.severity,
        kind: q.kind,
        since,
        limit: parse_limit(q.limit.as_deref())?,
    };
    let alerts = engine.store().alerts(&filter).await?;
    Ok(Json(json!({
        "alerts": alerts.iter().map(|a| alert_json(a, None)).collect::<Vec<_>>()
    })))
}

async fn get_alert(
    State(engine): State<Engine>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.may_read()?;
    let not_found = || ApiError::NotFound(format!("no alert {id}"));
    let n: i64 = id.parse().map_err(|_| not_found())?;
    let alert = engine.store().alert(n).await?.ok_or_else(not_found)?;
    let history = engine
        .store()
        .audit(Some(&format!("alert:{n}")), 1000)
        .await?;
    Ok(Json(alert_json(&alert, Some(&history))))
}

#[derive(Debug, Deserialize)]
struct TransitionBody {
    to: String,
    verdict: Option<String>,
    reason: Option<String>,
    /// Closes an alert tied to a confirmed-malicious indicator as benign or a false
    /// positive all the same (with a reason; audited).
    #[serde(default)]
    r#override: bool,
}

#[derive(Debug, Deserialize)]
struct AssignBody {
    assignee: Option<String>,
}

#[derive(Debug, Deserialize)]
struct NoteBody {
    text: String,
}

/// `POST /api/v1/alerts/{id}/transition`: `{"to": "acknowledged"|"escalated"|"resolved",
/// "verdict": …, "reason": …}`. Resolving as `true_positive` teaches every tenant the
/// attacker's addresses (`learned` in the answer; see [`indicators::learn_from`]); a
/// `false_positive` teaches nothing.
async fn transition_alert(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.may_triage()?;
    let b: TransitionBody = json_body(&body)?;
    let guarded = guard_benign_close(&state.engine, &id, &b).await?;
    let change = rampart_store::Triage::Transition {
        to: &b.to,
        verdict: b.verdict.as_deref(),
        reason: b.reason.as_deref(),
    };
    let (alert, _) = apply_triage(&state.engine, &caller, &id, &change).await?;
    if let Some(tie) = guarded {
        let detail = json!({
            "verdict": b.verdict,
            "indicator": tie,
            "reason": b.reason,
        });
        state
            .engine
            .store()
            .append_audit(&NewAudit {
                actor: &caller.actor(),
                action: "alert.guard_overridden",
                tenant: Some(alert.finding.tenant.as_str()),
                subject: Some(&format!("alert:{}", alert.id)),
                detail: &detail.to_string(),
            })
            .await?;
    }
    let learned = if b.to == "resolved" && b.verdict.as_deref() == Some("true_positive") {
        Some(indicators::learn_from(&state, &caller, &alert).await?)
    } else {
        None
    };
    let history = state
        .engine
        .store()
        .audit(Some(&format!("alert:{}", alert.id)), 1000)
        .await?;
    let mut v = alert_json(&alert, Some(&history));
    if let Some(l) = learned {
        v["learned"] = l;
    }
    Ok(Json(v))
}

/// `POST /api/v1/alerts/{id}/assign`: `{"assignee": "dana"}` (or `null`: nobody).
async fn assign_alert(
    State(engine): State<Engine>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.may_triage()?;
    let b: AssignBody = json_body(&body)?;
    let change = rampart_store::Triage::Assign {
        assignee: b.assignee.as_deref(),
    };
    triage(&engine, &caller, &id, &change).await
}

/// `POST /api/v1/alerts/{id}/notes`: `{"text": "…"}`.
async fn note_alert(
    State(engine): State<Engine>,
    caller: Caller,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, ApiError> {
    caller.may_triage()?;
    let b: NoteBody = json_body(&body)?;
    triage(
        &engine,
        &caller,
        &id,
        &rampart_store::Triage::Note { text: &b.text },
    )
    .await
}

/// The guard on closing an alert as `benign` or `false_positive`: when the alert is tied
/// to a confirmed-malicious indicator ([`rampart_engine::malicious_tie`]), that takes
/// `"override": true` and a reason (409 otherwise). Returns the tie when the override is
/// used, so that it is audited.
async fn guard_benign_close(
    engine: &Engine,
    id: &str,
    b: &TransitionBody,
) -> Result<Option<String>, ApiError> {
    if !matches!(b.verdict.as_deref(), Some("benign" | "false_positive")) {
        return Ok(None);
    }
    let Ok(n) = id.parse::<i64>() else {
        return Ok(None);
    };
    let Some(alert) = engine.store().alert(n).await? else {
        return Ok(None);
    };
    let live = engine.settings().indicators.current();
    let Some(tie) = rampart_engine::malicious_tie(&alert.finding, &live) else {
        return Ok(None);
    };
    if !b.r#override || b.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(ApiError::Conflict(format!(
            "alert {n} is tied to a confirmed-malicious indicator ({tie}); closing it as {} \
             takes \"override\": true and a reason",
            b.verdict.as_deref().unwrap_or_default()
        )));
    }
    Ok(Some(tie))
}

/// A JSON request body, or 400 naming what is wrong with it.
fn json_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("the body: {e}")))
}

/// Applies a triage change and answers the alert as it now stands, with its history.
async fn triage(
    engine: &Engine,
    caller: &Caller,
    id: &str,
    change: &rampart_store::Triage<'_>,
) -> Result<Json<Value>, ApiError> {
    let (alert, history) = apply_triage(engine, caller, id, change).await?;
    Ok(Json(alert_json(&alert, Some(&history))))
}

/// Applies a triage change: the alert as it now stands, and its history.
async fn apply_triage(
    engine: &Engine,
    caller: &Caller,
    id: &str,
    change: &rampart_store::Triage<'_>,
) -> Result<(AlertRow, Vec<rampart_store::AuditEntry>), ApiError> {
    use rampart_store::TriageRefused;
    let not_found = || ApiError::NotFound(format!("no alert {id}"));
    let n: i64 = id.parse().map_err(|_| not_found())?;
    let alert = match engine
        .store()
        .triage_alert(n, change, &caller.actor())
        .await?
    {
        Ok(a) => a,
        Err(TriageRefused::NotFound) => return Err(not_found()),
        Err(TriageRefused::Conflict(m)) => return Err(ApiError::Conflict(m)),
        Err(TriageRefused::Invalid(m)) => return Err(ApiError::Unprocessable(m)),
    };
    let history = engine
        .store()
        .audit(Some(&format!("alert:{n}")), 1000)
        .await?;
    Ok((alert, history))
}

/// An alert as the API shows it: the finding's fields plus id, status and history.
fn alert_json(a: &AlertRow, history: Option<&[rampart_store::AuditEntry]>) -> Value {
    let f = &a.finding;
    let mut v = json!({
        "id": a.id,
        "status": a.status,
        "verdict": a.verdict,
        "assignee": a.assignee,
        "kind": f.kind.as_str(),
        "severity": f.severity.as_str(),
        "score": f.score,
        "tenant": f.tenant.as_str(),
        "user": f.user,
        "time": f.time.to_string(),
        "title": f.title,
        "event_ids": f.event_ids,
        "evidence": f.evidence,
        "created_at": a.created_at.to_string(),
        "updated_at": a.updated_at.to_string(),
        "revision": a.revision,
        "retro_hunt": rampart_engine::is_retro(f),
    });
    if let Some(h) = history {
        v["history"] = h
            .iter()
            .map(|e| {
                json!({
                    "at": e.at.to_string(),
                    "actor": e.actor,
                    "action": e.action,
                    "detail": e.detail,
                })
            })
            .collect();
    }
    v
}

#[derive(Debug, Default, Deserialize)]
struct DeadLetterQuery {
    tenant: Option<String>,
    status: Option<String>,
    limit: Option<String>,
}

async fn list_dead_letters(
    State(engine): State<Engine>,
    caller: Caller,
    Query(q): Query<DeadLetterQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = parse_limit(q.limit.as_deref())?;
    caller.may_read()?;
    let out = engine
        .store()
        .list_dead_letters(&DeadLetterFilter {
            tenant: q.tenant,
            status: q.status,
            limit,
        })
        .await?;
    Ok(Json(json!({ "dead_letters": out })))
}

async fn retry_dead_letter(
    State(engine): State<Engine>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.may_read()?;
    let not_found = || ApiError::NotFound(format!("no dead letter {id}"));
    let n: i64 = id.parse().map_err(|_| not_found())?;
    let letter = engine.store().dead_letter(n).await?.ok_or_else(not_found)?;
    let outcome = engine.retry_dead_letter(&letter).await?;
    let detail = serde_json::to_string(&outcome).unwrap_or_else(|_| "{}".to_owned());
    engine
        .store()
        .append_audit(&NewAudit {
            actor: &caller.actor(),
            action: "dead_letter.retried",
            tenant: Some(&letter.tenant),
            subject: Some(&format!("dead_letter:{n}")),
            detail: &detail,
        })
        .await?;
    let status = match &outcome {
        RetryOutcome::Accepted { .. } => "accepted",
        RetryOutcome::Rejected { .. } => "rejected",
    };
    let mut v = serde_json::to_value(&outcome).unwrap_or(Value::Null);
    v["id"] = json!(n);
    v["outcome"] = json!(status);
    Ok(Json(v))
}

async fn openapi(_caller: Caller) -> Json<Value> {
    Json(openapi_document())
}

/// The OpenAPI 3.1 description of the routes above (hand-written; a test checks that it
/// lists exactly the routes the router serves).
pub fn openapi_document() -> Value {
    let err = json!({"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    let secured = json!([{"bearer": []}]);
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Rampart", "version": env!("CARGO_PKG_VERSION")},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
                "IngestReport": {"type": "object", "required": ["batch", "accepted", "duplicates", "skipped", "rejected", "errors"], "properties": {
                    "batch": {"type": "integer"},
                    "accepted": {"type": "integer", "description": "sign-ins stored (durable), duplicates included"},
                    "duplicates": {"type": "integer"},
                    "skipped": {"type": "integer", "description": "records of a known format that are not sign-ins"},
                    "rejected": {"type": "integer"},
                    "errors": {"type": "array", "items": {"type": "object", "properties": {
                        "index": {"type": "integer", "description": "1-based record number; 0 for the whole body"},
                        "reason": {"type": "string"}, "dead_letter": {"type": "integer"}}}}
                }},
                "Alert": {"type": "object", "required": ["id", "status", "kind", "severity", "tenant", "user", "time", "title", "event_ids", "evidence"], "properties": {
                    "id": {"type": "integer"}, "status": {"type": "string", "description": "new, acknowledged, escalated, resolved (triage); withdrawn when its finding no longer stands (listed only with status=withdrawn)"}, "kind": {"type": "string"},
                    "verdict": {"type": ["string", "null"], "enum": ["true_positive", "false_positive", "benign", "duplicate", null]},
                    "assignee": {"type": ["string", "null"]},
                    "severity": {"type": "string", "enum": ["info", "low", "medium", "high", "critical"]},
                    "score": {"type": "integer"}, "tenant": {"type": "string"}, "user": {"type": "string"},
                    "time": {"type": "string", "format": "date-time"}, "title": {"type": "string"},
                    "event_ids": {"type": "array", "items": {"type": "string"}}, "evidence": {"type": "object"},
                    "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "revision": {"type": "integer"},
                    "retro_hunt": {"type": "boolean", "description": "raised by a retro-hunt of stored sign-ins (its evidence carries the reason retro_hunt)"},
                    "history": {"type": "array", "items": {"type": "object"}, "description": "only on GET /api/v1/alerts/{id}"}
                }},
                "IndicatorsAdded": {"type": "object", "required": ["received", "added", "updated", "rejected", "skipped", "errors", "retro_hunt"], "properties": {
                    "received": {"type": "integer", "description": "indicators read plus records rejected"},
                    "added": {"type": "integer", "description": "new in the store"},
                    "updated": {"type": "integer", "description": "merged into a stored indicator of the same value and provenance"},
                    "rejected": {"type": "integer"},
                    "skipped": {"type": "integer", "description": "records that hold nothing Rampart matches (e.g. MISP filename attributes)"},
                    "errors": {"type": "array", "items": {"type": "object", "properties": {
                        "location": {"type": "string", "description": "line N, object ID, or file"},
                        "line": {"type": "integer"}, "reason": {"type": "string"}}}},
                    "retro_hunt": {"type": ["object", "null"], "description": "the retro-hunt job started for the address indicators (null when there are none)", "properties": {
                        "id": {"type": "integer"}, "status": {"type": "string"}, "since": {"type": "string", "format": "date-time"},
                        "networks": {"type": "integer"}, "href": {"type": "string"}}}
                }},
                "RetroHunt": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
                    "actor": {"type": "string"}, "since": {"type": "string", "format": "date-time"},
                    "indicators": {"type": "integer"}, "networks": {"type": "integer"},
                    "progress": {"type": "object", "properties": {"ranges_total": {"type": "integer"}, "ranges_searched": {"type": "integer"}, "fraction": {"type": "number"}}},
                    "candidates": {"type": "integer", "description": "stored sign-ins inside the networks"},
                    "findings": {"type": "integer"},
                    "alerts": {"type": "object", "properties": {"raised": {"type": "integer"}, "already_there": {"type": "integer"}}},
                    "error": {"type": ["string", "null"]},
                    "created_at": {"type": "string"}, "started_at": {"type": ["string", "null"]}, "finished_at": {"type": ["string", "null"]}
                }},
                "DeadLetter": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "tenant": {"type": "string"}, "batch_seq": {"type": ["integer", "null"]},
                    "origin": {"type": "string"}, "index": {"type": "integer"}, "line": {"type": ["integer", "null"]},
                    "reason": {"type": "string"}, "raw": {"type": ["string", "null"]}, "retryable": {"type": "boolean"},
                    "status": {"type": "string", "enum": ["open", "resolved"]}, "attempts": {"type": "integer"}
                }}
            }
        },
        "paths": {
            "/healthz": {"get": {"summary": "liveness and store reachability", "responses": {"200": {"description": "ok"}, "503": {"description": "store unavailable"}}}},
            "/metrics": {"get": {"summary": "Prometheus metrics (msp-admin)", "security": secured, "responses": {"200": {"description": "text exposition", "content": {"text/plain": {}}}, "401": err, "403": err}}},
            "/api/v1/openapi.json": {"get": {"summary": "this document", "security": secured, "responses": {"200": {"description": "OpenAPI"}, "401": err}}},
            "/api/v1/tenants/{tenant}/ingest": {"post": {
                "summary": "ingest a batch (JSON, NDJSON, API pages, CSV; optionally gzip) into a tenant",
                "security": secured,
                "parameters": [{"name": "tenant", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/json": {}, "application/x-ndjson": {}, "application/gzip": {}}},
                "responses": {
                    "202": {"description": "stored (durable) and queued for detection", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestReport"}}}},
                    "401": err, "403": err, "404": err,
                    "429": {"description": "the engine is behind; retry after the Retry-After header", "headers": {"Retry-After": {"schema": {"type": "integer"}}}}
                }}},
            "/api/v1/alerts": {"get": {
                "summary": "alerts, newest first (msp-admin)",
                "security": secured,
                "parameters": [
                    {"name": "tenant", "in": "query", "schema": {"type": "string"}},
                    {"name": "status", "in": "query", "schema": {"type": "string"}},
                    {"name": "severity", "in": "query", "schema": {"type": "string"}},
                    {"name": "kind", "in": "query", "schema": {"type": "string"}},
                    {"name": "since", "in": "query", "schema": {"type": "string", "format": "date-time"}, "description": "event time at or after"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}
                ],
                "responses": {"200": {"description": "alerts", "content": {"application/json": {"schema": {"type": "object", "properties": {"alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}}}}}}}, "400": err, "401": err, "403": err}}},
            "/api/v1/alerts/{id}": {"get": {
                "summary": "one alert with its evidence and history (msp-admin)",
                "security": secured,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "the alert", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Alert"}}}}, "401": err, "403": err, "404": err}}},
            "/api/v1/alerts/{id}/transition": {"post": {
                "summary": "move an alert: new → acknowledged → escalated → resolved (skipping allowed; resolving needs a verdict); a resolved or escalated alert back to acknowledged (reopening a resolved one needs a reason) (msp-admin)",
                "security": secured,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["to"], "properties": {
                    "to": {"type": "string", "enum": ["acknowledged", "escalated", "resolved"]},
                    "verdict": {"type": "string", "enum": ["true_positive", "false_positive", "benign", "duplicate"]},
                    "reason": {"type": "string"}}}}}},
                "responses": {"200": {"description": "the alert as it now stands, with its history", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Alert"}}}}, "400": err, "401": err, "403": err, "404": err, "409": err, "422": err}}},
            "/api/v1/alerts/{id}/assign": {"post": {
                "summary": "assign an alert to an analyst, or to nobody with null (msp-admin)",
                "security": secured,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "properties": {"assignee": {"type": ["string", "null"]}}}}}},
                "responses": {"200": {"description": "the alert", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Alert"}}}}, "400": err, "401": err, "403": err, "404": err}}},
            "/api/v1/alerts/{id}/notes": {"post": {
                "summary": "add a note to an alert's history (notes are never changed or removed) (msp-admin)",
                "security": secured,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}}}},
                "responses": {"200": {"description": "the alert", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Alert"}}}}, "400": err, "401": err, "403": err, "404": err, "422": err}}},
            "/api/v1/dead-letters": {"get": {
                "summary": "records that could not be accepted, newest first (msp-admin)",
                "security": secured,
                "parameters": [
                    {"name": "tenant", "in": "query", "schema": {"type": "string"}},
                    {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "resolved"]}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000}}
                ],
                "responses": {"200": {"description": "dead letters", "content": {"application/json": {"schema": {"type": "object", "properties": {"dead_letters": {"type": "array", "items": {"$ref": "#/components/schemas/DeadLetter"}}}}}}}, "401": err, "403": err}}},
            "/api/v1/indicators": {
                "post": {
                    "summary": "add indicators to the store, then retro-hunt the stored sign-ins for them (msp-admin)",
                    "security": secured,
                    "parameters": [
                        {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "list", "stix", "misp"]}, "description": "default: detected from the body"},
                        {"name": "source", "in": "query", "schema": {"type": "string", "default": "api"}, "description": "the feed name recorded as provenance"},
                        {"name": "tlp", "in": "query", "schema": {"type": "string", "default": "amber"}, "description": "TLP for values the body gives none"},
                        {"name": "tenant", "in": "query", "schema": {"type": "string"}, "description": "with alert: the indicators come from this tenant's confirmed alert (amber+strict and red then match this tenant only)"},
                        {"name": "alert", "in": "query", "schema": {"type": "string"}},
                        {"name": "since", "in": "query", "schema": {"type": "string"}, "description": "retro-hunt window: 30d, 12h, 90m or an RFC 3339 time (default: [retro_hunt] window_days, 30)"}
                    ],
                    "requestBody": {"required": true, "content": {"application/json": {}, "text/csv": {}, "text/plain": {}}},
                    "responses": {
                        "202": {"description": "stored; a retro-hunt job was started (Location: the job)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IndicatorsAdded"}}}},
                        "200": {"description": "stored; no address indicator, so no retro-hunt", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IndicatorsAdded"}}}},
                        "400": err, "401": err, "403": err, "404": err,
                        "422": {"description": "nothing could be imported; errors say why", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IndicatorsAdded"}}}}
                    }},
                "get": {
                    "summary": "stored indicators in insertion order, paged (msp-admin)",
                    "security": secured,
                    "parameters": [
                        {"name": "kind", "in": "query", "schema": {"type": "string"}},
                        {"name": "verdict", "in": "query", "schema": {"type": "string"}},
                        {"name": "tag", "in": "query", "schema": {"type": "string"}},
                        {"name": "after", "in": "query", "schema": {"type": "integer"}, "description": "next_after of the previous page"},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}
                    ],
                    "responses": {"200": {"description": "{indicators: [...], next_after: id or null}"}, "400": err, "401": err, "403": err}}},
            "/api/v1/retro-hunts/{id}": {"get": {
                "summary": "a retro-hunt job: status, progress, alerts raised (msp-admin)",
                "security": secured,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "the job", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RetroHunt"}}}}, "401": err, "403": err, "404": err}}},
            "/api/v1/dead-letters/{id}/retry": {"post": {
                "summary": "decode a dead letter again (e.g. after a configuration change) (msp-admin)",
                "security": secured,
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {"200": {"description": "outcome: accepted (with the batch) or rejected (with the reason)"}, "401": err, "403": err, "404": err, "429": err}}}
        }
    })
}

/// Waits until `engine` has run detection over every committed batch (tests).
#[cfg(test)]
async fn settle(engine: &Engine) {
    assert!(
        engine
            .wait_idle(std::time::Duration::from_secs(60))
            .await
            .unwrap()
    );
}

#[cfg(test)]
mod indicator_tests;
mod indicators;
#[cfg(test)]
mod live_tests;
#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;
