//! The streaming pipeline behind `rampart serve`: durable ingest, detection by batch
//! position, back-pressure.
//!
//! - **Ingest** ([`Engine::ingest`]): a tenant's request body in any format `hunt` reads
//!   → decode ([`decode_batch`]) → tenant assignment ([`Tenants::assign`]: a record
//!   claimed by another tenant is refused) → enrichment → one transaction storing the
//!   accepted sign-ins and the dead letters ([`rampart_store::Store::commit_batch`]).
//!   Only then is the answer given: an accepted batch is durable.
//! - **Back-pressure**: a bounded queue of committed batches waiting for detection. When
//!   it is full, ingest refuses *before* storing anything ([`EngineError::Busy`], which
//!   the server answers with 429 and `Retry-After`).
//! - **Detection** ([`Detection`]): one worker task keeps `rampart-detect`'s incremental
//!   [`Detector`](rampart_detect::Detector) and feeds it, round by round, the sign-ins of
//!   every batch committed after its position. Each round's changes to findings are stored
//!   as alerts under the detector's stable keys (a finding that no longer stands is
//!   withdrawn) with the new checkpoint in one transaction. Now and then (see
//!   [`DetectSettings::snapshot_every`]) a copy of the detector is compressed and stored
//!   in the background, at the position of the round it was taken in. After a crash
//!   (`kill -9`) the worker restores the last snapshot and replays the batches stored
//!   after it: no accepted sign-in is missed, and the replayed findings carry the keys
//!   they had, so no alert is raised twice.
//!
//! **Event time.** The detector judges each tenant's sign-ins in event order (a round's
//! sign-ins are sorted first), whatever batches they came in: the same sign-ins give the
//! same alerts as `rampart hunt`, in one batch or record by record, as long as each
//! tenant's records arrive in event order up to the allowed lateness (48 h by default,
//! `Params::allowed_lateness_h`). A sign-in that arrives later than its identity's newest
//! is not held back in a reorder buffer (that would hold every alert for the lateness):
//! it is judged at once against both of its neighbours among the identity's recent
//! endpoints, and a finding about a neighbour amends that neighbour's alert (one travel
//! finding per subject; findings about one IP within the merge window fold into one
//! alert) instead of raising a second one. A sign-in older than its tenant's watermark
//! (newest − allowed lateness) is stored, matched against indicators and the IP indexes,
//! but too late to judge as travel (counted, `not_endpoint: too_late`). Backfills should
//! therefore be sent oldest first (Graph lists newest first: send its pages in reverse, or
//! in one batch).
//!
//! **Partitions.** Identity state is partitioned by identity hash, one partition per core
//! by default ([`DetectSettings::partitions`]), each judged on its own thread within a
//! round; tenant prevalence, the IP indexes (sprays, cross-tenant correlation) and merging
//! are shared and tenant-keyed.
//!
//! **Indicators, live** ([`LiveIndicators`], in [`DetectSettings::indicators`]): detection
//! matches the `--indicators` files plus every indicator in the store (with its
//! provenance and TLP, so an `amber+strict`/`red` indicator from one tenant's alert
//! matches only that tenant; decay and expiry as stored). The set is loaded at start and
//! swapped whole when indicators change — a round takes it once, so it judges all its
//! sign-ins against one set. Changes are applied to a copy, never reloaded: the store
//! stamps each write with a revision, and a refresh reads only the rows written after the
//! revision it last saw (new rows inserted, changed rows — verdict, confidence, expiry —
//! updated in place). [`Engine::refresh_indicators`] runs after an API add; every
//! [`DetectSettings::indicator_poll`] (2 s by default) the engine reads the store's
//! revision (one indexed `MAX`) to follow what another process wrote (`rampart
//! indicators import`, another server on the same PostgreSQL). Rows are never removed
//! from the store, so none are unloaded.
//!
//! **Retro-hunts** ([`Engine::queue_retro_hunt`]): when indicators are added, a job
//! searches the stored sign-ins of a window for them and raises `indicator_match` alerts
//! marked `retro_hunt`, never rewriting an alert and never raising one twice (see
//! [`retro_hunt`]). Jobs run one at a time beside detection, their progress stored. The
//! runner also takes, every poll, jobs another process queued in the store (`rampart
//! indicators import` queues one), claiming each so two servers never run one job; it
//! refreshes the indicators before each job and judges with the live set. A sign-in
//! stored before its indicator arrived but detected after is found by both live
//! detection and the retro-hunt: both key the finding with the detector's own key, so it
//! is one alert whichever writes first (the later write amends or leaves it).
//!
//! Positions are batch sequence numbers, so a message bus can later drive
//! [`Detection::run`] with its own partitioning and acknowledgements.
//!
//! This crate knows nothing of HTTP (the binary's server does) and no SQL (the store
//! does).

mod decode;
mod detect;
mod learn;
mod live;
mod metrics;
mod retro;
mod tenants;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rampart_model::TenantId;
use rampart_store::{DeadLetter, NewBatch, Store, StoreError};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use decode::{DecodedBatch, decode_batch};
pub use detect::{DEFAULT_INDICATOR_POLL, DETECT_CHECKPOINT, DetectSettings, Detection};
pub use learn::{LEARNED_CONFIDENCE, attacker_addresses, learned_indicators, malicious_tie};
pub use live::{LiveIndicators, Refreshed};
pub use metrics::{Gauges, Metrics};
pub use retro::{
    DEFAULT_RETRO_WINDOW, RANGES_PER_QUERY, RetroReport, is_retro, retro_hunt,
    retro_hunt_and_alert, retro_key, retro_networks, retro_search,
};
pub use tenants::{AssignError, Tenants};

/// An engine operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The detection queue is full: try again after `retry_after_secs`.
    #[error("the engine is behind ({depth} batches waiting); retry in {retry_after_secs} s")]
    Busy { depth: usize, retry_after_secs: u64 },
    /// The tenant is not configured.
    #[error("unknown tenant {0}")]
    UnknownTenant(String),
    /// No such dead letter.
    #[error("no dead letter {0}")]
    NoDeadLetter(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A task of the engine failed.
    #[error("{0}")]
    Internal(String),
}

/// How to run the engine.
#[derive(Clone)]
pub struct EngineConfig {
    pub tenants: Tenants,
    pub detect: DetectSettings,
    /// Committed batches that may wait for detection before ingest answers busy.
    pub queue_capacity: usize,
    pub geoip: Option<Arc<rampart_geo::GeoIp>>,
    /// Spawn the detection worker. Off: batches are only stored and queued, and something
    /// else drives [`Detection::run`] (a bus consumer; tests of back-pressure).
    pub run_worker: bool,
}

/// What an ingest request did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IngestReport {
    /// The batch's sequence number.
    pub batch: i64,
    /// Sign-ins accepted (stored, durable), including `duplicates`.
    pub accepted: u64,
    /// Accepted sign-ins that were already stored (same tenant, format, record id).
    pub duplicates: u64,
    /// Records of a known format that are not sign-ins (counted, not stored).
    pub skipped: u64,
    /// Records refused (kept as dead letters).
    pub rejected: u64,
    pub errors: Vec<RecordError>,
}

/// One refused record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordError {
    /// 1-based record number in the body; 0 for the body as a whole.
    pub index: u64,
    pub reason: String,
    /// The dead letter that keeps it.
    pub dead_letter: i64,
}

/// The result of retrying a dead letter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RetryOutcome {
    /// It was accepted now, in this batch.
    Accepted { batch: i64 },
    /// It is still refused, for this reason.
    Rejected { reason: String },
}

struct Inner {
    store: Store,
    config: EngineConfig,
    queue: mpsc::Sender<i64>,
    metrics: Metrics,
    /// One commit at a time in this process (batches are numbered in commit order).
    ingest_lock: tokio::sync::Mutex<()>,
    /// Without a worker, the queue's receiving end is kept here (the queue then fills).
    parked: std::sync::Mutex<Option<mpsc::Receiver<i64>>>,
    /// Retro-hunt jobs to run (their ids), one at a time.
    retro_jobs: mpsc::UnboundedSender<i64>,
    /// The last batch seq whose findings are stored, published after every round.
    detected: tokio::sync::watch::Sender<i64>,
    /// Set while the worker's detector snapshot is being written ([`Detection::snapshot_flag`]).
    snapshot_writing: std::sync::Mutex<Option<Arc<std::sync::atomic::AtomicBool>>>,
}

/// The running engine. Cloning shares it.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl Engine {
    /// Starts the engine on `store`: syncs the configured tenants into it and spawns the
    /// detection worker, which first catches up from the stored checkpoint. Must be
    /// called inside a tokio runtime. The worker ends when every clone of the engine is
    /// dropped.
    pub async fn start(
        store: Store,
        config: EngineConfig,
    ) -> Result<(Engine, JoinHandle<()>), EngineError> {
        for (slug, name) in config.tenants.iter() {
            store.upsert_tenant(slug, name).await?;
        }
        // Detection matches the store's indicators from its first round on.
        let loaded = config.detect.indicators.refresh(&store).await?;
        tracing::info!(
            stored = loaded.added,
            total = config.detect.indicators.current().len(),
            revision = loaded.revision,
            "indicators loaded"
        );
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let (retro_tx, retro_rx) = mpsc::unbounded_channel();
        tokio::spawn(retro::run_jobs(
            store.clone(),
            Arc::clone(&config.detect.detect),
            config.detect.indicators.clone(),
            config.detect.indicator_poll,
            retro_rx,
        ));
        let inner = Arc::new(Inner {
            store,
            config,
            queue: tx,
            metrics: Metrics::default(),
            ingest_lock: tokio::sync::Mutex::new(()),
            parked: std::sync::Mutex::new(None),
            retro_jobs: retro_tx,
            detected: tokio::sync::watch::Sender::new(0),
            snapshot_writing: std::sync::Mutex::new(None),
        });
        let worker = if inner.config.run_worker {
            tokio::spawn(run_worker(Arc::downgrade(&inner), rx))
        } else {
            if let Ok(mut parked) = inner.parked.lock() {
                *parked = Some(rx);
            }
            tokio::spawn(async {})
        };
        tokio::spawn(poll_indicators(
            Arc::downgrade(&inner),
            inner.config.detect.indicator_poll,
        ));
        Ok((Engine { inner }, worker))
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn tenants(&self) -> &Tenants {
        &self.inner.config.tenants
    }

    /// What detection runs with (its indicators among them).
    pub fn settings(&self) -> &DetectSettings {
        &self.inner.config.detect
    }

    /// Brings detection's indicator set up to the store now (after indicators were added
    /// through this process): the next round matches them. Other processes' additions are
    /// picked up every [`DetectSettings::indicator_poll`] anyway.
    pub async fn refresh_indicators(&self) -> Result<Refreshed, EngineError> {
        self.inner
            .config
            .detect
            .indicators
            .refresh(&self.inner.store)
            .await
    }

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Batches committed and waiting in the queue.
    pub fn queue_depth(&self) -> usize {
        self.inner.queue.max_capacity() - self.inner.queue.capacity()
    }

    pub fn queue_capacity(&self) -> usize {
        self.inner.queue.max_capacity()
    }

    /// The last batch seq whose findings are stored as alerts, as the detection worker
    /// publishes it after each round (0 until its first round). A batch's alerts are
    /// visible once this reaches the seq its ingest answered with.
    pub fn detected(&self) -> tokio::sync::watch::Receiver<i64> {
        self.inner.detected.subscribe()
    }

    /// Committed batches not yet through detection.
    pub async fn lag(&self) -> Result<u64, EngineError> {
        let done = self
            .inner
            .store
            .checkpoint(DETECT_CHECKPOINT)
            .await?
            .unwrap_or(0);
        let last = self.inner.store.last_batch_seq().await?;
        Ok(u64::try_from(last - done).unwrap_or(0))
    }

    /// Gauges for [`Metrics::render`].
    pub async fn gauges(&self) -> Result<Gauges, EngineError> {
        Ok(Gauges {
            queue_depth: self.queue_depth() as u64,
            queue_capacity: self.queue_capacity() as u64,
            lag_batches: self.lag().await?,
            alerts_by_kind: self.inner.store.alert_counts().await?,
        })
    }

    /// Ingests a request body sent to `tenant`'s route: decodes it, stores accepted
    /// sign-ins and dead letters in one transaction, queues the batch for detection.
    /// Refuses with [`EngineError::Busy`] before storing anything when the queue is full.
    pub async fn ingest(
        &self,
        tenant: &TenantId,
        body: Vec<u8>,
        origin: &str,
    ) -> Result<IngestReport, EngineError> {
        if !self.inner.config.tenants.contains(tenant) {
            return Err(EngineError::UnknownTenant(tenant.to_string()));
        }
        let permit = self.reserve()?;
        let decoded = {
            let tenants = self.inner.config.tenants.clone();
            let geoip = self.inner.config.geoip.clone();
            let route = tenant.clone();
            tokio::task::spawn_blocking(move || {
                decode_batch(&body, &route, &tenants, geoip.as_deref())
            })
            .await
            .map_err(|e| EngineError::Internal(format!("decoding task failed: {e}")))?
        };
        self.commit(tenant, origin, &decoded, None, permit).await
    }

    fn reserve(&self) -> Result<mpsc::Permit<'_, i64>, EngineError> {
        self.inner.queue.try_reserve().map_err(|_| {
            self.inner
                .metrics
                .refused_busy
                .fetch_add(1, Ordering::Relaxed);
            EngineError::Busy {
                depth: self.queue_depth(),
                retry_after_secs: 1,
            }
        })
    }

    async fn commit(
        &self,
        tenant: &TenantId,
        origin: &str,
        decoded: &DecodedBatch,
        resolves: Option<i64>,
        permit: mpsc::Permit<'_, i64>,
    ) -> Result<IngestReport, EngineError> {
        let receipt = {
            let _one_at_a_time = self.inner.ingest_lock.lock().await;
            self.inner
                .store
                .commit_batch(&NewBatch {
                    tenant,
                    origin,
                    signins: &decoded.signins,
                    skipped: decoded.skipped_total(),
                    dead_letters: &decoded.dead_letters,
                    resolves,
                })
                .await?
        };
        permit.send(receipt.seq);
        let m = &self.inner.metrics;
        for s in &decoded.signins {
            m.accepted(tenant.as_str(), s.source_format.as_str(), 1);
        }
        m.rejected(tenant.as_str(), decoded.dead_letters.len() as u64);
        m.skipped(tenant.as_str(), decoded.skipped_total());
        Ok(IngestReport {
            batch: receipt.seq,
            accepted: receipt.inserted + receipt.duplicates,
            duplicates: receipt.duplicates,
            skipped: decoded.skipped_total(),
            rejected: decoded.dead_letters.len() as u64,
            errors: decoded
                .dead_letters
                .iter()
                .zip(&receipt.dead_letter_ids)
                .map(|(d, id)| RecordError {
                    index: d.index,
                    reason: d.reason.clone(),
                    dead_letter: *id,
                })
                .collect(),
        })
    }

    /// Decodes a dead letter's record again (the configuration may have changed). When it
    /// is accepted now, it is stored as a new batch that resolves the dead letter in the
    /// same transaction; otherwise the dead letter keeps the new reason.
    pub async fn retry_dead_letter(
        &self,
        letter: &DeadLetter,
    ) -> Result<RetryOutcome, EngineError> {
        if letter.status != "open" {
            return Ok(RetryOutcome::Rejected {
                reason: format!("dead letter {} is {}, not open", letter.id, letter.status),
            });
        }
        let tenant = TenantId::new(&letter.tenant)
            .map_err(|_| EngineError::UnknownTenant(letter.tenant.clone()))?;
        let Some(raw) = &letter.raw else {
            let reason = format!(
                "{} (no record text was kept, so it cannot be retried)",
                letter.reason
            );
            self.inner
                .store
                .dead_letter_retry_failed(letter.id, &reason, false)
                .await?;
            return Ok(RetryOutcome::Rejected { reason });
        };
        let permit = self.reserve()?;
        // A kept sign-in (refused at tenant assignment) is stored as normalized JSON.
        let decoded = match serde_json::from_str::<rampart_model::SignIn>(raw) {
            Ok(s) => {
                let mut out = DecodedBatch::default();
                out.accept(
                    s,
                    1,
                    &tenant,
                    &self.inner.config.tenants,
                    self.inner.config.geoip.as_deref(),
                );
                out
            }
            Err(_) => decode_batch(
                raw.as_bytes(),
                &tenant,
                &self.inner.config.tenants,
                self.inner.config.geoip.as_deref(),
            ),
        };
        if decoded.signins.is_empty() || !decoded.dead_letters.is_empty() {
            let reason = decoded
                .dead_letters
                .first()
                .map(|d| d.reason.clone())
                .unwrap_or_else(|| "the record holds no sign-in".to_owned());
            let retryable = decoded.dead_letters.first().is_some_and(|d| d.retryable);
            self.inner
                .store
                .dead_letter_retry_failed(letter.id, &reason, retryable)
                .await?;
            return Ok(RetryOutcome::Rejected { reason });
        }
        let origin = format!("retry of dead letter {}", letter.id);
        let report = self
            .commit(&tenant, &origin, &decoded, Some(letter.id), permit)
            .await?;
        Ok(RetryOutcome::Accepted {
            batch: report.batch,
        })
    }

    /// Queues a retro-hunt of the sign-ins stored since `since` for `networks` (see
    /// [`retro_networks`]); returns the job's id. Jobs run one at a time in the background,
    /// their status and progress stored ([`Store::retro_hunt`]).
    pub async fn queue_retro_hunt(
        &self,
        actor: &str,
        networks: &[ipnet::IpNet],
        indicators: u64,
        since: jiff::Timestamp,
    ) -> Result<i64, EngineError> {
        let id = self
            .inner
            .store
            .create_retro_hunt(&rampart_store::NewRetroHunt {
                actor,
                since,
                networks,
                indicators,
            })
            .await?;
        // The runner lives as long as the engine; a job it never got runs at the next start.
        if self.inner.retro_jobs.send(id).is_err() {
            tracing::warn!(
                job = id,
                "the retro-hunt runner has stopped: the job runs at the next start"
            );
        }
        Ok(id)
    }

    /// Waits until the retro-hunt `id` is done or failed, or `timeout` passes; returns it
    /// as it then stands.
    pub async fn wait_retro_hunt(
        &self,
        id: i64,
        timeout: Duration,
    ) -> Result<Option<rampart_store::RetroHuntRow>, EngineError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let job = self.inner.store.retro_hunt(id).await?;
            let finished = job.as_ref().is_none_or(|j| {
                matches!(
                    j.status,
                    rampart_store::RetroStatus::Done | rampart_store::RetroStatus::Failed
                )
            });
            if finished || tokio::time::Instant::now() >= deadline {
                return Ok(job);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether the detection worker is writing a snapshot of its state.
    pub fn snapshot_pending(&self) -> bool {
        self.inner.snapshot_writing.lock().is_ok_and(|flag| {
            flag.as_ref()
                .is_some_and(|f| f.load(std::sync::atomic::Ordering::Acquire))
        })
    }

    /// Waits until detection has caught up with every committed batch and no snapshot is
    /// being written (for tests and orderly shutdown), or `timeout` passes; returns whether
    /// it caught up.
    pub async fn wait_idle(&self, timeout: Duration) -> Result<bool, EngineError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.lag().await? == 0 && !self.snapshot_pending() {
                return Ok(true);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Every `every`, brings detection's indicators up to the store (one revision number read
/// when nothing changed): what `rampart indicators import` or another server on the same
/// database wrote. Ends with the engine.
async fn poll_indicators(inner: std::sync::Weak<Inner>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(inner) = inner.upgrade() else { return };
        match inner.config.detect.indicators.refresh(&inner.store).await {
            Ok(r) if r.added + r.updated > 0 => tracing::info!(
                added = r.added,
                updated = r.updated,
                revision = r.revision,
                "indicators changed in the store: detection matches them from its next round"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!("cannot refresh the indicators (will retry): {e}"),
        }
    }
}

/// The detection worker: restore the detector (snapshot + replay), then rounds until
/// caught up with every committed batch, then one wake-up per committed batch (several
/// waiting wake-ups make one round). A failed round is retried from the stored state.
async fn run_worker(inner: std::sync::Weak<Inner>, mut rx: mpsc::Receiver<i64>) {
    let mut detection: Option<Detection> = None;
    loop {
        let behind = {
            let Some(inner) = inner.upgrade() else { return };
            match round(&inner, detection.take()).await {
                Ok((d, behind)) => {
                    if let Ok(mut flag) = inner.snapshot_writing.lock() {
                        *flag = Some(d.snapshot_flag());
                    }
                    inner.detected.send_if_modified(|p| {
                        let moved = *p != d.position();
                        *p = d.position();
                        moved
                    });
                    detection = Some(d);
                    behind
                }
                Err(e) => {
                    tracing::error!("detection round failed (will retry): {e}");
                    drop(inner);
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            }
        };
        if behind {
            continue;
        }
        if rx.recv().await.is_none() {
            return;
        }
        while rx.try_recv().is_ok() {}
    }
}

/// One round; returns the detection state and whether batches are still waiting.
async fn round(
    inner: &Inner,
    detection: Option<Detection>,
) -> Result<(Detection, bool), EngineError> {
    let detection = match detection {
        Some(d) => d,
        None => Detection::recover(&inner.store, &inner.config.detect).await?,
    };
    let after = detection.position();
    let last = inner.store.last_batch_seq().await?;
    if last <= after {
        return Ok((detection, false));
    }
    let (detection, report) = detection
        .run(&inner.store, &inner.config.detect, last)
        .await?;
    inner
        .metrics
        .detection_rounds
        .fetch_add(1, Ordering::Relaxed);
    tracing::info!(
        after,
        upto = detection.position(),
        inserted = report.inserted,
        amended = report.amended,
        unchanged = report.unchanged,
        withdrawn = report.withdrawn,
        "detection round"
    );
    let behind = detection.position() < last;
    Ok((detection, behind))
}
