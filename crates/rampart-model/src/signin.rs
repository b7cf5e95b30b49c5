use std::net::IpAddr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::TenantId;

/// The format a sign-in was decoded from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SourceFormat {
    /// Microsoft Graph `auditLogs/signIns` (v1.0 or beta) `signIn` resource.
    EntraGraph,
    /// Entra `SignInLogs` (and sibling categories) diagnostic export (Azure Monitor, Event Hub, storage).
    EntraSigninLogs,
    /// Office 365 Management Activity API, `Audit.AzureActiveDirectory` STS logon record
    /// (also when carried in the `AuditData` column of a Purview audit-search CSV).
    O365,
    /// Okta System Log `LogEvent`.
    Okta,
    /// Google Workspace Admin SDK Reports API, `login` application activity.
    GoogleWorkspace,
    /// OCSF Authentication (class 3002).
    Ocsf,
    /// SonicWall SonicOS syslog (`key=value`); only its administrator logins are sign-ins.
    SonicWall,
}

impl SourceFormat {
    pub const ALL: [SourceFormat; 7] = [
        SourceFormat::EntraGraph,
        SourceFormat::EntraSigninLogs,
        SourceFormat::O365,
        SourceFormat::Okta,
        SourceFormat::GoogleWorkspace,
        SourceFormat::Ocsf,
        SourceFormat::SonicWall,
    ];

    /// The name used on the command line and in output (`entra_graph`, `okta`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::EntraGraph => "entra_graph",
            SourceFormat::EntraSigninLogs => "entra_signinlogs",
            SourceFormat::O365 => "o365",
            SourceFormat::Okta => "okta",
            SourceFormat::GoogleWorkspace => "google_workspace",
            SourceFormat::Ocsf => "ocsf",
            SourceFormat::SonicWall => "sonicwall",
        }
    }

    pub fn from_name(name: &str) -> Option<SourceFormat> {
        SourceFormat::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

impl std::fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a sign-in attempt proved about the password.
///
/// The order matters to detection: "the attacker had the password" is what an
/// `impossible_travel` or `indicator_match` must not miss, even when the provider
/// logged the attempt as a failure (MFA required, Conditional Access block, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The sign-in succeeded.
    Success,
    /// The sign-in failed *after* the primary credential was proven right: MFA required,
    /// denied or interrupted, Conditional Access block, expired password, and the
    /// Okta/Google equivalents.
    CredentialValidFailure,
    /// The sign-in failed because the credential was wrong (or the account unknown).
    BadCredentials,
    /// Anything else: a failure that says nothing about the credential, or an unknown code.
    Other,
}

impl Outcome {
    /// True when the attempt proves whoever made it knew the password.
    pub fn password_proven(self) -> bool {
        matches!(self, Outcome::Success | Outcome::CredentialValidFailure)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::CredentialValidFailure => "credential_valid_failure",
            Outcome::BadCredentials => "bad_credentials",
            Outcome::Other => "other",
        }
    }
}

/// Where a location came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GeoSource {
    /// The identity provider put coordinates in the record.
    Record,
    /// Looked up in a MaxMind-format database (`--geoip`).
    GeoIp,
}

/// A place on Earth with its uncertainty.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2, upper case, where the record's country could be mapped to one;
    /// otherwise the record's own text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    pub source: GeoSource,
    /// Radius in km within which the true position lies with the source's stated
    /// confidence (MaxMind `accuracy_radius` is at 67 %). `None` when the source gives none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy_km: Option<f64>,
}

/// What the record says about the network the sign-in came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkHints {
    /// The provider itself marked the IP as one of the tenant's trusted/named locations
    /// (Entra `networkLocationDetails` `trustedNamedLocation`, Okta zone).
    #[serde(default, skip_serializing_if = "is_false")]
    pub provider_trusted: bool,
    /// The provider flagged the IP as a proxy / anonymizer (Okta `securityContext.isProxy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<bool>,
    /// Autonomous system organisation or ISP, as the record names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isp: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One sign-in attempt, normalized from any supported format.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignIn {
    /// The tenant (partner) it belongs to, once known: from the configuration's mapping of
    /// provider tenant ids, or from the `TENANT=` of the input path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantId>,
    /// The provider's own tenant/organisation id found in the record, if any
    /// (Entra `tenantId`/`resourceTenantId`, O365 `OrganizationId`, Google `customerId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_tenant: Option<String>,
    /// Lower-cased UPN, email or login.
    pub user: String,
    /// When the sign-in happened (event time, UTC).
    pub time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    #[serde(default)]
    pub network: NetworkHints,
    /// The application signed in to (display name, or id when no name is given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// Client application class (Entra `clientAppUsed`, O365 `RequestType`, Google `login_type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_app: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Operating system as the provider reports it (`Windows 10`, `Ios`, `Android`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interactive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    pub outcome: Outcome,
    /// The provider's result code (`50126`, `INVALID_CREDENTIALS`, `login_failure`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_code: Option<String>,
    /// The provider's result text, when it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_detail: Option<String>,
    pub source_format: SourceFormat,
    /// The provider's id of the record (Entra `id`, O365 `Id`, Okta `uuid`,
    /// Google `id.uniqueQualifier`, OCSF `metadata.uid`).
    pub record_id: String,
}
