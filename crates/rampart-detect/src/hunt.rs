//! The hunt: every detector over a set of sign-ins — the incremental [`Detector`] driven
//! over the whole input as one batch in event order.

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use rampart_intel::IndicatorSet;
use rampart_model::{Finding, SignIn};

use crate::DetectConfig;
use crate::event::{Ev, event_order};
use crate::shared::Change;
use crate::stream::Detector;

/// Counts that explain what a hunt did with its input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HuntStats {
    pub signins: usize,
    /// Records seen twice (same tenant, format and record id); the second copy is ignored.
    pub duplicates: usize,
    /// Sign-ins with no tenant; they cannot be hunted.
    pub without_tenant: usize,
    pub identities: usize,
    /// Bytes the identity table occupies (every bucket holds an identity's state inline).
    pub state_bytes: usize,
    /// Sign-ins usable as a travel endpoint.
    pub travel_endpoints: usize,
    /// Why the other sign-ins were not travel endpoints.
    pub not_endpoint: BTreeMap<String, usize>,
    /// Impossible pairs (and sprays) that were not raised, by reason.
    pub suppressed: BTreeMap<String, usize>,
}

/// The result of a hunt.
#[derive(Debug, Default)]
pub struct HuntOutput {
    /// Findings in event-time order.
    pub findings: Vec<Finding>,
    pub stats: HuntStats,
}

/// Runs every detector over `signins` (any order; they are sorted by event time).
/// Sign-ins must carry their tenant.
pub fn hunt(signins: &[SignIn], cfg: &DetectConfig, indicators: &IndicatorSet) -> HuntOutput {
    hunt_with(signins.to_vec(), cfg, indicators, 1)
}

/// [`hunt`] over owned sign-ins, with `partitions` identity partitions (threads): the
/// findings are the same for any number.
pub fn hunt_with(
    signins: Vec<SignIn>,
    cfg: &DetectConfig,
    indicators: &IndicatorSet,
    partitions: usize,
) -> HuntOutput {
    let mut stats = HuntStats {
        signins: signins.len(),
        ..HuntStats::default()
    };
    let mut events: Vec<Ev> = Vec::with_capacity(signins.len());
    for s in signins {
        if s.tenant.is_none() {
            stats.without_tenant += 1;
        } else {
            events.push(Arc::new(s));
        }
    }
    events.sort_by(|a, b| event_order(a, b));
    // Drop repeated records (overlapping exports, re-polled pages).
    let mut seen = HashSet::with_capacity(events.len());
    events.retain(|s| {
        let mut h = DefaultHasher::new();
        (&s.tenant, s.source_format.as_str(), &s.record_id).hash(&mut h);
        if seen.insert(h.finish()) {
            true
        } else {
            stats.duplicates += 1;
            false
        }
    });
    let mut detector = Detector::new(partitions);
    let mut standing: BTreeMap<String, Finding> = BTreeMap::new();
    for change in detector.process_ordered(events, cfg, indicators) {
        apply(&mut standing, change);
    }
    let judged = detector.judge_stats();
    stats.identities = detector.size().identities;
    stats.state_bytes = detector.identity_table_bytes();
    stats.travel_endpoints = judged.travel_endpoints;
    stats.not_endpoint = judged.not_endpoint;
    stats.suppressed = judged.suppressed;
    let sprays = detector.spray_suppressed();
    if sprays > 0 {
        stats
            .suppressed
            .insert("spray_from_known_network".to_owned(), sprays);
    }
    let mut findings: Vec<Finding> = standing.into_values().collect();
    findings.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.kind.cmp(&b.kind)));
    HuntOutput { findings, stats }
}

/// Applies a change to a set of standing findings by key.
pub fn apply(standing: &mut BTreeMap<String, Finding>, change: Change) {
    match change {
        Change::Upsert { key, finding } => {
            standing.insert(key, finding);
        }
        Change::Withdraw { key } => {
            standing.remove(&key);
        }
    }
}
