//! The indicator model: observables, verdicts, provenance, TLP 2.0, sightings and decay.

use std::fmt;
use std::net::IpAddr;

use ipnet::IpNet;
use jiff::Timestamp;
use rampart_model::TenantId;
use serde::{Deserialize, Serialize};

/// The kind of an observable value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ObservableKind {
    Ipv4,
    Ipv6,
    Cidr,
    Domain,
    Url,
    Email,
    Md5,
    Sha1,
    Sha256,
    UserAgent,
    Asn,
}

impl ObservableKind {
    /// Every kind, in a stable order.
    pub const ALL: [ObservableKind; 11] = [
        ObservableKind::Ipv4,
        ObservableKind::Ipv6,
        ObservableKind::Cidr,
        ObservableKind::Domain,
        ObservableKind::Url,
        ObservableKind::Email,
        ObservableKind::Md5,
        ObservableKind::Sha1,
        ObservableKind::Sha256,
        ObservableKind::UserAgent,
        ObservableKind::Asn,
    ];

    /// The name used in CSV files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ObservableKind::Ipv4 => "ipv4",
            ObservableKind::Ipv6 => "ipv6",
            ObservableKind::Cidr => "cidr",
            ObservableKind::Domain => "domain",
            ObservableKind::Url => "url",
            ObservableKind::Email => "email",
            ObservableKind::Md5 => "md5",
            ObservableKind::Sha1 => "sha1",
            ObservableKind::Sha256 => "sha256",
            ObservableKind::UserAgent => "user-agent",
            ObservableKind::Asn => "asn",
        }
    }

    /// Reads a type name as lists write it: ours, MISP attribute types, STIX object types
    /// and common synonyms. Case-insensitive.
    pub fn from_name(name: &str) -> Option<ObservableKind> {
        let name = name.trim().to_ascii_lowercase();
        Some(match name.as_str() {
            "ipv4" | "ip" | "ip-src" | "ip-dst" | "ipv4-addr" | "ip4" | "ipaddress" => {
                ObservableKind::Ipv4
            }
            "ipv6" | "ipv6-addr" | "ip6" => ObservableKind::Ipv6,
            "cidr" | "ip-range" | "subnet" | "network" | "netblock" => ObservableKind::Cidr,
            "domain" | "hostname" | "domain-name" | "fqdn" | "host" => ObservableKind::Domain,
            "url" | "uri" | "link" => ObservableKind::Url,
            "email" | "email-src" | "email-dst" | "email-addr" | "email-address" => {
                ObservableKind::Email
            }
            "md5" | "hash-md5" | "filehash-md5" => ObservableKind::Md5,
            "sha1" | "sha-1" | "hash-sha1" | "filehash-sha1" => ObservableKind::Sha1,
            "sha256" | "sha-256" | "hash-sha256" | "filehash-sha256" => ObservableKind::Sha256,
            "user-agent" | "useragent" | "user_agent" | "ua" => ObservableKind::UserAgent,
            "asn" | "as" | "autonomous-system" => ObservableKind::Asn,
            _ => return None,
        })
    }
}

impl fmt::Display for ObservableKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A normalized observable value. Build one with [`crate::normalize::parse`] or
/// [`crate::normalize::parse_inferred`], which refang and canonicalize; the variants hold
/// canonical forms only (lower-case hosts and hex, truncated networks, compressed IPv6).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Observable {
    Ip(IpAddr),
    Cidr(IpNet),
    Domain(String),
    Url(String),
    Email(String),
    Md5(String),
    Sha1(String),
    Sha256(String),
    UserAgent(String),
    Asn(u32),
}

impl Observable {
    pub fn kind(&self) -> ObservableKind {
        match self {
            Observable::Ip(IpAddr::V4(_)) => ObservableKind::Ipv4,
            Observable::Ip(IpAddr::V6(_)) => ObservableKind::Ipv6,
            Observable::Cidr(_) => ObservableKind::Cidr,
            Observable::Domain(_) => ObservableKind::Domain,
            Observable::Url(_) => ObservableKind::Url,
            Observable::Email(_) => ObservableKind::Email,
            Observable::Md5(_) => ObservableKind::Md5,
            Observable::Sha1(_) => ObservableKind::Sha1,
            Observable::Sha256(_) => ObservableKind::Sha256,
            Observable::UserAgent(_) => ObservableKind::UserAgent,
            Observable::Asn(_) => ObservableKind::Asn,
        }
    }
}

impl fmt::Display for Observable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observable::Ip(ip) => write!(f, "{ip}"),
            Observable::Cidr(net) => write!(f, "{net}"),
            Observable::Asn(n) => write!(f, "AS{n}"),
            Observable::Domain(s)
            | Observable::Url(s)
            | Observable::Email(s)
            | Observable::Md5(s)
            | Observable::Sha1(s)
            | Observable::Sha256(s)
            | Observable::UserAgent(s) => f.write_str(s),
        }
    }
}

/// What an indicator says about its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Verdict {
    Malicious,
    Suspicious,
    /// Known good: an allow-list entry that suppresses findings.
    BenignAllow,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Malicious => "malicious",
            Verdict::Suspicious => "suspicious",
            Verdict::BenignAllow => "benign-allow",
        }
    }

    pub fn from_name(name: &str) -> Option<Verdict> {
        match name.trim().to_ascii_lowercase().as_str() {
            "malicious" | "malicious-activity" | "bad" => Some(Verdict::Malicious),
            "suspicious" | "anomalous-activity" | "unknown" => Some(Verdict::Suspicious),
            "benign" | "benign-allow" | "allow" | "good" => Some(Verdict::BenignAllow),
            _ => None,
        }
    }
}

/// A confidence from 0 to 100 (STIX 2.1's scale).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Confidence(u8);

impl Confidence {
    pub const MAX: Confidence = Confidence(100);

    /// `None` above 100.
    pub fn new(value: u8) -> Option<Confidence> {
        (value <= 100).then_some(Confidence(value))
    }

    /// Clamps to 0..=100.
    pub fn saturating(value: i64) -> Confidence {
        Confidence(value.clamp(0, 100) as u8)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Confidence {
    type Error = String;
    fn try_from(v: u8) -> Result<Self, Self::Error> {
        Confidence::new(v).ok_or_else(|| format!("confidence {v} is above 100"))
    }
}

impl From<Confidence> for u8 {
    fn from(c: Confidence) -> u8 {
        c.0
    }
}

/// Where an indicator came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "from", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Provenance {
    /// A feed or list file, by name (and the line or object it came from, when known).
    Feed {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        location: Option<String>,
    },
    /// A threat report, by title or identifier.
    Report { name: String },
    /// A confirmed alert at a tenant. The tenant is private: see [`Provenance::visible_to`].
    Alert { tenant: TenantId, alert_id: String },
}

impl Provenance {
    /// The tenant the indicator came from, if it came from a tenant's alert.
    pub fn origin_tenant(&self) -> Option<&TenantId> {
        match self {
            Provenance::Alert { tenant, .. } => Some(tenant),
            _ => None,
        }
    }

    /// The provenance as `viewer` may see it: an alert from another tenant becomes
    /// "an alert at another tenant", without the tenant or the alert id.
    pub fn visible_to(&self, viewer: &TenantId) -> VisibleProvenance<'_> {
        match self {
            Provenance::Feed { name, .. } => VisibleProvenance::Feed(name),
            Provenance::Report { name } => VisibleProvenance::Report(name),
            Provenance::Alert { tenant, alert_id } if tenant == viewer => {
                VisibleProvenance::OwnAlert(alert_id)
            }
            Provenance::Alert { .. } => VisibleProvenance::OtherTenantAlert,
        }
    }
}

/// What a tenant may be told about where an indicator came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VisibleProvenance<'a> {
    Feed(&'a str),
    Report(&'a str),
    OwnAlert(&'a str),
    OtherTenantAlert,
}

impl fmt::Display for VisibleProvenance<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VisibleProvenance::Feed(n) => write!(f, "feed {n}"),
            VisibleProvenance::Report(n) => write!(f, "report {n}"),
            VisibleProvenance::OwnAlert(id) => write!(f, "your alert {id}"),
            VisibleProvenance::OtherTenantAlert => {
                f.write_str("a confirmed alert at another tenant")
            }
        }
    }
}

/// Traffic Light Protocol 2.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    #[serde(rename = "amber+strict")]
    AmberStrict,
    Red,
}

impl Tlp {
    pub fn as_str(self) -> &'static str {
        match self {
            Tlp::Clear => "clear",
            Tlp::Green => "green",
            Tlp::Amber => "amber",
            Tlp::AmberStrict => "amber+strict",
            Tlp::Red => "red",
        }
    }

    /// Reads `amber+strict`, `TLP:AMBER+STRICT`, `tlp:red`, and TLP 1.0's `white` (= clear).
    pub fn from_name(name: &str) -> Option<Tlp> {
        let n = name.trim().to_ascii_lowercase();
        let n = n.strip_prefix("tlp:").unwrap_or(&n).trim();
        match n {
            "clear" | "white" => Some(Tlp::Clear),
            "green" => Some(Tlp::Green),
            "amber" => Some(Tlp::Amber),
            "amber+strict" | "amber-strict" | "amber strict" => Some(Tlp::AmberStrict),
            "red" => Some(Tlp::Red),
            _ => None,
        }
    }

    /// Whether an indicator with this marking that came from `origin` (a tenant's alert, or
    /// `None` for platform-wide sources such as feeds and reports) may be shown to, and
    /// matched for, `viewer`.
    ///
    /// `clear`, `green` and `amber` are shared across the MSP's tenants (the MSP is the
    /// recipient organisation and its partners are its clients, which TLP:AMBER allows).
    /// `amber+strict` and `red` never leave the tenant they came from; with no origin tenant
    /// they are shown to no tenant (only the MSP's own analysts see them).
    pub fn shareable_with(self, origin: Option<&TenantId>, viewer: &TenantId) -> bool {
        if origin == Some(viewer) {
            return true;
        }
        match self {
            Tlp::Clear | Tlp::Green | Tlp::Amber => true,
            Tlp::AmberStrict | Tlp::Red => false,
        }
    }
}

impl fmt::Display for Tlp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a tag names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TagKind {
    Campaign,
    Actor,
    Malware,
    Other,
}

/// A tag: a campaign, actor, malware family or free label.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Tag {
    pub kind: TagKind,
    pub name: String,
}

impl Tag {
    pub fn new(kind: TagKind, name: impl Into<String>) -> Tag {
        Tag {
            kind,
            name: name.into(),
        }
    }

    /// Reads `campaign:NAME`, `actor:NAME`, `malware:NAME`, else a free label.
    pub fn parse(text: &str) -> Tag {
        let text = text.trim();
        if let Some((k, v)) = text.split_once(':') {
            let kind = match k.trim().to_ascii_lowercase().as_str() {
                "campaign" => Some(TagKind::Campaign),
                "actor" | "threat-actor" | "intrusion-set" => Some(TagKind::Actor),
                "malware" | "family" => Some(TagKind::Malware),
                _ => None,
            };
            if let Some(kind) = kind
                && !v.trim().is_empty()
            {
                return Tag::new(kind, v.trim());
            }
        }
        Tag::new(TagKind::Other, text)
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TagKind::Campaign => write!(f, "campaign:{}", self.name),
            TagKind::Actor => write!(f, "actor:{}", self.name),
            TagKind::Malware => write!(f, "malware:{}", self.name),
            TagKind::Other => f.write_str(&self.name),
        }
    }
}

fn yes() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// An indicator of compromise (or an allow-list entry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Indicator {
    pub observable: Observable,
    pub verdict: Verdict,
    pub confidence: Confidence,
    pub provenance: Provenance,
    pub tlp: Tlp,
    pub first_seen: Timestamp,
    /// The last sighting; the decay clock runs from here.
    pub last_seen: Timestamp,
    pub sightings: u32,
    /// After this the indicator no longer matches (it stays on record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Timestamp>,
    /// Whether the score decays with the time since `last_seen`. `false` for a value whose
    /// source gave no date when it was imported as timeless (see
    /// `ImportOptions::undated`): with no sighting there is no clock to run, so it matches
    /// until `valid_until`, if any. Recording a sighting starts the clock.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub decays: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Indicator {
    /// A new malicious indicator first seen `at`, one sighting, TLP:AMBER, confidence 50.
    pub fn new(observable: Observable, provenance: Provenance, at: Timestamp) -> Indicator {
        Indicator {
            observable,
            verdict: Verdict::Malicious,
            confidence: Confidence(50),
            provenance,
            tlp: Tlp::Amber,
            first_seen: at,
            last_seen: at,
            sightings: 1,
            valid_until: None,
            decays: true,
            tags: Vec::new(),
            description: None,
        }
    }

    /// Records a sighting: counts it and restarts the decay clock.
    pub fn record_sighting(&mut self, at: Timestamp) {
        self.sightings = self.sightings.saturating_add(1);
        self.decays = true;
        if at > self.last_seen {
            self.last_seen = at;
        }
        if at < self.first_seen {
            self.first_seen = at;
        }
    }

    /// The score at `at`: the confidence decayed by `model` over the time since the last
    /// sighting (not decayed when [`Indicator::decays`] is false). A sighting after `at`
    /// counts as made at `at`.
    pub fn score(&self, model: &DecayModel, at: Timestamp) -> f64 {
        if !self.decays {
            return f64::from(self.confidence.get());
        }
        model.score(f64::from(self.confidence.get()), self.last_seen, at)
    }

    /// Whether the indicator matches at `at` (an event's time, or now): not past
    /// `valid_until`, and its decayed score above the model's revoke score.
    pub fn is_live(&self, model: &DecayModel, at: Timestamp) -> bool {
        if self.valid_until.is_some_and(|until| until <= at) {
            return false;
        }
        if !self.decays {
            return true;
        }
        self.score(model, at) > model.revoke_score
    }

    /// The first instant at which the indicator is no longer live under `model`, as
    /// microseconds since the Unix epoch (`i64::MAX` for never): the earlier of
    /// `valid_until` and the moment the decayed score reaches the revoke score. For any
    /// `now`, `is_live(model, now)` is `now < live_until(model)` up to float rounding;
    /// the matcher stores this to check liveness without the power function.
    pub fn live_until_micros(&self, model: &DecayModel) -> i64 {
        let base = f64::from(self.confidence.get());
        let last = self.last_seen.as_microsecond();
        let decay = if !self.decays {
            i64::MAX
        } else if base <= model.revoke_score {
            i64::MIN
        } else if !model.lifetime_days.is_finite() || model.revoke_score < 0.0 {
            i64::MAX
        } else if model.lifetime_days <= 0.0 {
            i64::MIN
        } else {
            let delta = if model.delta > 0.0 { model.delta } else { 1.0 };
            let days = model.lifetime_days * (1.0 - model.revoke_score / base).powf(delta);
            let micros = days * 86_400.0 * 1e6;
            // `as` saturates on overflow, which is what we want here.
            last.saturating_add(micros as i64)
        };
        match self.valid_until {
            Some(until) => decay.min(until.as_microsecond()),
            None => decay,
        }
    }

    /// Whether `viewer` may see this indicator (TLP and origin tenant).
    pub fn shareable_with(&self, viewer: &TenantId) -> bool {
        self.tlp
            .shareable_with(self.provenance.origin_tenant(), viewer)
    }

    /// Whether a sign-in or event of `tenant` may be matched against this indicator.
    ///
    /// An indicator that came from a tenant (a confirmed alert there) matches that tenant,
    /// and other tenants only when its TLP shares it ([`Indicator::shareable_with`]):
    /// `amber+strict` and `red` from one tenant never raise anything at another. An
    /// indicator from no tenant (a feed, a report: the MSP's own intelligence) matches
    /// every tenant whatever its marking, since what it raises goes to the MSP's analysts,
    /// who may see every marking.
    pub fn matches_tenant(&self, tenant: &TenantId) -> bool {
        self.provenance.origin_tenant().is_none() || self.shareable_with(tenant)
    }
}

/// A polynomial decay model as MISP and OpenCTI use it:
/// `score(t) = base × (1 − (t / lifetime)^(1 / δ))`, 0 from `lifetime` on,
/// where `t` is the time since the last sighting. In OpenCTI's terms `δ = 3 × pound`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecayModel {
    pub lifetime_days: f64,
    /// MISP's `delta`: above 1 decays fast early, below 1 stays high then drops.
    pub delta: f64,
    /// At or below this score the indicator is revoked (stops matching).
    pub revoke_score: f64,
}

impl DecayModel {
    /// OpenCTI's model from a lifetime in days, a "pound" and a revoke score.
    pub fn opencti(lifetime_days: f64, pound: f64, revoke_score: f64) -> DecayModel {
        DecayModel {
            lifetime_days,
            delta: 3.0 * pound,
            revoke_score,
        }
    }

    /// OpenCTI's built-in rule for a kind: IPs and URLs 47 days (pound 0.55), domains
    /// 300 days (0.70), file hashes 460 days (0.30), everything else 470 days (0.35);
    /// revoked at or below 20.
    pub fn opencti_default(kind: ObservableKind) -> DecayModel {
        match kind {
            ObservableKind::Ipv4
            | ObservableKind::Ipv6
            | ObservableKind::Cidr
            | ObservableKind::Url => DecayModel::opencti(47.0, 0.55, 20.0),
            ObservableKind::Domain => DecayModel::opencti(300.0, 0.70, 20.0),
            ObservableKind::Md5 | ObservableKind::Sha1 | ObservableKind::Sha256 => {
                DecayModel::opencti(460.0, 0.30, 20.0)
            }
            _ => DecayModel::opencti(470.0, 0.35, 20.0),
        }
    }

    /// A model that never decays (for allow-lists and sources that manage their own lifecycle).
    pub fn never() -> DecayModel {
        DecayModel {
            lifetime_days: f64::INFINITY,
            delta: 1.0,
            revoke_score: -1.0,
        }
    }

    /// The decayed score of `base` (0–100) last seen at `last_seen`, evaluated at `now`.
    /// A sighting in the future counts as now.
    pub fn score(&self, base: f64, last_seen: Timestamp, now: Timestamp) -> f64 {
        let elapsed = now.duration_since(last_seen).as_secs_f64().max(0.0);
        let days = elapsed / 86_400.0;
        if !self.lifetime_days.is_finite() {
            return base;
        }
        if self.lifetime_days <= 0.0 || days >= self.lifetime_days {
            return 0.0;
        }
        let delta = if self.delta > 0.0 { self.delta } else { 1.0 };
        let s = base * (1.0 - (days / self.lifetime_days).powf(1.0 / delta));
        s.max(0.0)
    }
}

/// The decay model for each observable kind.
#[derive(Clone, Debug, PartialEq)]
pub struct DecayPolicy {
    models: [DecayModel; ObservableKind::ALL.len()],
}

impl Default for DecayPolicy {
    /// OpenCTI's built-in rules.
    fn default() -> Self {
        DecayPolicy {
            models: ObservableKind::ALL.map(DecayModel::opencti_default),
        }
    }
}

impl DecayPolicy {
    /// One model for every kind.
    pub fn uniform(model: DecayModel) -> DecayPolicy {
        DecayPolicy {
            models: [model; ObservableKind::ALL.len()],
        }
    }

    pub fn model(&self, kind: ObservableKind) -> &DecayModel {
        &self.models[kind_index(kind)]
    }

    pub fn set(&mut self, kind: ObservableKind, model: DecayModel) {
        self.models[kind_index(kind)] = model;
    }
}

fn kind_index(kind: ObservableKind) -> usize {
    ObservableKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn tenant(s: &str) -> TenantId {
        TenantId::new(s).unwrap()
    }

    #[test]
    fn tlp_sharing_rule() {
        let a = tenant("acme");
        let b = tenant("globex");
        for tlp in [Tlp::Clear, Tlp::Green, Tlp::Amber] {
            assert!(tlp.shareable_with(Some(&a), &b), "{tlp}");
            assert!(tlp.shareable_with(None, &b), "{tlp}");
        }
        for tlp in [Tlp::AmberStrict, Tlp::Red] {
            assert!(!tlp.shareable_with(Some(&a), &b), "{tlp}");
            assert!(tlp.shareable_with(Some(&a), &a), "{tlp}");
            assert!(!tlp.shareable_with(None, &b), "{tlp}");
        }
        assert_eq!(Tlp::from_name("TLP:AMBER+STRICT"), Some(Tlp::AmberStrict));
        assert_eq!(Tlp::from_name("white"), Some(Tlp::Clear));
        assert_eq!(
            serde_json::to_string(&Tlp::AmberStrict).unwrap(),
            "\"amber+strict\""
        );
    }

    #[test]
    fn alert_tenant_stays_private() {
        let p = Provenance::Alert {
            tenant: tenant("acme"),
            alert_id: "A-17".into(),
        };
        assert_eq!(
            p.visible_to(&tenant("globex")).to_string(),
            "a confirmed alert at another tenant"
        );
        assert_eq!(p.visible_to(&tenant("acme")).to_string(), "your alert A-17");
    }

    #[test]
    fn decay_follows_the_polynomial_with_concrete_numbers() {
        let last = ts("2026-01-01T00:00:00Z");
        // OpenCTI IP rule: lifetime 47 d, pound 0.55 → δ = 1.65.
        let ip = DecayModel::opencti_default(ObservableKind::Ipv4);
        assert!((ip.delta - 1.65).abs() < 1e-12);
        assert_eq!(ip.score(100.0, last, last), 100.0);
        // 23.5 days = half the lifetime: 100 × (1 − 0.5^(1/1.65)) = 34.30
        let half = ts("2026-01-24T12:00:00Z");
        assert!((ip.score(100.0, last, half) - 34.3012).abs() < 1e-3);
        // 10 days, base 80: 80 × (1 − (10/47)^(1/1.65)) = 48.68
        let ten = ts("2026-01-11T00:00:00Z");
        assert!((ip.score(80.0, last, ten) - 48.6846).abs() < 1e-3);
        // at and past the lifetime: 0
        assert_eq!(ip.score(100.0, last, ts("2026-02-17T00:00:00Z")), 0.0);
        assert_eq!(ip.score(100.0, last, ts("2027-01-01T00:00:00Z")), 0.0);
        // a sighting "in the future" counts as now
        assert_eq!(ip.score(100.0, half, last), 100.0);
        // MISP-style δ = 1 is linear: 30 of 300 days → 90.
        let linear = DecayModel {
            lifetime_days: 300.0,
            delta: 1.0,
            revoke_score: 20.0,
        };
        assert!((linear.score(100.0, last, ts("2026-01-31T00:00:00Z")) - 90.0).abs() < 1e-9);
        // domains, 100 days: 100 × (1 − (100/300)^(1/2.1)) = 40.73
        let dom = DecayModel::opencti_default(ObservableKind::Domain);
        assert!((dom.score(100.0, last, ts("2026-04-11T00:00:00Z")) - 40.7348).abs() < 1e-3);
    }

    #[test]
    fn expired_indicators_are_not_live_but_sightings_revive_them() {
        let t0 = ts("2026-01-01T00:00:00Z");
        let mut ind = Indicator::new(
            Observable::Ip("203.0.113.9".parse().unwrap()),
            Provenance::Feed {
                name: "f".into(),
                location: None,
            },
            t0,
        );
        ind.confidence = Confidence::MAX;
        let policy = DecayPolicy::default();
        let model = policy.model(ObservableKind::Ipv4);
        assert!(ind.is_live(model, ts("2026-01-20T00:00:00Z")));
        // score at 30 days: 100 × (1 − (30/47)^(1/1.65)) = 23.8 > 20; at 35 days 16.4 ≤ 20
        assert!(ind.is_live(model, ts("2026-01-31T00:00:00Z")));
        assert!(!ind.is_live(model, ts("2026-02-05T00:00:00Z")));
        ind.record_sighting(ts("2026-02-04T00:00:00Z"));
        assert_eq!(ind.sightings, 2);
        assert!(ind.is_live(model, ts("2026-02-05T00:00:00Z")));
        ind.valid_until = Some(ts("2026-02-05T00:00:00Z"));
        assert!(!ind.is_live(model, ts("2026-02-05T00:00:00Z")));
        assert!(ind.is_live(&DecayModel::never(), ts("2026-02-04T23:00:00Z")));
    }

    #[test]
    fn live_until_agrees_with_is_live() {
        let t0 = ts("2026-01-01T00:00:00Z");
        let policy = DecayPolicy::default();
        for kind in [
            ObservableKind::Ipv4,
            ObservableKind::Domain,
            ObservableKind::Sha256,
        ] {
            let model = policy.model(kind);
            for conf in (0..=100).step_by(7) {
                let mut ind = Indicator::new(
                    Observable::Asn(1),
                    Provenance::Report { name: "r".into() },
                    t0,
                );
                ind.confidence = Confidence::saturating(conf);
                let until = ind.live_until_micros(model);
                for half_days in 0..1000 {
                    let now = t0 + jiff::SignedDuration::from_hours(12 * half_days + 1);
                    assert_eq!(
                        ind.is_live(model, now),
                        now.as_microsecond() < until,
                        "{kind} conf {conf} at {now}"
                    );
                }
            }
        }
        // OpenCTI IP rule, confidence 100: revoked after 47 × 0.8^1.65 = 32.52 days
        let mut ind = Indicator::new(
            Observable::Asn(1),
            Provenance::Report { name: "r".into() },
            t0,
        );
        ind.confidence = Confidence::MAX;
        let days = (ind.live_until_micros(policy.model(ObservableKind::Ipv4)) - t0.as_microsecond())
            as f64
            / 86_400e6;
        assert!((days - 32.523).abs() < 0.001, "{days}");
    }

    #[test]
    fn tags_and_names() {
        assert_eq!(
            Tag::parse("campaign: Storm-1234"),
            Tag::new(TagKind::Campaign, "Storm-1234")
        );
        assert_eq!(Tag::parse("phishing"), Tag::new(TagKind::Other, "phishing"));
        for k in ObservableKind::ALL {
            assert_eq!(ObservableKind::from_name(k.as_str()), Some(k));
        }
        assert_eq!(Confidence::new(101), None);
        assert_eq!(Confidence::saturating(250).get(), 100);
    }
}
