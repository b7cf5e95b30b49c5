//! What a generated world holds: partners, their users, every sign-in with its ground
//! truth, the attacks, the trips and the campaign's indicator list.

use std::fmt;

use serde::Serialize;

use crate::clients::{App, Client};
use crate::geo::City;

/// The export format a partner's identity provider is read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExportFormat {
    /// Microsoft Graph beta `auditLogs/signIns` pages (interactive and non-interactive).
    GraphBeta,
    /// Microsoft Graph v1.0 `auditLogs/signIns` pages (interactive sign-ins only).
    GraphV1,
    /// Entra `SignInLogs` / `NonInteractiveUserSignInLogs` diagnostic export, one record a line.
    SignInLogs,
    /// Okta System Log events, one JSON object a line.
    OktaNdjson,
    /// Okta System Log events as the `/api/v1/logs` JSON array.
    OktaJsonArray,
}

impl ExportFormat {
    pub fn is_okta(self) -> bool {
        matches!(self, ExportFormat::OktaNdjson | ExportFormat::OktaJsonArray)
    }

    /// Whether the format carries non-interactive sign-ins (token refreshes).
    pub fn has_non_interactive(self) -> bool {
        !matches!(self, ExportFormat::GraphV1)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::GraphBeta => "entra_graph_beta",
            ExportFormat::GraphV1 => "entra_graph_v1",
            ExportFormat::SignInLogs => "entra_signinlogs",
            ExportFormat::OktaNdjson => "okta_ndjson",
            ExportFormat::OktaJsonArray => "okta_json_array",
        }
    }
}

/// A device a user signs in from.
#[derive(Debug)]
pub struct Device {
    pub client: &'static Client,
    /// Entra device object id, empty for unregistered devices.
    pub device_id: String,
    pub display_name: String,
    pub managed: bool,
    pub compliant: bool,
    /// `Azure AD joined`, `Azure AD registered` or empty.
    pub trust_type: &'static str,
}

/// A partner's user.
#[derive(Debug)]
pub struct User {
    pub upn: String,
    pub display_name: String,
    /// Entra object id.
    pub id: String,
    /// Okta user id (`00u…`).
    pub okta_id: String,
    /// Where the user lives.
    pub home: &'static City,
    /// Where the user's office is (the partner's office, or none for remote staff).
    pub office: Option<&'static City>,
    pub home_net: usize,
    pub home_v6: Option<usize>,
    pub mobile_net: usize,
    /// laptop browser, desktop rich client, phone browser, phone mail app
    pub devices: Vec<Device>,
    /// Office days, Monday first.
    pub office_days: [bool; 7],
    /// Usual start and end of the working day, local minutes.
    pub start_min: i64,
    pub end_min: i64,
    /// A VPN the user connects through now and then (network index).
    pub vpn: Option<usize>,
    /// Short notes on what is special about the user (for the README and labels).
    pub notes: Vec<String>,
}

pub const LAPTOP: usize = 0;
pub const DESKTOP: usize = 1;
pub const PHONE_BROWSER: usize = 2;
pub const PHONE_APP: usize = 3;

/// A partner (tenant).
#[derive(Debug)]
pub struct Tenant {
    pub slug: String,
    pub name: String,
    pub domain: String,
    pub format: ExportFormat,
    /// Entra tenant id (also used as the Okta org's id seed).
    pub tenant_id: String,
    pub okta_org: String,
    pub office: &'static City,
    pub office_net: usize,
    /// Networks declared in `rampart.toml` as carrying no usable location.
    pub trusted_networks: Vec<ipnet::IpNet>,
    pub users: Vec<User>,
}

/// The provider's verdict on a sign-in attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    /// 50126: wrong password.
    BadPassword,
    /// 50074: strong authentication required (after a correct password).
    MfaInterrupt,
    /// 50076: MFA required because of a location/config change (after a correct password).
    MfaRequired,
    /// 53003: blocked by Conditional Access (after the first factor).
    CaBlocked,
    /// 500121: MFA denied or failed.
    MfaDenied,
    /// 50140: "Keep me signed in" interrupt.
    KmsiInterrupt,
}

impl Outcome {
    pub fn entra_code(self) -> u32 {
        match self {
            Outcome::Success => 0,
            Outcome::BadPassword => 50126,
            Outcome::MfaInterrupt => 50074,
            Outcome::MfaRequired => 50076,
            Outcome::CaBlocked => 53003,
            Outcome::MfaDenied => 500121,
            Outcome::KmsiInterrupt => 50140,
        }
    }

    /// Whether the attempt proves the password was right.
    pub fn password_proven(self) -> bool {
        !matches!(self, Outcome::BadPassword)
    }
}

/// How the sign-in happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    /// A user typing or approving: Entra interactive; Okta `user.session.start`.
    Interactive,
    /// A silent token refresh: Entra non-interactive; Okta `user.authentication.sso`.
    NonInteractive,
    /// Okta `user.authentication.auth_via_mfa` (Entra writes the MFA step inside the sign-in).
    OktaMfa,
}

/// A benign pattern that is a known source of false positives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trap {
    /// Home and office 50–150 km apart; the records where the user switched sides.
    Commuter,
    /// The records on arrival and during a business trip by air.
    BusinessFlight,
    /// Sign-ins through a corporate VPN listed in `trusted_networks`.
    DeclaredVpn,
    /// Sign-ins through a VPN egress shared by many of the tenant's users, not declared.
    UndeclaredVpn,
    /// Phone sign-ins over a carrier whose address geolocates hundreds of km away.
    MobileCarrier,
    /// IPv6 sign-ins from a dual-stack home whose v6 geolocates elsewhere than its v4.
    DualStack,
    /// A legitimate trip to a country the user never signed in from.
    NewCountryTravel,
    /// The vacationer, really in Arizona.
    Vacation,
    /// A mistyped password (50126 / INVALID_CREDENTIALS) followed by a success.
    TypoFailure,
    /// The user's own MFA prompt (50074 / a missed push) before a success.
    MfaInterrupt,
    /// The "Keep me signed in" interrupt (50140) before a success.
    KmsiInterrupt,
}

impl Trap {
    pub const ALL: [Trap; 11] = [
        Trap::Commuter,
        Trap::BusinessFlight,
        Trap::DeclaredVpn,
        Trap::UndeclaredVpn,
        Trap::MobileCarrier,
        Trap::DualStack,
        Trap::NewCountryTravel,
        Trap::Vacation,
        Trap::TypoFailure,
        Trap::MfaInterrupt,
        Trap::KmsiInterrupt,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Trap::Commuter => "commuter",
            Trap::BusinessFlight => "business_flight",
            Trap::DeclaredVpn => "declared_vpn",
            Trap::UndeclaredVpn => "undeclared_vpn",
            Trap::MobileCarrier => "mobile_carrier",
            Trap::DualStack => "dual_stack",
            Trap::NewCountryTravel => "new_country_travel",
            Trap::Vacation => "vacation",
            Trap::TypoFailure => "typo_failure",
            Trap::MfaInterrupt => "mfa_interrupt",
            Trap::KmsiInterrupt => "kmsi_interrupt",
        }
    }
}

/// The kinds of attack a world stages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackKind {
    /// Adversary-in-the-middle session or credential replay from far-away hosting, minutes
    /// after the real user's sign-in.
    AitmTakeover,
    /// The same, but the provider logged a failure after the password was proven right
    /// (50074, 50076, 53003, 500121; Okta MFA failure).
    AitmCredentialValidFailure,
    /// An attacker sign-in between two of the user's normal sign-ins (A→B→A).
    Sandwich,
    /// Attacker hosting in the user's own country a few hundred km away, after a gap that
    /// travel could explain.
    SameCountryNearby,
    /// An attacker address already seen at another partner, against a user who really is
    /// near where that address geolocates (the vacationer case).
    CrossTenantIpReuse,
    /// A sign-in from the campaign's infrastructure that travel alone would not reveal.
    CampaignIndicator,
    /// Bad-password spraying from attacker infrastructure.
    PasswordSpray,
    /// A stolen refresh token replayed silently (non-interactive) from hosting.
    TokenReplay,
}

impl fmt::Display for AttackKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            AttackKind::AitmTakeover => "aitm_takeover",
            AttackKind::AitmCredentialValidFailure => "aitm_credential_valid_failure",
            AttackKind::Sandwich => "sandwich",
            AttackKind::SameCountryNearby => "same_country_nearby",
            AttackKind::CrossTenantIpReuse => "cross_tenant_ip_reuse",
            AttackKind::CampaignIndicator => "campaign_indicator",
            AttackKind::PasswordSpray => "password_spray",
            AttackKind::TokenReplay => "token_replay",
        };
        f.write_str(s)
    }
}

/// Rampart finding kinds (the names `rampart-model` gives them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    ImpossibleTravel,
    UnfamiliarLocation,
    IndicatorMatch,
    CrossTenantIp,
}

/// Ground truth of one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Truth {
    Normal,
    Trap(Trap),
    /// Index into [`crate::World::attacks`].
    Attack(usize),
}

/// One staged attack; it owns one or more records.
#[derive(Debug)]
pub struct Attack {
    /// `A01`, `A02`, …
    pub id: String,
    pub kind: AttackKind,
    pub tenant: usize,
    pub user: usize,
    pub description: String,
    /// Filled in when the world is finished (see `World::finish`).
    pub expected: Vec<FindingKind>,
}

/// A trip by air; the records around it must be physically plausible.
#[derive(Debug)]
pub struct Trip {
    pub tenant: usize,
    pub user: usize,
    pub from: &'static City,
    pub to: &'static City,
    pub depart_ms: i64,
    pub arrive_ms: i64,
    pub trap: Trap,
    /// Record keys of the last sign-in before boarding and the first after landing.
    pub last_before: u64,
    pub first_after: u64,
}

/// One sign-in record, before it is spelled in a vendor format.
#[derive(Debug)]
pub struct SignIn {
    /// Stable key while the world is built.
    pub key: u64,
    /// The provider's record id (GUID for Entra, UUID for Okta), set when finished.
    pub id: String,
    pub tenant: usize,
    pub user: usize,
    pub time_ms: i64,
    /// Index into [`crate::World::networks`].
    pub net: usize,
    pub client: &'static Client,
    /// Index into the user's devices, none for someone else's machine.
    pub device: Option<usize>,
    pub app: &'static App,
    pub okta_app: &'static str,
    pub outcome: Outcome,
    pub channel: Channel,
    /// Whether MFA was completed (or demanded) in this sign-in.
    pub mfa: bool,
    /// Records of one flow share it (an interrupt and the success after it).
    pub flow: u64,
    /// Login session the record belongs to.
    pub session: u64,
    pub truth: Truth,
}

/// One line of the campaign's indicator list.
#[derive(Debug, Clone, Serialize)]
pub struct CampaignEntry {
    /// `ipv4`, `ipv6`, `cidr`, `domain`, `url` or `email`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// As written in the list (possibly defanged, e.g. `45.155.205[.]12`).
    pub value: String,
    pub description: String,
}
