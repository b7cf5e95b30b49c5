//! Google Workspace Admin SDK Reports API, `login` application.
//!
//! Accepts the API shape (`events: [...]`), the collector-flattened shape
//! (`events: {...}`, Elastic) and the singular `event` (Splunk). One activity may hold
//! several events: each sign-in event becomes its own sign-in (the second and later ones
//! get `#2`, `#3`, … appended to the record id).

use rampart_model::{NetworkHints, SignIn, SourceFormat};

use crate::norm::{self, Decision, NotSignIn, owned, text};
use crate::outcome;
use crate::wire::{GoogleEvent, GoogleParameter, Rec};

/// The `login` events that are sign-in attempts.
fn is_signin(name: &str) -> bool {
    matches!(
        name,
        "login_success" | "login_failure" | "login_challenge" | "login_verification"
    )
}

pub(crate) fn decode(rec: &Rec<'_>, emit: &mut dyn FnMut(Decision)) {
    match activity(rec) {
        Ok(events) => {
            for d in events {
                emit(d);
            }
        }
        Err(e) => emit(Err(e)),
    }
}

fn activity(rec: &Rec<'_>) -> Result<Vec<Decision>, NotSignIn> {
    let Some(id) = rec.id.as_ref().and_then(|id| id.obj()) else {
        return norm::reject(
            "not a Google Workspace activity: no `id` object (an activity has `id.time`, `id.uniqueQualifier`, `actor`, `events`)",
        );
    };
    if let Some(app) = text(&id.application_name)
        && app != "login"
    {
        return norm::skip(format!("application `{app}` is not `login`"));
    }
    let events: Vec<&GoogleEvent<'_>> = match (&rec.events, &rec.event) {
        (Some(list), _) if !list.0.is_empty() => list.0.iter().collect(),
        (_, Some(one)) => vec![one],
        _ => return norm::reject("no `events` (the activity's login events)"),
    };
    let Some(time) = text(&id.time) else {
        return norm::reject("no `id.time` (the event time)");
    };
    let time = norm::time("id.time", time)?;
    let Some(record_id) = text(&id.unique_qualifier) else {
        return norm::reject("no `id.uniqueQualifier` (the activity id)");
    };
    let actor = rec.actor.as_ref();
    let Some(user) = actor.and_then(|a| text(&a.email).or_else(|| text(&a.profile_id))) else {
        return norm::reject("no `actor.email` (the user)");
    };

    let signins: Vec<&GoogleEvent<'_>> = events
        .iter()
        .copied()
        .filter(|e| text(&e.name).is_some_and(is_signin))
        .collect();
    if signins.is_empty() {
        let names: Vec<&str> = events
            .iter()
            .map(|e| text(&e.name).unwrap_or("(unnamed)"))
            .collect();
        return norm::skip(format!("event `{}` is not a sign-in", names.join("`, `")));
    }

    let ip = text(&rec.ip_address).and_then(norm::ip);
    let mut out = Vec::with_capacity(signins.len());
    for (n, event) in signins.into_iter().enumerate() {
        let name = text(&event.name).unwrap_or_default();
        let params = event
            .parameters
            .as_ref()
            .map(|p| p.0.as_slice())
            .unwrap_or(&[]);
        let failure_type = param_text(params, "login_failure_type");
        let status = param_text(params, "login_challenge_status");
        let methods = param_values(params, "login_challenge_method");
        let password_only = !methods.is_empty() && methods.iter().all(|m| *m == "password");
        let outcome = outcome::google(name, failure_type, status, password_only);
        out.push(Ok(Box::new(SignIn {
            tenant: None,
            provider_tenant: owned(&id.customer_id),
            user: norm::user(user),
            time,
            ip,
            location: None,
            asn: None,
            network: NetworkHints::default(),
            app: None,
            client_app: param_text(params, "login_type").map(str::to_owned),
            user_agent: None,
            os: None,
            device_id: None,
            interactive: None,
            session_id: None,
            correlation_id: None,
            outcome,
            result_code: Some(name.to_owned()),
            result_detail: failure_type.or(status).map(str::to_owned),
            source_format: SourceFormat::GoogleWorkspace,
            record_id: if n == 0 {
                record_id.to_owned()
            } else {
                format!("{record_id}#{}", n + 1)
            },
        })));
    }
    Ok(out)
}

fn param<'p, 'a>(params: &'p [GoogleParameter<'a>], name: &str) -> Option<&'p GoogleParameter<'a>> {
    params.iter().find(|p| text(&p.name) == Some(name))
}

fn param_text<'p>(params: &'p [GoogleParameter<'_>], name: &str) -> Option<&'p str> {
    let p = param(params, name)?;
    text(&p.value).or_else(|| {
        p.multi_value
            .as_ref()
            .and_then(|m| m.0.first())
            .map(|t| t.as_str())
    })
}

fn param_values<'p>(params: &'p [GoogleParameter<'_>], name: &str) -> Vec<&'p str> {
    let Some(p) = param(params, name) else {
        return Vec::new();
    };
    match (&p.value, &p.multi_value) {
        (_, Some(m)) if !m.0.is_empty() => m.0.iter().map(|t| t.as_str()).collect(),
        (Some(v), _) => vec![v.as_str()],
        _ => Vec::new(),
    }
}
