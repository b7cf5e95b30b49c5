//! Retro-hunts: when indicators arrive, search stored history for sign-ins they name.
//!
//! Only address indicators (IPs and networks) can name a sign-in. Each becomes one indexed
//! range scan of the store's sign-ins ([`Store::signins_in_networks`]); the sign-ins found
//! are judged by `rampart-detect` exactly as live detection judges them (the indicator
//! must be live at the sign-in's own time, an allow entry in the same set wins), and the
//! `indicator_match` findings carry the reason `retro_hunt`. Alerts are raised only for
//! keys that have none yet ([`Store::raise_new_alerts`]): what live detection raised is
//! not rewritten, and running a retro-hunt twice raises nothing twice.

use jiff::{SignedDuration, Timestamp};
use rampart_detect::{DetectConfig, IndicatorSet};
use rampart_intel::{Observable, Verdict};
use rampart_model::{Evidence, Finding, FindingKind, Reason, ReasonEffect};
use rampart_store::{DetectionReport, Store};

use crate::EngineError;

/// How far back a retro-hunt looks by default.
pub const DEFAULT_RETRO_WINDOW: SignedDuration = SignedDuration::from_hours(30 * 24);

/// What a retro-hunt did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RetroReport {
    /// Address indicators searched for (IPs and networks, not allow entries).
    pub searched: usize,
    /// Stored sign-ins inside one of them, since the window's start.
    pub candidates: usize,
    /// `indicator_match` findings (the indicator live at the sign-in's time).
    pub findings: Vec<Finding>,
    /// What storing them as alerts did (`None` when not stored).
    pub stored: Option<DetectionReport>,
}

/// Searches the sign-ins stored since `since` for the address indicators of `indicators`,
/// and returns the `indicator_match` findings (marked `retro_hunt`), in time order.
pub async fn retro_hunt(
    store: &Store,
    detect: &DetectConfig,
    indicators: &IndicatorSet,
    since: Timestamp,
) -> Result<RetroReport, EngineError> {
    let networks: Vec<ipnet::IpNet> = indicators
        .iter()
        .filter(|i| i.verdict != Verdict::BenignAllow)
        .filter_map(|i| match &i.observable {
            Observable::Ip(ip) => Some(ipnet::IpNet::from(*ip)),
            Observable::Cidr(net) => Some(*net),
            _ => None,
        })
        .collect();
    let mut report = RetroReport {
        searched: networks.len(),
        ..RetroReport::default()
    };
    if networks.is_empty() {
        return Ok(report);
    }
    let signins = store.signins_in_networks(&networks, since).await?;
    report.candidates = signins.len();
    let findings = rampart_detect::hunt(&signins, detect, indicators).findings;
    report.findings = findings
        .into_iter()
        .filter(|f| f.kind == FindingKind::IndicatorMatch)
        .map(mark_retro)
        .collect();
    Ok(report)
}

/// [`retro_hunt`], then raises alerts for the findings that have none yet.
pub async fn retro_hunt_and_alert(
    store: &Store,
    detect: &DetectConfig,
    indicators: &IndicatorSet,
    since: Timestamp,
) -> Result<RetroReport, EngineError> {
    let mut report = retro_hunt(store, detect, indicators, since).await?;
    let keyed: Vec<(String, Finding)> = report
        .findings
        .iter()
        .map(|f| (retro_key(f), f.clone()))
        .collect();
    report.stored = Some(store.raise_new_alerts(&keyed).await?);
    Ok(report)
}

/// The alert key of a retro-hunt finding: kind, tenant, user and the sign-in, the key live
/// detection gives a finding about that one sign-in (`rampart_detect::Change::Upsert`), so
/// a sign-in already alerted on live is recognised.
pub fn retro_key(f: &Finding) -> String {
    format!(
        "{}|{}|{}|{}",
        f.kind.as_str(),
        f.tenant,
        f.user,
        f.event_ids.last().map(String::as_str).unwrap_or("")
    )
}

fn mark_retro(mut f: Finding) -> Finding {
    if let Evidence::Indicator(e) = &mut f.evidence {
        e.reasons.push(Reason::new(
            "retro_hunt",
            ReasonEffect::Noted,
            "found by a retro-hunt of stored sign-ins when the indicator was added",
        ));
    }
    f
}
