//! Okta System Log `LogEvent`s as `/api/v1/logs` returns them.

use serde::Serialize;

use crate::World;
use crate::ids;
use crate::model::*;
use crate::net::{NetKind, Role};
use crate::time::rfc3339_millis;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEvent<'a> {
    pub actor: Actor<'a>,
    pub authentication_context: AuthenticationContext,
    pub client: ClientInfo<'a>,
    pub debug_context: DebugContext,
    pub display_message: &'static str,
    pub event_type: &'static str,
    pub legacy_event_type: &'static str,
    pub outcome: OktaOutcome,
    pub published: String,
    pub request: Request<'a>,
    pub security_context: SecurityContext,
    pub severity: &'static str,
    pub target: Option<Vec<Target>>,
    pub transaction: Transaction,
    pub uuid: &'a str,
    pub version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Actor<'a> {
    pub alternate_id: &'a str,
    pub detail_entry: Option<()>,
    pub display_name: &'a str,
    pub id: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationContext {
    pub authentication_provider: Option<&'static str>,
    pub authentication_step: u32,
    pub credential_provider: Option<&'static str>,
    pub credential_type: Option<&'static str>,
    pub external_session_id: String,
    pub interface: Option<&'static str>,
    pub issuer: Option<()>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo<'a> {
    pub device: &'static str,
    pub geographical_context: GeoContext<'a>,
    pub id: Option<()>,
    pub ip_address: String,
    pub user_agent: UserAgent,
    pub zone: &'static str,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct GeoContext<'a> {
    pub city: &'a str,
    pub country: &'a str,
    pub geolocation: GeoLocation,
    pub postal_code: &'a str,
    pub state: &'a str,
}

#[derive(Serialize, Clone)]
pub struct GeoLocation {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAgent {
    pub browser: &'static str,
    pub os: &'static str,
    pub raw_user_agent: &'static str,
}

#[derive(Serialize)]
pub struct DebugContext {
    #[serde(rename = "debugData")]
    pub debug_data: DebugData,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DebugData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_fingerprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factor: Option<&'static str>,
    pub request_id: String,
    pub request_uri: &'static str,
    pub threat_suspected: &'static str,
    pub url: &'static str,
}

#[derive(Serialize)]
pub struct OktaOutcome {
    pub reason: Option<&'static str>,
    pub result: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request<'a> {
    pub ip_chain: Vec<IpChainEntry<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IpChainEntry<'a> {
    pub geographical_context: GeoContext<'a>,
    pub ip: String,
    pub source: Option<()>,
    pub version: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    pub as_number: u32,
    pub as_org: String,
    pub domain: &'static str,
    pub is_proxy: bool,
    pub isp: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub alternate_id: String,
    pub detail_entry: Option<()>,
    pub display_name: String,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Serialize)]
pub struct Transaction {
    pub detail: Detail,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

#[derive(Serialize)]
pub struct Detail {}

/// The Okta event of a sign-in record.
pub fn event<'a>(world: &'a World, s: &'a SignIn) -> LogEvent<'a> {
    let mut rng = fastrand::Rng::with_seed(ids::mix(world.seed ^ 0x0c7a, s.key));
    let mut session_rng = fastrand::Rng::with_seed(ids::mix(world.seed ^ 0x5e55, s.session));
    let session_id = ids::okta_id(&mut session_rng, "102", 22);
    let tenant = &world.tenants[s.tenant];
    let user = &tenant.users[s.user];
    let net = &world.networks[s.net];
    let geo = GeoContext {
        city: net.city.name,
        country: net.city.country_name,
        geolocation: GeoLocation {
            lat: net.lat,
            lon: net.lon,
        },
        postal_code: net.city.postal,
        state: net.city.region,
    };
    let ok = s.outcome == Outcome::Success;
    let (event_type, legacy, message, uri) = match s.channel {
        Channel::Interactive => (
            "user.session.start",
            if ok {
                "core.user_auth.login_success"
            } else {
                "core.user_auth.login_failed"
            },
            "User login to Okta",
            "/api/v1/authn",
        ),
        Channel::OktaMfa => (
            "user.authentication.auth_via_mfa",
            if ok {
                "core.user.factor.attempt_success"
            } else {
                "core.user.factor.attempt_fail"
            },
            "Authentication of user via MFA",
            "/api/v1/authn/factors/opf1a2b3c4d5e6f7g8h9/verify",
        ),
        Channel::NonInteractive => (
            "user.authentication.sso",
            "app.auth.sso",
            "User single sign on to app",
            "/app/office365/sso/wsfed/passive",
        ),
    };
    let reason = match (s.channel, s.outcome) {
        (_, Outcome::Success) => None,
        (Channel::Interactive, Outcome::BadPassword) => Some("INVALID_CREDENTIALS"),
        (Channel::OktaMfa, _) => Some("INVALID_CREDENTIALS"),
        (_, Outcome::CaBlocked) => Some("Sign-on policy denied"),
        _ => Some("VERIFICATION_ERROR"),
    };
    let target = match s.channel {
        Channel::NonInteractive => Some(vec![Target {
            alternate_id: s.okta_app.to_owned(),
            detail_entry: None,
            display_name: s.okta_app.to_owned(),
            id: ids::okta_id(
                &mut fastrand::Rng::with_seed(ids::mix(s.tenant as u64, ids::fnv(s.okta_app))),
                "0oa",
                17,
            ),
            kind: "AppInstance",
        }]),
        Channel::OktaMfa => Some(vec![Target {
            alternate_id: "unknown".to_owned(),
            detail_entry: None,
            display_name: "Okta Verify".to_owned(),
            id: ids::okta_id(&mut rng, "pfd", 17),
            kind: "AuthenticatorEnrollment",
        }]),
        Channel::Interactive => None,
    };
    let request_id = ids::okta_request_id(&mut rng);
    LogEvent {
        actor: Actor {
            alternate_id: &user.upn,
            detail_entry: None,
            display_name: &user.display_name,
            id: &user.okta_id,
            kind: "User",
        },
        authentication_context: AuthenticationContext {
            authentication_provider: (s.channel == Channel::OktaMfa).then_some("FACTOR_PROVIDER"),
            authentication_step: 0,
            credential_provider: (s.channel == Channel::OktaMfa)
                .then_some("OKTA_CREDENTIAL_PROVIDER"),
            credential_type: match s.channel {
                Channel::Interactive => Some("PASSWORD"),
                Channel::OktaMfa => Some("OTP"),
                Channel::NonInteractive => None,
            },
            external_session_id: if s.channel == Channel::Interactive && !ok {
                "unknown".to_owned()
            } else {
                session_id
            },
            interface: None,
            issuer: None,
        },
        client: ClientInfo {
            device: if s.client.mobile {
                "Mobile"
            } else if s.client.okta_os == "Unknown" {
                "Unknown"
            } else {
                "Computer"
            },
            geographical_context: geo.clone(),
            id: None,
            ip_address: net.ip.to_string(),
            user_agent: UserAgent {
                browser: s.client.okta_browser,
                os: s.client.okta_os,
                raw_user_agent: s.client.ua,
            },
            zone: if net.role == Role::DeclaredVpn {
                "Corporate VPN"
            } else {
                "null"
            },
        },
        debug_context: DebugContext {
            debug_data: DebugData {
                device_fingerprint: (s.channel == Channel::Interactive).then(|| {
                    let mut fp = fastrand::Rng::with_seed(ids::mix(
                        world.seed,
                        (s.device.unwrap_or(9) as u64) << 32 ^ s.session,
                    ));
                    (0..32)
                        .map(|_| char::from(b"0123456789abcdef"[fp.usize(0..16)]))
                        .collect()
                }),
                factor: (s.channel == Channel::OktaMfa).then_some("OKTA_VERIFY_PUSH"),
                request_id: request_id.clone(),
                request_uri: uri,
                threat_suspected: "false",
                url: uri,
            },
        },
        display_message: message,
        event_type,
        legacy_event_type: legacy,
        outcome: OktaOutcome {
            reason,
            result: if ok { "SUCCESS" } else { "FAILURE" },
        },
        published: rfc3339_millis(s.time_ms),
        request: Request {
            ip_chain: vec![IpChainEntry {
                geographical_context: geo,
                ip: net.ip.to_string(),
                source: None,
                version: if net.ip.is_ipv4() { "V4" } else { "V6" },
            }],
        },
        security_context: SecurityContext {
            as_number: net.provider.asn,
            as_org: net.provider.as_org.to_lowercase(),
            domain: net.provider.domain,
            is_proxy: net.provider.kind == NetKind::Vpn && net.role == Role::UndeclaredVpn,
            isp: net.provider.isp.to_lowercase(),
        },
        severity: if ok { "INFO" } else { "WARN" },
        target,
        transaction: Transaction {
            detail: Detail {},
            id: request_id,
            kind: "WEB",
        },
        uuid: &s.id,
        version: "0",
    }
}
