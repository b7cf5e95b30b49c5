//! The indicator repository: what every backend offers, and the merge rule they share.

use std::future::Future;

use rampart_intel::{Indicator, ObservableKind, Provenance, Verdict};

use crate::StoreError;

/// Which indicators [`IndicatorRepo::list`] returns. The default is all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndicatorFilter {
    /// Only this observable kind.
    pub kind: Option<ObservableKind>,
    /// Only indicators with this tag: its full form (`campaign:Foo`) or its name (`Foo`),
    /// ASCII case-insensitive.
    pub tag: Option<String>,
    /// Only this verdict.
    pub verdict: Option<Verdict>,
    /// At most this many (in insertion order).
    pub limit: Option<u32>,
}

/// What an upsert did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpsertReport {
    /// New rows.
    pub inserted: usize,
    /// Indicators merged into a row with the same value and provenance.
    pub merged: usize,
}

/// Indicator persistence. Every backend implements this; callers depend on it alone.
pub trait IndicatorRepo {
    /// Stores indicators in one transaction. An indicator whose value and provenance
    /// (see [`provenance_key`]) are already stored is merged into that row with
    /// [`merge_into`]; otherwise it is inserted.
    fn upsert_many(
        &self,
        indicators: &[Indicator],
    ) -> impl Future<Output = Result<UpsertReport, StoreError>> + Send;

    /// The indicators that pass `filter`, in insertion order.
    fn list(
        &self,
        filter: &IndicatorFilter,
    ) -> impl Future<Output = Result<Vec<Indicator>, StoreError>> + Send;

    /// Every indicator (to build an `IndicatorSet`), in insertion order.
    fn all(&self) -> impl Future<Output = Result<Vec<Indicator>, StoreError>> + Send;

    /// How many indicators are stored.
    fn count(&self) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

/// The provenance part of an indicator's identity: the feed, report or alert it came from,
/// without the line or object it was found at (so a re-import of an edited file merges).
pub fn provenance_key(provenance: &Provenance) -> String {
    match provenance {
        Provenance::Feed { name, .. } => format!("feed:{name}"),
        Provenance::Report { name } => format!("report:{name}"),
        Provenance::Alert { tenant, alert_id } => format!("alert:{tenant}:{alert_id}"),
        other => format!("{other:?}"),
    }
}

/// Merges `incoming` (the same value and provenance) into `stored`: sightings add up,
/// first seen is the earlier and last seen the later, tags are the union, a dated
/// indicator makes the row decay; verdict,
/// confidence, TLP, valid-until, location and description take the incoming indicator's
/// word (a description only when it has one).
pub fn merge_into(stored: &mut Indicator, incoming: &Indicator) {
    stored.sightings = stored.sightings.saturating_add(incoming.sightings);
    stored.first_seen = stored.first_seen.min(incoming.first_seen);
    stored.last_seen = stored.last_seen.max(incoming.last_seen);
    stored.decays |= incoming.decays;
    for tag in &incoming.tags {
        if !stored.tags.contains(tag) {
            stored.tags.push(tag.clone());
        }
    }
    stored.verdict = incoming.verdict;
    stored.confidence = incoming.confidence;
    stored.tlp = incoming.tlp;
    stored.valid_until = incoming.valid_until;
    stored.provenance = incoming.provenance.clone();
    if incoming.description.is_some() {
        stored.description.clone_from(&incoming.description);
    }
}
