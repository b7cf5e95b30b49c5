//! Okta System Log `LogEvent`s. Sign-ins are `user.session.start`, every
//! `user.authentication.*` event and the Okta Verify push denial; other event types are
//! skipped.

use rampart_model::{NetworkHints, SignIn, SourceFormat};

use crate::norm::{self, Decision, flag, num, owned, reject, skip, text, text_not_null};
use crate::outcome::{self, contains_ignore_case};
use crate::wire::{OktaGeo, Rec};

/// Event types that are sign-in attempts.
pub(crate) fn is_signin(event_type: &str) -> bool {
    event_type == "user.session.start"
        || event_type.starts_with("user.authentication.")
        || event_type == "user.mfa.okta_verify.deny_push"
}

pub(crate) fn decode(rec: &Rec<'_>) -> Decision {
    let Some(event_type) = text(&rec.event_type) else {
        return reject(
            "not an Okta System Log event: no `eventType` (an Okta event has `uuid`, `published`, `eventType`, `actor`)",
        );
    };
    if !is_signin(event_type) {
        return skip(format!("event type `{event_type}` is not a sign-in"));
    }
    let actor = rec.actor.as_ref();
    if let Some(kind) = actor.and_then(|a| text(&a.actor_type))
        && !kind.eq_ignore_ascii_case("User")
    {
        return skip(format!("`{event_type}` by a {kind}, not a user"));
    }
    let Some(published) = text(&rec.published) else {
        return reject("no `published` (the event time)");
    };
    let time = norm::time("published", published)?;
    let Some(record_id) = text(&rec.uuid) else {
        return reject("no `uuid` (the event id)");
    };
    let Some(user) = actor.and_then(|a| text(&a.alternate_id)) else {
        return reject("no `actor.alternateId` (the user's login)");
    };

    let client = rec.client.as_ref();
    let first_hop = rec
        .request
        .as_ref()
        .and_then(|r| r.ip_chain.as_ref())
        .and_then(|c| c.0.first());
    // `client.ipAddress` may be the string "null": fall back to the first hop of the chain.
    let client_ip = client
        .and_then(|c| text_not_null(&c.ip_address))
        .and_then(norm::ip);
    let (ip, geo) = match client_ip {
        Some(ip) => (
            Some(ip),
            client.and_then(|c| c.geographical_context.as_ref()),
        ),
        None => (
            first_hop
                .and_then(|h| text_not_null(&h.ip))
                .and_then(norm::ip),
            first_hop.and_then(|h| h.geographical_context.as_ref()),
        ),
    };
    let location = geo.and_then(location);

    let outcome_obj = rec.outcome.as_ref();
    let result = outcome_obj.and_then(|o| text(&o.result));
    let reason = outcome_obj.and_then(|o| text_not_null(&o.reason));
    let factor = rec
        .debug_context
        .as_ref()
        .and_then(|d| d.debug_data.as_ref())
        .and_then(|d| text(&d.factor));
    let outcome = outcome::okta(event_type, result, reason, factor);

    let security = rec.security_context.as_ref();
    let auth = rec.authentication_context.as_ref();
    let user_agent = client.and_then(|c| c.user_agent.as_ref());
    let app = rec.target.as_ref().and_then(|t| {
        t.0.iter()
            .find(|t| text(&t.target_type) == Some("AppInstance"))
            .and_then(|t| owned(&t.display_name).or_else(|| owned(&t.alternate_id)))
    });

    Ok(Box::new(SignIn {
        tenant: None,
        provider_tenant: None,
        user: norm::user(user),
        time,
        ip,
        location,
        asn: security.and_then(|s| norm::asn(num(&s.as_number))),
        network: NetworkHints {
            // The request matched one of the org's network zones (a blocklist zone
            // is no sign of trust).
            provider_trusted: client
                .and_then(|c| text_not_null(&c.zone))
                .is_some_and(|z| !contains_ignore_case(z, "block")),
            proxy: security.and_then(|s| flag(&s.is_proxy)),
            isp: security.and_then(|s| {
                text_not_null(&s.isp)
                    .or_else(|| text_not_null(&s.as_org))
                    .map(str::to_owned)
            }),
        },
        app,
        client_app: auth
            .and_then(|a| text_not_null(&a.interface))
            .map(str::to_owned),
        user_agent: user_agent.and_then(|u| owned(&u.raw_user_agent)),
        os: user_agent.and_then(|u| owned(&u.os)),
        device_id: rec.device.as_ref().and_then(|d| owned(&d.id)),
        interactive: None,
        session_id: auth.and_then(|a| {
            text_not_null(&a.external_session_id)
                .or_else(|| text_not_null(&a.root_session_id))
                .map(str::to_owned)
        }),
        correlation_id: rec.transaction.as_ref().and_then(|t| owned(&t.id)),
        outcome,
        result_code: reason.or(result).map(str::to_owned),
        result_detail: owned(&rec.display_message),
        source_format: SourceFormat::Okta,
        record_id: record_id.to_owned(),
    }))
}

/// Okta's geography. The country is a full name ("United States"), kept as given: the geo
/// stage maps names to ISO codes.
fn location(g: &OktaGeo<'_>) -> Option<rampart_model::Location> {
    let ll = g.geolocation.as_ref();
    norm::record_location(
        ll.and_then(|l| num(&l.lat)),
        ll.and_then(|l| num(&l.lon)),
        text_not_null(&g.city),
        text_not_null(&g.state),
        text_not_null(&g.country),
    )
}
