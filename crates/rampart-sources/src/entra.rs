//! Microsoft Entra ID sign-ins: Graph `signIn` (v1.0 and beta) and the `SignInLogs`
//! diagnostic export (Azure Monitor, Event Hub, storage), whose `properties` hold the
//! beta `signIn` shape.

use rampart_model::{NetworkHints, SignIn, SourceFormat};

use crate::norm::{self, Decision, num, owned, reject, skip, text};
use crate::outcome;
use crate::wire::Rec;

/// A Graph `signIn` at the top of the record.
pub(crate) fn graph(rec: &Rec<'_>) -> Decision {
    if text(&rec.created_date_time).is_none() {
        return reject(
            "not an Entra Graph sign-in: no `createdDateTime` (a Graph `signIn` has `id`, `createdDateTime`, `userPrincipalName`, `status`)",
        );
    }
    if let Some(kind) = rec.sign_in_event_types.as_ref().and_then(|l| {
        l.0.iter().map(|t| t.as_str()).find(|t| {
            t.eq_ignore_ascii_case("servicePrincipal") || t.eq_ignore_ascii_case("managedIdentity")
        })
    }) {
        return skip(format!("a {kind} sign-in, not a user's"));
    }
    decode(
        rec,
        None,
        rec.is_interactive.and_then(|f| f.0),
        SourceFormat::EntraGraph,
    )
}

/// A `SignInLogs`-family diagnostic record: envelope plus `properties`.
pub(crate) fn signin_logs(env: &Rec<'_>) -> Decision {
    let Some(props) = env.properties.as_deref() else {
        return reject(
            "not an Entra SignInLogs record: no `properties` object (a diagnostic record has `time`, `category`, `resultType`, `properties`)",
        );
    };
    let category = text(&env.category);
    let field_interactive = props.is_interactive.and_then(|f| f.0);
    let interactive = match category {
        None | Some("ADFSSignInLogs") => field_interactive,
        Some(c) if c.eq_ignore_ascii_case("SignInLogs") => Some(true),
        Some(c) if c.eq_ignore_ascii_case("NonInteractiveUserSignInLogs") => Some(false),
        Some(c) if c.contains("ServicePrincipal") || c.contains("ManagedIdentity") => {
            return skip(format!(
                "category `{c}` holds service-principal or managed-identity sign-ins, not users'"
            ));
        }
        Some(c) => return skip(format!("category `{c}` is not a user sign-in log")),
    };
    decode(props, Some(env), interactive, SourceFormat::EntraSigninLogs)
}

/// The common body: `sig` is the `signIn` object, `env` the diagnostic envelope if any.
fn decode(
    sig: &Rec<'_>,
    env: Option<&Rec<'_>>,
    interactive: Option<bool>,
    format: SourceFormat,
) -> Decision {
    let time = match (
        text(&sig.created_date_time),
        env.and_then(|e| text(&e.time)),
    ) {
        (Some(t), _) => norm::time("createdDateTime", t)?,
        (None, Some(t)) => norm::time("time", t)?,
        (None, None) => return reject("no `createdDateTime` (the sign-in time)"),
    };
    let Some(record_id) = sig
        .id
        .as_ref()
        .and_then(|id| id.text())
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return reject("no `id` (the sign-in's record id)");
    };
    let Some(user) = text(&sig.user_principal_name)
        .or_else(|| text(&sig.sign_in_identifier))
        .or_else(|| text(&sig.user_id))
    else {
        return reject(
            "no user: `userPrincipalName`, `signInIdentifier` and `userId` are all absent",
        );
    };

    let status = sig.status.as_ref().and_then(|s| s.obj());
    let code = status
        .and_then(|s| text(&s.error_code))
        .or_else(|| env.and_then(|e| text(&e.result_type)));
    let steps = sig
        .authentication_details
        .as_ref()
        .map(|l| l.0.as_slice())
        .unwrap_or(&[]);
    let outcome = outcome::entra(code, steps);
    let result_detail = status
        .and_then(|s| text(&s.failure_reason).or_else(|| text(&s.additional_details)))
        .or_else(|| env.and_then(|e| text(&e.result_description)))
        .map(str::to_owned);

    let ip = text(&sig.ip_address).and_then(norm::ip).or_else(|| {
        env.and_then(|e| text(&e.caller_ip_address))
            .and_then(norm::ip)
    });
    let location = sig.location.as_ref().and_then(|l| l.obj()).and_then(|l| {
        let geo = l.geo_coordinates.as_ref();
        norm::record_location(
            geo.and_then(|g| num(&g.latitude)),
            geo.and_then(|g| num(&g.longitude)),
            text(&l.city),
            text(&l.state),
            text(&l.country_or_region),
        )
    });
    let provider_trusted = sig.network_location_details.as_ref().is_some_and(|l| {
        l.0.iter().any(|d| {
            text(&d.network_type).is_some_and(|t| t.eq_ignore_ascii_case("trustedNamedLocation"))
        })
    });
    let provider_tenant = env
        .and_then(|e| text(&e.tenant_id))
        .or_else(|| text(&sig.tenant_id))
        .or_else(|| text(&sig.resource_tenant_id))
        .map(str::to_owned);
    let device = sig.device_detail.as_ref();

    Ok(Box::new(SignIn {
        tenant: None,
        provider_tenant,
        user: norm::user(user),
        time,
        ip,
        location,
        asn: norm::asn(num(&sig.autonomous_system_number)),
        network: NetworkHints {
            provider_trusted,
            proxy: None,
            isp: None,
        },
        app: owned(&sig.app_display_name).or_else(|| owned(&sig.app_id)),
        client_app: owned(&sig.client_app_used),
        user_agent: owned(&sig.user_agent),
        os: device.and_then(|d| owned(&d.operating_system)),
        device_id: device.and_then(|d| owned(&d.device_id)),
        interactive,
        session_id: owned(&sig.session_id),
        correlation_id: owned(&sig.correlation_id)
            .or_else(|| env.and_then(|e| owned(&e.correlation_id))),
        outcome,
        result_code: code.map(str::to_owned),
        result_detail,
        source_format: format,
        record_id: record_id.to_owned(),
    }))
}
