//! Indicator routes: `POST /api/v1/indicators` (import into the store, matched by live
//! detection from its next round, then a retro-hunt job over what is already stored),
//! `GET /api/v1/indicators` (paged) and `GET /api/v1/retro-hunts/{id}`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use rampart_engine::{Engine, retro_networks};
use rampart_intel::{Format, ImportOptions, ObservableKind, Provenance, Tlp, Verdict};
use rampart_store::{IndicatorFilter, IndicatorRepo, NewAudit, RetroHuntRow};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, AppState, Caller, parse_limit, parse_tenant};

/// The query of `POST /api/v1/indicators`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AddQuery {
    /// csv, list, stix or misp (default: detected from the body).
    format: Option<String>,
    /// The feed name recorded as provenance (default `api`).
    source: Option<String>,
    /// TLP for values the body gives none (default amber).
    tlp: Option<String>,
    /// With `alert`: the indicators come from this tenant's confirmed alert.
    tenant: Option<String>,
    alert: Option<String>,
    /// The retro-hunt window: `30d`, `12h`, `90m` or an RFC 3339 time (default: the
    /// configured window, 30 days).
    since: Option<String>,
}

fn parse_format(s: &str) -> Result<Format, ApiError> {
    match s.to_ascii_lowercase().as_str() {
        "csv" => Ok(Format::Csv),
        "list" | "text" | "plain" => Ok(Format::List),
        "stix" => Ok(Format::Stix),
        "misp" | "json" => Ok(Format::Misp),
        _ => Err(ApiError::BadRequest(format!(
            "format {s:?}: one of csv, list, stix, misp (or leave it out to detect)"
        ))),
    }
}

pub(super) async fn add(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AddQuery>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    caller.may_manage_intel()?;
    let engine = &state.engine;
    let now = Timestamp::now();
    let format = q.format.as_deref().map(parse_format).transpose()?;
    let tlp = match q.tlp.as_deref() {
        None => Tlp::Amber,
        Some(t) => Tlp::from_name(t).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "tlp {t:?}: one of clear, green, amber, amber+strict, red"
            ))
        })?,
    };
    let since = match q.since.as_deref() {
        Some(s) => crate::retro::parse_since_named(s, now, "since")
            .map_err(|e| ApiError::BadRequest(format!("{e:#}")))?,
        None => now
            .checked_sub(state.retro_window)
            .unwrap_or(Timestamp::UNIX_EPOCH),
    };
    let origin_tenant = match (q.tenant.as_deref(), q.alert.as_deref()) {
        (None, None) => None,
        (Some(t), Some(alert)) if !alert.trim().is_empty() => {
            let tenant = parse_tenant(t)?;
            if !engine.tenants().contains(&tenant) {
                return Err(ApiError::NotFound(format!("unknown tenant {t}")));
            }
            Some((tenant, alert.trim().to_owned()))
        }
        _ => {
            return Err(ApiError::BadRequest(
                "tenant and alert go together: indicators from a tenant come from one of its confirmed alerts".to_owned(),
            ));
        }
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the body is empty: send indicators (JSON list or MISP event, STIX 2.1 bundle, CSV, or one value a line)".to_owned(),
        ));
    }
    let source = q
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("api")
        .to_owned();
    // Parsing a large bundle is CPU work: off the async threads.
    let report = {
        let source = source.clone();
        tokio::task::spawn_blocking(move || {
            let mut opts = ImportOptions::new(now);
            opts.tlp = tlp;
            opts.source = Some(source.clone());
            rampart_intel::import(&body, &source, format, &opts)
        })
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the import task failed: {e}")))?
    };
    let mut indicators = report.indicators;
    if let Some((tenant, alert)) = &origin_tenant {
        for i in &mut indicators {
            i.provenance = Provenance::Alert {
                tenant: tenant.clone(),
                alert_id: alert.clone(),
            };
        }
    }
    let errors: Vec<Value> = report
        .issues
        .iter()
        .map(|i| {
            let mut e = json!({"location": i.location.to_string(), "reason": i.reason});
            if let Some(line) = i.line() {
                e["line"] = json!(line);
            }
            e
        })
        .collect();
    let mut answer = json!({
        "received": indicators.len() + report.issues.len(),
        "added": 0,
        "updated": 0,
        "rejected": report.issues.len(),
        "skipped": report.skipped,
        "errors": errors,
        "retro_hunt": Value::Null,
    });
    if indicators.is_empty() {
        // Nothing usable: a client error, with the reasons.
        let status = if report.issues.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        return Ok((status, Json(answer)).into_response());
    }
    let stored = engine.store().upsert_many(&indicators).await?;
    // Detection matches them from its next round on (the set is swapped, not reloaded).
    engine.refresh_indicators().await?;
    answer["added"] = json!(stored.inserted);
    answer["updated"] = json!(stored.merged);
    let networks = retro_networks(&indicators);
    let job = if networks.is_empty() {
        None
    } else {
        let id = engine
            .queue_retro_hunt(&caller.actor(), &networks, indicators.len() as u64, since)
            .await?;
        Some(id)
    };
    let detail = json!({
        "source": source,
        "tenant": origin_tenant.as_ref().map(|(t, _)| t.as_str()),
        "added": stored.inserted,
        "updated": stored.merged,
        "rejected": report.issues.len(),
        "retro_hunt": job,
    })
    .to_string();
    engine
        .store()
        .append_audit(&NewAudit {
            actor: &caller.actor(),
            action: "indicators.added",
            tenant: origin_tenant.as_ref().map(|(t, _)| t.as_str()),
            subject: job.map(|id| format!("retro_hunt:{id}")).as_deref(),
            detail: &detail,
        })
        .await?;
    let Some(id) = job else {
        return Ok((StatusCode::OK, Json(answer)).into_response());
    };
    let href = format!("/api/v1/retro-hunts/{id}");
    answer["retro_hunt"] = json!({
        "id": id,
        "status": "queued",
        "since": since.to_string(),
        "networks": networks.len(),
        "href": href,
    });
    let mut r = (StatusCode::ACCEPTED, Json(answer)).into_response();
    if let Ok(v) = HeaderValue::from_str(&href) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// The query of `GET /api/v1/indicators`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct ListQuery {
    kind: Option<String>,
    verdict: Option<String>,
    tag: Option<String>,
    /// The last id of the previous page.
    after: Option<String>,
    limit: Option<String>,
}

pub(super) async fn list(
    State(engine): State<Engine>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    caller.may_manage_intel()?;
    let limit = parse_limit(q.limit.as_deref())?.unwrap_or(100);
    let kind = q
        .kind
        .as_deref()
        .map(|k| {
            ObservableKind::from_name(k)
                .ok_or_else(|| ApiError::BadRequest(format!("kind {k:?}: not an observable kind")))
        })
        .transpose()?;
    let verdict = q
        .verdict
        .as_deref()
        .map(|v| {
            Verdict::from_name(v).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "verdict {v:?}: one of malicious, suspicious, benign-allow"
                ))
            })
        })
        .transpose()?;
    let after = q
        .after
        .as_deref()
        .map(|a| {
            a.parse::<i64>()
                .map_err(|_| ApiError::BadRequest(format!("after {a:?}: give an indicator id")))
        })
        .transpose()?;
    let rows = engine
        .store()
        .list_with_ids(&IndicatorFilter {
            kind,
            tag: q.tag.clone(),
            verdict,
            limit: Some(limit),
            after,
        })
        .await?;
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|(id, _)| *id))
        .flatten();
    let indicators: Vec<Value> = rows
        .into_iter()
        .map(|(id, i)| {
            let mut v = serde_json::to_value(&i).unwrap_or(Value::Null);
            if let Value::Object(o) = &mut v {
                o.insert("id".to_owned(), json!(id));
            }
            v
        })
        .collect();
    Ok(Json(json!({
        "indicators": indicators,
        "next_after": next,
    })))
}

pub(super) async fn retro_hunt(
    State(engine): State<Engine>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.may_manage_intel()?;
    let not_found = || ApiError::NotFound(format!("no retro-hunt {id}"));
    let n: i64 = id.parse().map_err(|_| not_found())?;
    let job = engine.store().retro_hunt(n).await?.ok_or_else(not_found)?;
    Ok(Json(retro_json(&job)))
}

/// A retro-hunt job as the API shows it.
fn retro_json(j: &RetroHuntRow) -> Value {
    let fraction = if j.total == 0 {
        1.0
    } else {
        j.searched as f64 / j.total as f64
    };
    json!({
        "id": j.id,
        "status": j.status,
        "actor": j.actor,
        "since": j.since.to_string(),
        "indicators": j.indicators,
        "networks": j.networks.len(),
        "progress": {"ranges_total": j.total, "ranges_searched": j.searched, "fraction": fraction},
        "candidates": j.candidates,
        "findings": j.findings,
        "alerts": {"raised": j.alerts_raised, "already_there": j.alerts_existing},
        "error": j.error,
        "created_at": j.created_at.to_string(),
        "started_at": j.started_at.map(|t| t.to_string()),
        "finished_at": j.finished_at.map(|t| t.to_string()),
    })
}

/// Learn once, protect all: alert `alert` was just resolved as a true positive, so its
/// attacker's addresses become indicators ([`rampart_engine::learned_indicators`]: TLP
/// amber, provenance the alert), matched live from the next detection round and searched
/// for in the stored history of every tenant (a retro-hunt over the server's window before
/// the alert's event time, up to now).
/// Audited as `alert.learned`; answers what was learned.
pub(super) async fn learn_from(
    state: &AppState,
    caller: &Caller,
    alert: &rampart_store::AlertRow,
) -> Result<Value, ApiError> {
    let engine = &state.engine;
    let now = Timestamp::now();
    let indicators = rampart_engine::learned_indicators(alert.id, &alert.finding, now);
    let values: Vec<String> = indicators
        .iter()
        .map(|i| i.observable.to_string())
        .collect();
    if indicators.is_empty() {
        return Ok(json!({"indicators": values, "retro_hunt": Value::Null}));
    }
    let stored = engine.store().upsert_many(&indicators).await?;
    engine.refresh_indicators().await?;
    // The window reaches back from the attack, not from now: an alert may be triaged
    // days after it was raised, and what the attacker did before it matters most.
    let since = alert
        .finding
        .time
        .min(now)
        .checked_sub(state.retro_window)
        .unwrap_or(Timestamp::UNIX_EPOCH);
    let networks = retro_networks(&indicators);
    let job = engine
        .queue_retro_hunt(&caller.actor(), &networks, indicators.len() as u64, since)
        .await?;
    let learned = json!({
        "indicators": values,
        "added": stored.inserted,
        "updated": stored.merged,
        "retro_hunt": job,
    });
    engine
        .store()
        .append_audit(&NewAudit {
            actor: &caller.actor(),
            action: "alert.learned",
            tenant: Some(alert.finding.tenant.as_str()),
            subject: Some(&format!("alert:{}", alert.id)),
            detail: &learned.to_string(),
        })
        .await?;
    Ok(learned)
}
