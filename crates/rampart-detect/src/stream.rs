//! The incremental detector: sign-ins in, changes to findings out. `hunt` drives it over a
//! whole input at once; the streaming engine drives it batch by batch. Both get the same
//! findings for the same sign-ins, because there is only this one.
//!
//! One batch goes through three stages:
//! 1. **Prevalence** (tenant-keyed): each sign-in is counted, in event order, and each
//!    network keeps the history of its classification, so that "was this network common
//!    in the tenant when this sign-in happened?" has one answer.
//! 2. **Identities** (partitioned by identity hash, one thread per partition): indicator
//!    matches, impossible travel and unfamiliar locations, each identity's sign-ins in
//!    event order against its own state. A sign-in older than its identity's newest
//!    endpoint (it came late, within the allowed lateness) is checked against both of its
//!    neighbours and learned, without reordering the state; one older than its tenant's
//!    watermark (newest − allowed lateness) is too late to judge as travel and counted.
//! 3. **Shared** (one thread): the IP indexes of every tenant, sprays and cross-tenant
//!    correlation (recomputed per IP as it gains data), and merging drafts into findings
//!    with stable keys; the changes are reported.
//!
//! The whole state serializes ([`Detector::snapshot`], [`Detector::restore`]) for
//! checkpoints. State no sign-in within the horizon (allowed lateness + cross-tenant
//! window + a day) can still change is swept, per tenant, by event time.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use rampart_intel::IndicatorSet;
use rampart_model::SignIn;
use serde::{Deserialize, Serialize};

use crate::event::{Ev, event_order};
use crate::identity::{Ctx, JudgeStats, Op, Partition};
use crate::prevalence::Prevalence;
use crate::shared::{Change, Shared};
use crate::{DetectConfig, identity_key};

/// The snapshot format; a snapshot of another version is refused.
const SNAPSHOT_VERSION: u32 = 1;

/// Batches smaller than this are judged on the calling thread.
const PARALLEL_MIN: usize = 256;

/// A snapshot could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    #[error("the detector snapshot is not readable: {0}")]
    Format(#[from] serde_json::Error),
    #[error("the detector snapshot could not be compressed or decompressed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the detector snapshot has version {found}, this build reads {expected}")]
    Version { found: u32, expected: u32 },
    #[error(
        "the detector snapshot was written by a build that hashes identities differently; replay from the start instead"
    )]
    Hashing,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Counts {
    signins: u64,
    without_tenant: u64,
}

/// The incremental detector. Its configuration and indicators are given with each batch
/// (they are not part of its state).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Detector {
    version: u32,
    /// `identity_key` of a fixed identity: a snapshot is only valid under the same hashing.
    probe: u64,
    partitions: Vec<Partition>,
    prevalence: Prevalence,
    shared: Shared,
    counts: Counts,
}

fn probe() -> u64 {
    crate::key_of("probe", "probe")
}

/// What the detector holds, for capacity planning and metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DetectorSize {
    pub identities: usize,
    pub networks: usize,
    /// Sign-ins held by the IP indexes.
    pub indexed: usize,
    pub drafts: usize,
    pub groups: usize,
}

impl Detector {
    /// An empty detector with `partitions` identity partitions (at least one); batches of
    /// [`PARALLEL_MIN`] or more sign-ins are judged with one thread per partition.
    pub fn new(partitions: usize) -> Detector {
        Detector {
            version: SNAPSHOT_VERSION,
            probe: probe(),
            partitions: vec![Partition::default(); partitions.max(1)],
            prevalence: Prevalence::default(),
            shared: Shared::default(),
            counts: Counts::default(),
        }
    }

    /// How much is held before `horizon` of a tenant's newest sign-in.
    pub fn horizon(cfg: &DetectConfig) -> SignedDuration {
        let h = cfg.params.allowed_lateness_h + cfg.params.cross_tenant_window_h + 24.0;
        SignedDuration::from_secs((h * 3600.0) as i64)
    }

    /// Detects over one batch of sign-ins (any order: they are put in event order first;
    /// sign-ins without a tenant are counted and left out) and returns the changes to the
    /// findings, in the order to apply them. Feeding the same sign-ins in batches of any
    /// size, each tenant's in event order, gives the same findings.
    pub fn process(
        &mut self,
        batch: Vec<SignIn>,
        cfg: &DetectConfig,
        indicators: &IndicatorSet,
    ) -> Vec<Change> {
        self.counts.signins += batch.len() as u64;
        let mut events: Vec<Ev> = Vec::with_capacity(batch.len());
        for s in batch {
            if s.tenant.is_none() {
                self.counts.without_tenant += 1;
            } else {
                events.push(Arc::new(s));
            }
        }
        events.sort_by(|a, b| event_order(a, b));
        self.process_sorted(events, cfg, indicators)
    }

    fn process_sorted(
        &mut self,
        events: Vec<Ev>,
        cfg: &DetectConfig,
        indicators: &IndicatorSet,
    ) -> Vec<Change> {
        let lateness = SignedDuration::from_secs((cfg.params.allowed_lateness_h * 3600.0) as i64);
        // Watermarks as they stood before this batch.
        let watermarks: std::collections::HashMap<rampart_model::TenantId, Timestamp> = self
            .shared
            .tenant_max
            .iter()
            .map(|(t, max)| (t.clone(), crate::event::minus(*max, lateness)))
            .collect();
        // 1. Prevalence, in event order.
        let mut reclassified = std::collections::HashSet::new();
        for ev in &events {
            if let Some(net) = self.prevalence.observe(ev, cfg, indicators) {
                reclassified.insert(net);
            }
        }
        // 2. Identities, by partition.
        let ctx = Ctx {
            cfg,
            params: &cfg.params,
            indicators,
            prevalence: &self.prevalence,
        };
        let n = self.partitions.len();
        let mut routed: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, ev) in events.iter().enumerate() {
            if let Some(t) = &ev.tenant {
                routed[(identity_key(t, &ev.user) % n as u64) as usize].push(i);
            }
        }
        let judge = |part: &mut Partition, idx: &[usize]| -> Vec<(usize, Vec<Op>)> {
            let mut out = Vec::with_capacity(idx.len());
            for &i in idx {
                let ev = &events[i];
                let w = ev.tenant.as_ref().and_then(|t| watermarks.get(t)).copied();
                let mut ops = Vec::new();
                part.judge(ev, w, &ctx, &mut ops);
                if !ops.is_empty() {
                    out.push((i, ops));
                }
            }
            out
        };
        let mut results: Vec<(usize, Vec<Op>)> = if n > 1 && events.len() >= PARALLEL_MIN {
            std::thread::scope(|scope| {
                let handles: Vec<_> = self
                    .partitions
                    .iter_mut()
                    .zip(&routed)
                    .map(|(part, idx)| scope.spawn(|| judge(part, idx)))
                    .collect();
                handles
                    .into_iter()
                    .flat_map(|h| match h.join() {
                        Ok(r) => r,
                        Err(panic) => std::panic::resume_unwind(panic),
                    })
                    .collect()
            })
        } else {
            self.partitions
                .iter_mut()
                .zip(&routed)
                .flat_map(|(part, idx)| judge(part, idx))
                .collect()
        };
        results.sort_by_key(|(i, _)| *i);
        let ops: Vec<Op> = results.into_iter().flat_map(|(_, ops)| ops).collect();
        // 3. Shared.
        let horizon = Detector::horizon(cfg);
        let changes = self
            .shared
            .apply(&events, ops, &ctx, horizon, &reclassified);
        self.shared.sweep(horizon, &mut self.prevalence);
        changes
    }

    /// Like [`Detector::process`] for sign-ins already in event order (`hunt`).
    pub(crate) fn process_ordered(
        &mut self,
        events: Vec<Ev>,
        cfg: &DetectConfig,
        indicators: &IndicatorSet,
    ) -> Vec<Change> {
        self.counts.signins += events.len() as u64;
        self.process_sorted(events, cfg, indicators)
    }

    /// The detector's whole state, to store with a checkpoint: JSON, gzip-compressed at
    /// the fastest level (the state holds every sign-in of the horizon, often tens of
    /// megabytes of JSON that compress about tenfold).
    pub fn snapshot(&self) -> Result<Vec<u8>, SnapshotError> {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        // The compressor gets the JSON in large pieces: it pays a fixed cost per write, and
        // the serializer writes every token on its own.
        let mut out = std::io::BufWriter::with_capacity(1 << 20, gz);
        serde_json::to_writer(&mut out, self)?;
        let gz = out.into_inner().map_err(|e| e.into_error())?;
        Ok(gz.finish()?)
    }

    /// A detector from [`Detector::snapshot`]'s bytes (or from plain JSON, as snapshots
    /// were first stored). Refuses a snapshot of another format version or one written
    /// under another identity hashing.
    pub fn restore(bytes: &[u8]) -> Result<Detector, SnapshotError> {
        let d: Detector = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut json = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut json)?;
            serde_json::from_slice(&json)?
        } else {
            serde_json::from_slice(bytes)?
        };
        if d.version != SNAPSHOT_VERSION {
            return Err(SnapshotError::Version {
                found: d.version,
                expected: SNAPSHOT_VERSION,
            });
        }
        if d.probe != probe() {
            return Err(SnapshotError::Hashing);
        }
        Ok(d)
    }

    /// Repartitions the identities (after a restore with another partition count).
    pub fn repartition(&mut self, partitions: usize) {
        let n = partitions.max(1);
        if n == self.partitions.len() {
            return;
        }
        let mut parts = vec![Partition::default(); n];
        for old in std::mem::take(&mut self.partitions) {
            for (k, id) in old.identities {
                parts[(k % n as u64) as usize].identities.insert(k, id);
            }
            parts[0].stats.add(&old.stats);
        }
        self.partitions = parts;
    }

    pub fn partitions(&self) -> usize {
        self.partitions.len()
    }

    pub(crate) fn judge_stats(&self) -> JudgeStats {
        let mut s = JudgeStats::default();
        for p in &self.partitions {
            s.add(&p.stats);
        }
        s
    }

    pub(crate) fn spray_suppressed(&self) -> usize {
        self.shared.spray_suppressed()
    }

    pub(crate) fn identity_table_bytes(&self) -> usize {
        self.partitions
            .iter()
            .map(|p| {
                let cap = p.identities.capacity();
                let buckets = if cap == 0 {
                    0
                } else {
                    (cap * 8 / 7).next_power_of_two()
                };
                buckets * (std::mem::size_of::<(u64, crate::identity::Identity)>() + 1)
            })
            .sum()
    }

    pub fn size(&self) -> DetectorSize {
        let (indexed, drafts, groups) = self.shared.sizes();
        DetectorSize {
            identities: self.partitions.iter().map(|p| p.identities.len()).sum(),
            networks: self.prevalence.networks(),
            indexed,
            drafts,
            groups,
        }
    }

    /// Sign-ins processed, and of them without a tenant.
    pub fn counts(&self) -> (u64, u64) {
        (self.counts.signins, self.counts.without_tenant)
    }
}
