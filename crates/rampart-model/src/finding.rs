use std::net::IpAddr;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::{GeoSource, Outcome, SourceFormat, TenantId};

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// Two sign-ins of one user that no traveller could have made.
    ImpossibleTravel,
    /// Feasible travel, but to a country the user has not been seen in.
    UnfamiliarLocation,
    /// A sign-in from an IP or network on an indicator list.
    IndicatorMatch,
    /// An IP that was the attacker's side of a takeover at one tenant, seen at another.
    CrossTenantIp,
    /// One IP trying wrong passwords against many accounts, here and at other tenants.
    PasswordSpray,
    /// A Sigma rule (or correlation rule) matched raw records.
    Sigma,
}

impl FindingKind {
    pub const ALL: [FindingKind; 6] = [
        FindingKind::ImpossibleTravel,
        FindingKind::UnfamiliarLocation,
        FindingKind::IndicatorMatch,
        FindingKind::CrossTenantIp,
        FindingKind::PasswordSpray,
        FindingKind::Sigma,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::ImpossibleTravel => "impossible_travel",
            FindingKind::UnfamiliarLocation => "unfamiliar_location",
            FindingKind::IndicatorMatch => "indicator_match",
            FindingKind::CrossTenantIp => "cross_tenant_ip",
            FindingKind::PasswordSpray => "password_spray",
            FindingKind::Sigma => "sigma",
        }
    }
}

impl std::fmt::Display for FindingKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How urgent a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn from_name(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// One step up, saturating at `Critical`.
    pub fn raised(self) -> Severity {
        match self {
            Severity::Info => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }

    /// One step down, saturating at `Info`.
    pub fn lowered(self) -> Severity {
        match self {
            Severity::Critical => Severity::High,
            Severity::High => Severity::Medium,
            Severity::Medium => Severity::Low,
            Severity::Low | Severity::Info => Severity::Info,
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which way a reason pushed the severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonEffect {
    Raised,
    Lowered,
    /// Context an analyst needs that did not move the severity.
    Noted,
}

/// One reason behind a finding's severity, in words an analyst can check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// A stable machine name (`young_baseline`, `credential_valid_far_side`, …).
    pub code: String,
    pub effect: ReasonEffect,
    pub text: String,
}

impl Reason {
    pub fn new(code: &str, effect: ReasonEffect, text: impl Into<String>) -> Reason {
        Reason {
            code: code.to_owned(),
            effect,
            text: text.into(),
        }
    }
}

/// One sign-in as it appears in evidence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SideEvidence {
    pub record_id: String,
    pub time: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// The radius (km) this side's position was taken to be uncertain by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertainty_km: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo_source: Option<GeoSource>,
    pub outcome: Outcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<u32>,
    pub source_format: SourceFormat,
}

/// Evidence of an `impossible_travel` finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TravelEvidence {
    /// The earlier sign-in.
    pub from: SideEvidence,
    /// The later sign-in.
    pub to: SideEvidence,
    /// Which side the finding is about (the one that does not fit the user): `from` or `to`.
    pub suspicious_side: String,
    /// Great-circle distance between the two positions.
    pub distance_km: f64,
    /// The distance once both uncertainty radii are subtracted: the least the user must have moved.
    pub min_distance_km: f64,
    pub minutes: f64,
    /// `min_distance_km` over the time between the sign-ins.
    pub required_speed_kmh: f64,
    /// The fastest plausible travel time for `min_distance_km`, in minutes.
    pub fastest_travel_minutes: f64,
    /// `fastest_travel_minutes / minutes`: above 1 the travel is impossible.
    pub infeasibility: f64,
    pub reasons: Vec<Reason>,
}

/// Evidence of an `unfamiliar_location` finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocationEvidence {
    pub signin: SideEvidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<SideEvidence>,
    /// Countries the user was seen in before, most frequent first.
    pub familiar_countries: Vec<String>,
    /// How many earlier sign-ins the user's baseline holds.
    pub baseline_signins: u32,
    pub baseline_days: f64,
    pub reasons: Vec<Reason>,
}

/// Evidence of an `indicator_match` finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndicatorEvidence {
    pub signin: SideEvidence,
    /// The indicator that matched.
    pub indicator: MatchedIndicator,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where the indicator came from: the feed or file (and line or object), or the report.
    pub indicator_source: String,
    pub reasons: Vec<Reason>,
}

/// An indicator as a finding's evidence shows it. The indicator model itself lives in
/// `rampart-intel`; this is its printable summary, in that crate's names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MatchedIndicator {
    /// The observable kind: `ipv4`, `ipv6`, `cidr`, `domain`, `url`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The canonical value (`45.155.205.12`, `185.220.101.0/24`, …).
    pub value: String,
    /// How the sign-in matched it: `exact`, `network /24`, `subdomain`, `host`.
    pub matched: String,
    /// `malicious` or `suspicious`.
    pub verdict: String,
    /// 0–100, as the source gave it.
    pub confidence: u8,
    /// The decayed score at the sign-in's time (0–100).
    pub score: f64,
    /// TLP 2.0: `clear`, `green`, `amber`, `amber+strict`, `red`.
    pub tlp: String,
    /// Campaign, actor, malware and free tags (`campaign:NAME`, `actor:NAME`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
}

/// Evidence of a `cross_tenant_ip` finding. The other tenant's name is kept here for
/// the MSP; the finding's title and reasons never name it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrossTenantEvidence {
    pub signin: SideEvidence,
    pub ip: IpAddr,
    /// The tenant where the IP was the attacker's side (MSP-only).
    pub origin_tenant: TenantId,
    pub origin_kind: FindingKind,
    pub origin_time: Timestamp,
    pub origin_record_id: String,
    /// Hours between the origin and this sign-in (negative when this one came first).
    pub hours_from_origin: f64,
    pub reasons: Vec<Reason>,
}

/// Evidence of a `password_spray` finding: the attempts at this tenant, and how wide
/// the spray was elsewhere (counts only: other tenants stay unnamed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SprayEvidence {
    pub ip: IpAddr,
    /// The failed attempts at this tenant, in time order.
    pub attempts: Vec<SideEvidence>,
    /// The accounts tried at this tenant.
    pub users_targeted: Vec<String>,
    /// Distinct accounts tried at this tenant.
    pub users_here: u32,
    /// Distinct accounts tried across all tenants.
    pub users_total: u32,
    /// Other tenants the same IP tried in the window (MSP-only detail: a count).
    pub other_tenants: u32,
    pub window_minutes: f64,
    pub reasons: Vec<Reason>,
}

/// The Sigma rule behind a `sigma` finding. The SigmaHQ rules' licence (DRL 1.1) asks
/// that the author be shown wherever a match is shown: `author` travels with every finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigmaRuleRef {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The rule's tags as written (`attack.t1110.003`, `attack.credential-access`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub falsepositives: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// The rule file it was loaded from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// One raw record a Sigma rule matched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigmaEventRef {
    /// The provider's record id, where the record has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// The input file, and the record's 1-based number in it.
    pub file: String,
    pub record: usize,
    pub source_format: SourceFormat,
}

/// What a Sigma correlation rule counted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SigmaCorrelationRef {
    /// `event_count`, `value_count`, `temporal`, `temporal_ordered`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The `group-by` fields and the values this group has.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub group: std::collections::BTreeMap<String, String>,
    pub window_start: Timestamp,
    pub window_end: Timestamp,
    /// The aggregate that met the condition (a count, a number of distinct values, a sum…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// The rules whose matches were correlated (ids or names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}

/// Evidence of a `sigma` finding: the rule, the records it matched (for a correlation,
/// the contributing records, at most a few dozen), and what the correlation counted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SigmaEvidence {
    pub rule: SigmaRuleRef,
    pub events: Vec<SigmaEventRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation: Option<SigmaCorrelationRef>,
    pub reasons: Vec<Reason>,
}

/// A finding's evidence, by kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Evidence {
    Travel(Box<TravelEvidence>),
    Location(Box<LocationEvidence>),
    Indicator(Box<IndicatorEvidence>),
    CrossTenant(Box<CrossTenantEvidence>),
    Spray(Box<SprayEvidence>),
    Sigma(Box<SigmaEvidence>),
}

impl Evidence {
    /// All reasons, in order.
    pub fn reasons(&self) -> &[Reason] {
        match self {
            Evidence::Travel(e) => &e.reasons,
            Evidence::Location(e) => &e.reasons,
            Evidence::Indicator(e) => &e.reasons,
            Evidence::CrossTenant(e) => &e.reasons,
            Evidence::Spray(e) => &e.reasons,
            Evidence::Sigma(e) => &e.reasons,
        }
    }
}

/// Something a detector found, with everything an analyst needs to judge it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub severity: Severity,
    /// 0–100: finer ordering within a severity.
    pub score: u8,
    pub tenant: TenantId,
    pub user: String,
    /// The time of the sign-in the finding is about.
    pub time: Timestamp,
    pub title: String,
    /// Source record ids of the evidence sign-ins, in time order, except that the sign-in
    /// the finding is about always comes last.
    pub event_ids: Vec<String>,
    pub evidence: Evidence,
}
