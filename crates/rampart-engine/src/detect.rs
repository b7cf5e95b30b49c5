//! Detection by batch position: `rampart-detect`'s incremental [`Detector`] fed every
//! batch committed after its position, its changes stored as alerts under stable keys,
//! with the checkpoint — and now and then the detector's snapshot — in one transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rampart_detect::{Change, DetectConfig, Detector, IndicatorSet};

use crate::LiveIndicators;
use rampart_store::{DetectionReport, DetectionWrite, Store};

use crate::EngineError;

/// The checkpoint detection keeps in the store: the last batch seq whose findings are
/// stored. Its snapshot is stored under the same name.
pub const DETECT_CHECKPOINT: &str = "detect";

/// At most this many batches go through the detector in one round (a round over more
/// waits for the next).
const MAX_BATCHES_PER_ROUND: i64 = 256;

/// How often a server looks for indicators another process wrote, by default.
pub const DEFAULT_INDICATOR_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// What detection needs besides the store.
#[derive(Clone)]
pub struct DetectSettings {
    pub detect: Arc<DetectConfig>,
    /// The `--indicators` files plus the store's indicators, kept current; each round
    /// judges against the set as it stands when the round starts.
    pub indicators: LiveIndicators,
    /// How often the engine looks for indicators (and retro-hunt jobs) another process
    /// wrote to the store.
    pub indicator_poll: std::time::Duration,
    /// Identity partitions of the detector, each judged on its own thread.
    pub partitions: usize,
    /// A snapshot of the detector is taken once at least this many sign-ins went through
    /// it since the last snapshot, and at least as many as the last snapshot held (a
    /// snapshot costs about what replaying the sign-ins it holds costs: this keeps the cost
    /// of snapshots per sign-in bounded as the state grows, and a restart never replays
    /// much more than the state it restores). It is written in the background after the
    /// round's checkpoint. A restart replays the batches after the snapshot.
    pub snapshot_every: u64,
}

impl DetectSettings {
    /// One partition per core; a snapshot every 20,000 sign-ins; the store polled for
    /// indicators every [`DEFAULT_INDICATOR_POLL`]. `indicators` are the fixed ones (the
    /// `--indicators` files); the store's join them when the engine starts. Allowed
    /// lateness is the detector's (`Params::allowed_lateness_h`, 48 h by default).
    pub fn new(detect: DetectConfig, indicators: IndicatorSet) -> DetectSettings {
        DetectSettings {
            detect: Arc::new(detect),
            indicators: LiveIndicators::new(indicators),
            indicator_poll: DEFAULT_INDICATOR_POLL,
            partitions: std::thread::available_parallelism().map_or(1, |n| n.get()),
            snapshot_every: 20_000,
        }
    }
}

/// The detector and where it stands, kept by the worker between rounds.
pub struct Detection {
    detector: Detector,
    /// The last batch seq the detector has seen.
    position: i64,
    since_snapshot: u64,
    /// Sign-ins the detector held when the last snapshot was taken (or restored).
    held_at_snapshot: u64,
    /// Set while a snapshot is being compressed and written in the background.
    writing: Arc<AtomicBool>,
}

impl Detection {
    /// The detector as the store has it: the stored snapshot (an unreadable one is
    /// reported and detection starts over from the first batch), or an empty detector at
    /// position 0. Rounds from here replay whatever was stored after it.
    pub async fn recover(
        store: &Store,
        settings: &DetectSettings,
    ) -> Result<Detection, EngineError> {
        let snapshot = store.snapshot(DETECT_CHECKPOINT).await?;
        let partitions = settings.partitions;
        let restored = tokio::task::spawn_blocking(move || {
            let snapshot = snapshot?;
            match Detector::restore(&snapshot.data) {
                Ok(mut d) => {
                    d.repartition(partitions);
                    Some((d, snapshot.position))
                }
                Err(e) => {
                    tracing::warn!(
                        "the stored detector snapshot at batch {} cannot be used ({e}): replaying every stored batch",
                        snapshot.position
                    );
                    None
                }
            }
        })
        .await
        .map_err(|e| EngineError::Internal(format!("restoring the detector failed: {e}")))?;
        let (detector, position) =
            restored.unwrap_or_else(|| (Detector::new(settings.partitions), 0));
        Ok(Detection {
            held_at_snapshot: detector.size().indexed as u64,
            detector,
            position,
            since_snapshot: 0,
            writing: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Whether a snapshot taken by an earlier round is still being written.
    pub fn snapshot_pending(&self) -> bool {
        self.writing.load(Ordering::Acquire)
    }

    /// The flag behind [`Detection::snapshot_pending`], to watch it from elsewhere.
    pub fn snapshot_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.writing)
    }

    /// The last batch seq the detector has seen.
    pub fn position(&self) -> i64 {
        self.position
    }

    pub fn detector(&self) -> &Detector {
        &self.detector
    }

    /// Feeds the detector the sign-ins first stored by batches after its position, up to
    /// `upto` (at most [`MAX_BATCHES_PER_ROUND`] batches; call again while behind), and
    /// stores the changed alerts with the new checkpoint in one transaction. Returns what
    /// was stored and the position reached.
    ///
    /// When a snapshot is due (see [`DetectSettings::snapshot_every`]: at least that many
    /// sign-ins since the last, and at least as many as the last one held, so that
    /// snapshots cost a bounded amount per sign-in however large the state grows), the
    /// round copies the detector and a background task serializes, compresses and stores
    /// the copy at this round's position once the round's checkpoint is stored; detection
    /// and ingest go on meanwhile. One snapshot is written at a time.
    ///
    /// After a crash the next [`Detection::recover`] starts from the last snapshot and
    /// replays; the replayed findings carry the same keys, so nothing is raised twice.
    pub async fn run(
        self,
        store: &Store,
        settings: &DetectSettings,
        upto: i64,
    ) -> Result<(Detection, DetectionReport), EngineError> {
        let upto = upto.min(self.position + MAX_BATCHES_PER_ROUND);
        if upto <= self.position {
            return Ok((self, DetectionReport::default()));
        }
        let new = store.signins_in_batches(self.position, upto).await?;
        let count = new.len() as u64;
        let since = self.since_snapshot + count;
        let due =
            since >= settings.snapshot_every.max(self.held_at_snapshot) && !self.snapshot_pending();
        let detect = Arc::clone(&settings.detect);
        // One set for the whole round, whatever is added meanwhile.
        let indicators = settings.indicators.current();
        let writing = self.writing;
        let (detector, changes, copy) = tokio::task::spawn_blocking(move || {
            let mut detector = self.detector;
            let batch = new.into_iter().map(|s| s.signin).collect();
            let changes = detector.process(batch, &detect, &indicators);
            let copy = due.then(|| (detector.clone(), detector.size().indexed as u64));
            (detector, changes, copy)
        })
        .await
        .map_err(|e| EngineError::Internal(format!("detection task failed: {e}")))?;
        let mut upserts = Vec::new();
        let mut withdrawals = Vec::new();
        for change in net(changes) {
            match change {
                Change::Upsert { key, finding } => upserts.push((key, finding)),
                Change::Withdraw { key } => withdrawals.push(key),
            }
        }
        let report = store
            .write_detection(&DetectionWrite {
                upserts: &upserts,
                withdrawals: &withdrawals,
                checkpoint: (DETECT_CHECKPOINT, upto),
            })
            .await?;
        let (since_snapshot, held_at_snapshot) = match copy {
            Some((copy, held)) => {
                writing.store(true, Ordering::Release);
                tokio::spawn(write_snapshot(
                    store.clone(),
                    copy,
                    upto,
                    Arc::clone(&writing),
                ));
                (0, held)
            }
            None => (since, self.held_at_snapshot),
        };
        Ok((
            Detection {
                detector,
                position: upto,
                since_snapshot,
                held_at_snapshot,
                writing,
            },
            report,
        ))
    }
}

/// Serializes and compresses `detector` (off the async threads) and stores it at
/// `position`; clears `writing` when done. A failure is logged; the next due round takes
/// another snapshot.
async fn write_snapshot(store: Store, detector: Detector, position: i64, writing: Arc<AtomicBool>) {
    let started = std::time::Instant::now();
    let encoded = tokio::task::spawn_blocking(move || detector.snapshot()).await;
    let result = match encoded {
        Ok(Ok(data)) => {
            let encoded_ms = started.elapsed().as_millis() as u64;
            match store
                .write_snapshot(DETECT_CHECKPOINT, position, &data)
                .await
            {
                Ok(_) => {
                    tracing::debug!(
                        position,
                        bytes = data.len(),
                        encoded_ms,
                        total_ms = started.elapsed().as_millis() as u64,
                        "detector snapshot stored"
                    );
                    Ok(())
                }
                Err(e) => Err(e.to_string()),
            }
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => Err(format!("the snapshot task failed: {e}")),
    };
    if let Err(e) = result {
        tracing::error!(
            "the detector snapshot at batch {position} was not stored (a later round takes another): {e}"
        );
    }
    writing.store(false, Ordering::Release);
}

/// The net effect of a round's changes: the last change per key, in first-seen order.
fn net(changes: Vec<Change>) -> Vec<Change> {
    let mut last: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, c) in changes.iter().enumerate() {
        let key = match c {
            Change::Upsert { key, .. } | Change::Withdraw { key } => key.clone(),
        };
        last.insert(key, i);
    }
    changes
        .into_iter()
        .enumerate()
        .filter(|(i, c)| {
            let key = match c {
                Change::Upsert { key, .. } | Change::Withdraw { key } => key,
            };
            last.get(key) == Some(i)
        })
        .map(|(_, c)| c)
        .collect()
}
