//! Microsoft Entra sign-ins: Graph `signIn` (v1.0 and beta) and the Azure Monitor
//! `SignInLogs` diagnostic record, with the field names, types and order of real exports.

use serde::Serialize;

use crate::World;
use crate::ids;
use crate::model::*;
use crate::net::Role;
use crate::time::{rfc3339_secs, rfc3339_ticks};

/// Which spelling of the `signIn` resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    V1,
    Beta,
    /// The `properties` of an Azure Monitor record (beta shape, `+00:00` times, PascalCase step sequence).
    AzureMonitor,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GraphSignIn<'a> {
    pub id: &'a str,
    pub created_date_time: String,
    pub user_display_name: &'a str,
    pub user_principal_name: &'a str,
    pub user_id: &'a str,
    pub app_id: &'a str,
    pub app_display_name: &'a str,
    pub ip_address: String,
    pub client_app_used: &'a str,
    pub user_agent: &'a str,
    pub correlation_id: String,
    pub conditional_access_status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_protocol: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incoming_token_type: Option<&'static str>,
    pub is_interactive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_issuer_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_issuer_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_time_in_milliseconds: Option<u32>,
    pub risk_detail: &'static str,
    pub risk_level_aggregated: &'static str,
    pub risk_level_during_sign_in: &'static str,
    pub risk_state: &'static str,
    pub risk_event_types: [&'static str; 0],
    #[serde(rename = "riskEventTypes_v2")]
    pub risk_event_types_v2: [&'static str; 0],
    pub resource_display_name: &'a str,
    pub resource_id: &'a str,
    pub resource_tenant_id: &'a str,
    pub home_tenant_id: &'a str,
    #[serde(flatten)]
    pub beta: Option<BetaFields<'a>>,
    pub status: Status,
    pub device_detail: DeviceDetail<'a>,
    pub location: Location<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_detail: Option<MfaDetail>,
    pub applied_conditional_access_policies: Vec<CaPolicy>,
    #[serde(flatten)]
    pub beta_tail: Option<BetaTail>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BetaFields<'a> {
    pub home_tenant_name: &'static str,
    pub authentication_methods_used: Vec<&'static str>,
    pub authentication_requirement: &'static str,
    pub unique_token_identifier: String,
    pub sign_in_identifier: &'a str,
    pub sign_in_event_types: [&'static str; 1],
    pub service_principal_id: &'static str,
    pub user_type: &'static str,
    pub flagged_for_review: bool,
    pub is_tenant_restricted: bool,
    pub autonomous_system_number: u32,
    pub cross_tenant_access_type: &'static str,
    pub session_id: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BetaTail {
    pub authentication_processing_details: Vec<KeyValue>,
    pub network_location_details: Vec<NetworkLocation>,
    pub authentication_details: Vec<AuthDetail>,
    pub authentication_requirement_policies: Vec<RequirementPolicy>,
    pub session_lifetime_policies: [u8; 0],
}

#[derive(Serialize)]
pub struct KeyValue {
    pub key: &'static str,
    pub value: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkLocation {
    pub network_type: &'static str,
    pub network_names: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequirementPolicy {
    pub requirement_provider: &'static str,
    pub detail: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthDetail {
    pub authentication_step_date_time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_method: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_method_detail: Option<&'static str>,
    pub succeeded: bool,
    pub authentication_step_result_detail: &'static str,
    pub authentication_step_requirement: &'static str,
    #[serde(rename = "StatusSequence", skip_serializing_if = "Option::is_none")]
    pub status_sequence: Option<u32>,
    #[serde(rename = "RequestSequence", skip_serializing_if = "Option::is_none")]
    pub request_sequence: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    pub error_code: u32,
    pub failure_reason: Option<&'static str>,
    pub additional_details: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceDetail<'a> {
    pub device_id: &'a str,
    pub display_name: &'a str,
    pub operating_system: &'static str,
    pub browser: &'static str,
    pub is_compliant: bool,
    pub is_managed: bool,
    pub trust_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location<'a> {
    pub city: &'a str,
    pub state: &'a str,
    pub country_or_region: &'a str,
    pub geo_coordinates: GeoCoordinates,
}

#[derive(Serialize)]
pub struct GeoCoordinates {
    pub altitude: Option<f64>,
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MfaDetail {
    pub auth_method: &'static str,
    pub auth_detail: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaPolicy {
    pub id: String,
    pub display_name: &'static str,
    pub enforced_grant_controls: Vec<&'static str>,
    pub enforced_session_controls: [&'static str; 0],
    pub result: &'static str,
}

/// `status.failureReason` and `additionalDetails` of each code.
pub fn status_text(o: Outcome) -> (Option<&'static str>, Option<&'static str>) {
    match o {
        Outcome::Success => (None, None),
        Outcome::BadPassword => (
            Some("Error validating credentials due to invalid username or password."),
            Some(
                "The user didn't enter the right credentials. \u{a0}It's expected to see some number of these errors in your logs due to users making mistakes.",
            ),
        ),
        Outcome::MfaInterrupt => (
            Some("Strong Authentication is required."),
            Some(
                "The user is being interrupted by an interactive authentication requirement. Check the Conditional Access policies and per-user MFA settings.",
            ),
        ),
        Outcome::MfaRequired => (
            Some(
                "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.",
            ),
            Some("MFA required in Azure AD"),
        ),
        Outcome::CaBlocked => (
            Some(
                "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
            ),
            Some(
                "Your administrator has configured a Conditional Access policy that blocked this sign-in.",
            ),
        ),
        Outcome::MfaDenied => (
            Some("Authentication failed during strong authentication request."),
            Some("MFA denied; user declined the authentication"),
        ),
        Outcome::KmsiInterrupt => (
            Some(
                "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
            ),
            None,
        ),
    }
}

const POLICIES: [&str; 3] = [
    "Require MFA for all users",
    "Block legacy authentication",
    "Block sign-ins from outside allowed countries",
];

fn ca_policies(tenant: &Tenant, s: &SignIn) -> (Vec<CaPolicy>, &'static str) {
    let mut rng = fastrand::Rng::with_seed(ids::fnv(&tenant.tenant_id));
    let ids: Vec<String> = (0..3).map(|_| ids::guid(&mut rng)).collect();
    let first_factor_ok = s.outcome.password_proven();
    let results: [&'static str; 3] = match s.outcome {
        _ if !first_factor_ok => ["notApplied", "notApplied", "notApplied"],
        Outcome::CaBlocked => ["notApplied", "notApplied", "failure"],
        Outcome::Success => ["success", "notApplied", "notApplied"],
        Outcome::MfaInterrupt | Outcome::MfaRequired | Outcome::MfaDenied => {
            ["failure", "notApplied", "notApplied"]
        }
        _ => ["notApplied", "notApplied", "notApplied"],
    };
    let status = if results.contains(&"failure") {
        "failure"
    } else if results.contains(&"success") {
        "success"
    } else {
        "notApplied"
    };
    let controls: [Vec<&'static str>; 3] = [vec!["Mfa"], vec!["Block"], vec!["Block"]];
    let policies = ids
        .into_iter()
        .zip(POLICIES)
        .zip(results)
        .zip(controls)
        .map(|(((id, name), result), c)| CaPolicy {
            id,
            display_name: name,
            enforced_grant_controls: if result == "notApplied" {
                Vec::new()
            } else {
                c
            },
            enforced_session_controls: [],
            result,
        })
        .collect();
    (policies, status)
}

fn auth_details(s: &SignIn, when: &str, azmon: bool) -> Vec<AuthDetail> {
    let seq = |i: u32| if azmon { Some(i) } else { None };
    let step = |method: Option<&'static str>,
                detail: Option<&'static str>,
                ok: bool,
                result: &'static str,
                req: &'static str,
                i: u32| AuthDetail {
        authentication_step_date_time: when.to_owned(),
        authentication_method: method,
        authentication_method_detail: detail,
        succeeded: ok,
        authentication_step_result_detail: result,
        authentication_step_requirement: req,
        status_sequence: seq(0),
        request_sequence: seq(i),
    };
    let password_ok = step(
        Some("Password"),
        Some("Password in the cloud"),
        true,
        "Correct password",
        "Primary authentication",
        1,
    );
    match (s.channel, s.outcome) {
        (Channel::NonInteractive, _) => vec![
            step(
                Some("Previously satisfied"),
                None,
                true,
                "First factor requirement satisfied by claim in the token",
                "Primary authentication",
                1,
            ),
            step(
                Some("Previously satisfied"),
                None,
                true,
                "MFA requirement satisfied by claim in the token",
                "Primary authentication",
                0,
            ),
        ],
        (_, Outcome::BadPassword) => vec![step(
            Some("Password"),
            Some("Password in the cloud"),
            false,
            "Invalid username or password or Invalid on-premise username or password.",
            "Primary authentication",
            1,
        )],
        (_, Outcome::MfaInterrupt | Outcome::MfaRequired) => vec![
            password_ok,
            step(
                None,
                None,
                false,
                "MFA required in Azure AD",
                "Primary authentication",
                0,
            ),
        ],
        (_, Outcome::MfaDenied) => vec![
            password_ok,
            step(
                Some("Mobile app notification"),
                None,
                false,
                "MFA denied; user declined the authentication",
                "Secondary authentication",
                0,
            ),
        ],
        (_, Outcome::CaBlocked | Outcome::KmsiInterrupt) => vec![password_ok],
        (_, Outcome::Success) if s.mfa => vec![
            password_ok,
            step(
                Some("Mobile app notification"),
                None,
                true,
                "MFA successfully completed",
                "Secondary authentication",
                0,
            ),
        ],
        (_, Outcome::Success) => vec![
            password_ok,
            step(
                Some("Previously satisfied"),
                None,
                true,
                "MFA requirement satisfied by claim in the token",
                "Secondary authentication",
                0,
            ),
        ],
    }
}

/// Random-looking but fixed values of one record.
pub struct Extras {
    pub correlation_id: String,
    pub original_request_id: String,
    pub token: String,
    pub session_id: String,
    pub processing_ms: u32,
    pub tick: u32,
    pub ingest_delay_ms: i64,
}

pub fn extras(world: &World, s: &SignIn) -> Extras {
    let mut rng = fastrand::Rng::with_seed(ids::mix(world.seed ^ 0x5167_1e5a, s.key));
    let mut flow = fastrand::Rng::with_seed(ids::mix(world.seed, s.flow));
    let mut session = fastrand::Rng::with_seed(ids::mix(world.seed, s.session));
    Extras {
        correlation_id: ids::guid(&mut flow),
        original_request_id: ids::guid(&mut rng),
        token: ids::token_id(&mut rng),
        session_id: ids::guid(&mut session),
        processing_ms: rng.u32(40..900),
        tick: rng.u32(0..10_000),
        ingest_delay_ms: rng.i64(90_000..900_000),
    }
}

/// One record in the requested flavour.
pub fn signin<'a>(world: &'a World, s: &'a SignIn, flavor: Flavor, x: &Extras) -> GraphSignIn<'a> {
    let tenant = &world.tenants[s.tenant];
    let user = &tenant.users[s.user];
    let net = &world.networks[s.net];
    let device = s.device.map(|d| &user.devices[d]);
    let beta = flavor != Flavor::V1;
    let azmon = flavor == Flavor::AzureMonitor;
    let created = if azmon {
        rfc3339_ticks(s.time_ms, x.tick, "+00:00")
    } else {
        rfc3339_secs(s.time_ms)
    };
    let (failure_reason, additional_details) = status_text(s.outcome);
    let (policies, ca_status) = ca_policies(tenant, s);
    let interactive = s.channel != Channel::NonInteractive;
    let ropc = !s.client.ua.starts_with("Mozilla")
        && !s.client.ua.starts_with("Microsoft")
        && !s.client.ua.starts_with("Outlook")
        && s.device.is_none();
    let mfa_done = s.mfa && s.outcome == Outcome::Success && interactive;
    GraphSignIn {
        id: &s.id,
        created_date_time: created.clone(),
        user_display_name: &user.display_name,
        user_principal_name: &user.upn,
        user_id: &user.id,
        app_id: s.app.id,
        app_display_name: s.app.name,
        ip_address: net.ip.to_string(),
        client_app_used: s.client.client_app,
        user_agent: s.client.ua,
        correlation_id: x.correlation_id.clone(),
        conditional_access_status: ca_status,
        original_request_id: beta.then(|| x.original_request_id.clone()),
        authentication_protocol: beta.then_some(if ropc { "ropc" } else { "none" }),
        incoming_token_type: beta.then_some(if interactive {
            "none"
        } else if device.is_some_and(|d| d.managed) {
            "primaryRefreshToken"
        } else {
            "refreshToken"
        }),
        is_interactive: interactive,
        token_issuer_name: beta.then_some(""),
        token_issuer_type: beta.then_some("AzureAD"),
        processing_time_in_milliseconds: beta.then_some(x.processing_ms),
        risk_detail: "none",
        risk_level_aggregated: "none",
        risk_level_during_sign_in: "none",
        risk_state: "none",
        risk_event_types: [],
        risk_event_types_v2: [],
        resource_display_name: s.app.resource_name,
        resource_id: s.app.resource_id,
        resource_tenant_id: &tenant.tenant_id,
        home_tenant_id: &tenant.tenant_id,
        beta: beta.then(|| BetaFields {
            home_tenant_name: "",
            authentication_methods_used: if mfa_done {
                vec!["Password", "Mobile app notification"]
            } else if s.outcome.password_proven() && interactive {
                vec!["Password"]
            } else {
                Vec::new()
            },
            authentication_requirement: if s.mfa || !interactive {
                "multiFactorAuthentication"
            } else {
                "singleFactorAuthentication"
            },
            unique_token_identifier: x.token.clone(),
            sign_in_identifier: &user.upn,
            sign_in_event_types: [if interactive {
                "interactiveUser"
            } else {
                "nonInteractiveUser"
            }],
            service_principal_id: "",
            user_type: "member",
            flagged_for_review: false,
            is_tenant_restricted: false,
            autonomous_system_number: net.provider.asn,
            cross_tenant_access_type: "none",
            session_id: x.session_id.clone(),
        }),
        status: Status {
            error_code: s.outcome.entra_code(),
            failure_reason,
            additional_details,
        },
        device_detail: DeviceDetail {
            device_id: device.map_or("", |d| {
                if d.trust_type.is_empty() {
                    ""
                } else {
                    d.device_id.as_str()
                }
            }),
            display_name: device.map_or("", |d| d.display_name.as_str()),
            operating_system: s.client.entra_os,
            browser: s.client.entra_browser,
            is_compliant: device.is_some_and(|d| d.compliant),
            is_managed: device.is_some_and(|d| d.managed),
            trust_type: device.map_or("", |d| d.trust_type),
        },
        location: Location {
            city: net.city.name,
            state: net.city.region,
            country_or_region: net.city.country,
            geo_coordinates: GeoCoordinates {
                altitude: None,
                latitude: net.lat,
                longitude: net.lon,
            },
        },
        mfa_detail: (beta && mfa_done).then_some(MfaDetail {
            auth_method: "Mobile app notification",
            auth_detail: None,
        }),
        applied_conditional_access_policies: policies,
        beta_tail: beta.then(|| BetaTail {
            authentication_processing_details: vec![
                KeyValue {
                    key: "Legacy TLS (TLS 1.0, 1.1, 3DES)",
                    value: "False",
                },
                KeyValue {
                    key: "Is CAE Token",
                    value: "False",
                },
            ],
            network_location_details: if net.role == Role::DeclaredVpn {
                vec![NetworkLocation {
                    network_type: "trustedNamedLocation",
                    network_names: vec![format!("{} VPN", tenant.name)],
                }]
            } else {
                Vec::new()
            },
            authentication_details: auth_details(s, &created, azmon),
            authentication_requirement_policies: if s.mfa {
                vec![RequirementPolicy {
                    requirement_provider: "multiConditionalAccess",
                    detail: "Conditional Access",
                }]
            } else {
                Vec::new()
            },
            session_lifetime_policies: [],
        }),
    }
}

/// The Azure Monitor diagnostic record around a sign-in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AzureMonitorRecord<'a> {
    pub time: String,
    pub resource_id: String,
    pub operation_name: &'static str,
    pub operation_version: &'static str,
    pub category: &'static str,
    pub tenant_id: &'a str,
    pub result_type: String,
    pub result_signature: &'static str,
    pub result_description: &'static str,
    pub duration_ms: u32,
    pub caller_ip_address: String,
    pub correlation_id: String,
    pub identity: &'a str,
    #[serde(rename = "Level")]
    pub level: u32,
    pub location: &'a str,
    pub properties: GraphSignIn<'a>,
}

pub fn azure_monitor<'a>(world: &'a World, s: &'a SignIn) -> AzureMonitorRecord<'a> {
    let x = extras(world, s);
    let tenant = &world.tenants[s.tenant];
    let net = &world.networks[s.net];
    let props = signin(world, s, Flavor::AzureMonitor, &x);
    AzureMonitorRecord {
        time: rfc3339_ticks(s.time_ms + x.ingest_delay_ms, x.tick / 3, "Z"),
        resource_id: format!("/tenants/{}/providers/Microsoft.aadiam", tenant.tenant_id),
        operation_name: "Sign-in activity",
        operation_version: "1.0",
        category: if s.channel == Channel::NonInteractive {
            "NonInteractiveUserSignInLogs"
        } else {
            "SignInLogs"
        },
        tenant_id: &tenant.tenant_id,
        result_type: s.outcome.entra_code().to_string(),
        result_signature: "None",
        result_description: status_text(s.outcome).0.unwrap_or(""),
        duration_ms: 0,
        caller_ip_address: net.ip.to_string(),
        correlation_id: x.correlation_id.clone(),
        identity: &tenant.users[s.user].display_name,
        level: 4,
        location: net.city.country,
        properties: props,
    }
}
