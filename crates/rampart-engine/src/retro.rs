//! Retro-hunts: when indicators arrive, search stored history for sign-ins they name.
//!
//! Only address indicators (IPs and networks) can name a sign-in. Their networks are
//! merged where they overlap, sorted, and searched as indexed range scans of the store's
//! sign-ins ([`Store::signins_in_networks`], [`RANGES_PER_QUERY`] ranges a query); the
//! sign-ins found are judged by `rampart-detect` exactly as live detection judges them
//! (the indicator must be live at the sign-in's own time, an allow entry in the same set
//! wins, an `amber+strict` or `red` indicator from one tenant matches no other), and the
//! `indicator_match` findings carry the reason `retro_hunt`. Alerts are raised only for
//! keys that have none yet ([`Store::raise_new_alerts`]): what live detection raised is
//! not rewritten, and running a retro-hunt twice raises nothing twice.
//!
//! The server runs retro-hunts as jobs ([`run_jobs`]): one at a time, in the order asked,
//! each stored with its status and progress; a job a stopped server left unfinished runs
//! again at the next start.

use std::collections::HashSet;
use std::sync::Arc;

use ipnet::IpNet;
use jiff::{SignedDuration, Timestamp};
use rampart_detect::{DetectConfig, IndicatorSet};
use rampart_intel::{Indicator, Observable, Verdict};
use rampart_model::{Evidence, Finding, FindingKind, Reason, ReasonEffect, SignIn};
use rampart_store::{DetectionReport, RetroHuntRow, RetroHuntUpdate, RetroStatus, Store};
use tokio::sync::mpsc;

use crate::{EngineError, LiveIndicators};

/// How far back a retro-hunt looks by default.
pub const DEFAULT_RETRO_WINDOW: SignedDuration = SignedDuration::from_hours(30 * 24);

/// Ranges searched by one store query (and between two progress updates of a job).
pub const RANGES_PER_QUERY: usize = 256;

/// What a retro-hunt did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RetroReport {
    /// Address indicators searched for (IPs and networks, not allow entries).
    pub searched: usize,
    /// The ranges scanned: those networks with overlapping ones merged.
    pub ranges: usize,
    /// Stored sign-ins inside one of them, since the window's start.
    pub candidates: usize,
    /// `indicator_match` findings (the indicator live at the sign-in's time).
    pub findings: Vec<Finding>,
    /// The alert key of each finding (the key live detection gives it), in the same order.
    pub keys: Vec<String>,
    /// What storing them as alerts did (`None` when not stored).
    pub stored: Option<DetectionReport>,
}

/// The networks of the address indicators among `indicators` (allow entries excluded):
/// what a retro-hunt for them searches.
pub fn retro_networks<'a>(indicators: impl IntoIterator<Item = &'a Indicator>) -> Vec<IpNet> {
    indicators
        .into_iter()
        .filter(|i| i.verdict != Verdict::BenignAllow)
        .filter_map(|i| match &i.observable {
            Observable::Ip(ip) => Some(IpNet::from(*ip)),
            Observable::Cidr(net) => Some(*net),
            _ => None,
        })
        .collect()
}

/// Searches the sign-ins stored since `since` for the address indicators of `indicators`,
/// and returns the `indicator_match` findings (marked `retro_hunt`), in time order.
pub async fn retro_hunt(
    store: &Store,
    detect: &DetectConfig,
    indicators: &IndicatorSet,
    since: Timestamp,
) -> Result<RetroReport, EngineError> {
    let networks = retro_networks(indicators.iter());
    retro_search(store, detect, indicators, &networks, since).await
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
        .keys
        .iter()
        .cloned()
        .zip(report.findings.iter().cloned())
        .collect();
    report.stored = Some(raise(store, &keyed).await?);
    Ok(report)
}

/// Searches the sign-ins stored since `since` inside `networks`, and judges them against
/// `judge` (every indicator known, so that allow entries and more specific indicators
/// decide as they would live).
pub async fn retro_search(
    store: &Store,
    detect: &DetectConfig,
    judge: &IndicatorSet,
    networks: &[IpNet],
    since: Timestamp,
) -> Result<RetroReport, EngineError> {
    let (mut report, signins) = gather(store, networks, since, None).await?;
    (report.keys, report.findings) = judge_all(signins, detect, judge).into_iter().unzip();
    Ok(report)
}

/// The sign-ins stored since `since` inside `networks`, by time, and the report so far.
/// With `job`, the job's progress is stored after each query.
async fn gather(
    store: &Store,
    networks: &[IpNet],
    since: Timestamp,
    job: Option<i64>,
) -> Result<(RetroReport, Vec<SignIn>), EngineError> {
    let ranges = IpNet::aggregate(&networks.to_vec());
    let mut report = RetroReport {
        searched: networks.len(),
        ranges: ranges.len(),
        ..RetroReport::default()
    };
    let mut progress = RetroHuntUpdate {
        total: ranges.len() as u64,
        ..RetroHuntUpdate::default()
    };
    let mut signins: Vec<SignIn> = Vec::new();
    // Ranges are disjoint after merging, except an IPv4 network and an IPv4-mapped IPv6
    // one: a sign-in found twice is judged once.
    let mut seen: HashSet<(String, String, String)> = HashSet::new();
    for chunk in ranges.chunks(RANGES_PER_QUERY) {
        for s in store.signins_in_networks(chunk, since).await? {
            let id = (
                s.tenant
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                s.source_format.as_str().to_owned(),
                s.record_id.clone(),
            );
            if seen.insert(id) {
                signins.push(s);
            }
        }
        progress.searched += chunk.len() as u64;
        progress.candidates = signins.len() as u64;
        if let Some(id) = job {
            store
                .update_retro_hunt(id, RetroStatus::Running, &progress)
                .await?;
        }
    }
    report.candidates = signins.len();
    signins.sort_by_key(|s| s.time);
    Ok((report, signins))
}

/// The `indicator_match` findings among `signins` (in time order), marked `retro_hunt`,
/// each under the key live detection gives it (the detector's own key: the same detector
/// runs here, so a sign-in live detection also matched, alone or merged with others from
/// the same address, ends under one alert).
fn judge_all(
    signins: Vec<SignIn>,
    detect: &DetectConfig,
    judge: &IndicatorSet,
) -> Vec<(String, Finding)> {
    if signins.is_empty() {
        return Vec::new();
    }
    let mut detector = rampart_detect::Detector::new(1);
    let mut standing = std::collections::BTreeMap::new();
    for change in detector.process(signins, detect, judge) {
        rampart_detect::apply(&mut standing, change);
    }
    let mut found: Vec<(String, Finding)> = standing
        .into_iter()
        .filter(|(_, f)| f.kind == FindingKind::IndicatorMatch)
        .map(|(k, f)| (k, mark_retro(f)))
        .collect();
    found.sort_by(|a, b| a.1.time.cmp(&b.1.time).then_with(|| a.0.cmp(&b.0)));
    found
}

/// Raises alerts for the retro-hunt findings that have none yet.
async fn raise(store: &Store, keyed: &[(String, Finding)]) -> Result<DetectionReport, EngineError> {
    Ok(store.raise_new_alerts(keyed).await?)
}

/// The alert key of a finding about one sign-in: kind, tenant, user and the sign-in, the
/// key live detection gives it (`rampart_detect::Change::Upsert`). Retro-hunts key their
/// findings with the detector itself ([`RetroReport::keys`]), which also covers findings
/// merged from several sign-ins.
pub fn retro_key(f: &Finding) -> String {
    rampart_detect::finding_key(
        f.kind,
        f.tenant.as_str(),
        &f.user,
        f.event_ids.last().map(String::as_str).unwrap_or(""),
    )
}

/// Whether a finding came from a retro-hunt (carries the `retro_hunt` reason).
pub fn is_retro(f: &Finding) -> bool {
    matches!(&f.evidence, Evidence::Indicator(e) if e.reasons.iter().any(|r| r.code == "retro_hunt"))
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

/// Runs retro-hunt jobs one at a time: first those a stopped server left queued or
/// running, then, whenever woken by `jobs` (a job this process queued) or every `poll`,
/// each job still queued in the store — this process's, or one another process queued
/// (`rampart indicators import`, another server on the same database) — claimed first so
/// no two servers run one job. Ends when every sender of `jobs` is dropped.
pub(crate) async fn run_jobs(
    store: Store,
    detect: Arc<DetectConfig>,
    live: LiveIndicators,
    poll: std::time::Duration,
    mut jobs: mpsc::UnboundedReceiver<i64>,
) {
    match store.unfinished_retro_hunts().await {
        Ok(left) => {
            for job in left {
                tracing::info!(job = job.id, "running a retro-hunt left unfinished");
                run_job(&store, &detect, &live, job).await;
            }
        }
        Err(e) => tracing::error!("cannot read the unfinished retro-hunts: {e}"),
    }
    loop {
        tokio::select! {
            id = jobs.recv() => if id.is_none() { return },
            () = tokio::time::sleep(poll) => {}
        }
        while jobs.try_recv().is_ok() {}
        let queued = match store.queued_retro_hunts().await {
            Ok(q) => q,
            Err(e) => {
                tracing::error!("cannot read the queued retro-hunts: {e}");
                continue;
            }
        };
        for job in queued {
            match store.claim_retro_hunt(job.id).await {
                Ok(true) => run_job(&store, &detect, &live, job).await,
                Ok(false) => {}
                Err(e) => tracing::error!(job = job.id, "cannot claim the retro-hunt: {e}"),
            }
        }
    }
}

async fn run_job(
    store: &Store,
    detect: &Arc<DetectConfig>,
    live: &LiveIndicators,
    job: RetroHuntRow,
) {
    let id = job.id;
    let started = std::time::Instant::now();
    let outcome = async {
        // The job was stored after its indicators: a refresh now includes them. They are
        // judged as live detection judges (the files' indicators and the store's).
        live.refresh(store).await?;
        let judge = live.current();
        let (mut report, signins) = gather(store, &job.networks, job.since, Some(id)).await?;
        let detect = Arc::clone(detect);
        let keyed = tokio::task::spawn_blocking(move || judge_all(signins, &detect, &judge))
            .await
            .map_err(|e| EngineError::Internal(format!("retro-hunt task failed: {e}")))?;
        let stored = raise(store, &keyed).await?;
        (report.keys, report.findings) = keyed.into_iter().unzip();
        let done = RetroHuntUpdate {
            total: report.ranges as u64,
            searched: report.ranges as u64,
            candidates: report.candidates as u64,
            findings: report.findings.len() as u64,
            alerts_raised: stored.inserted,
            alerts_existing: stored.unchanged,
            error: None,
        };
        store
            .update_retro_hunt(id, RetroStatus::Done, &done)
            .await?;
        Ok::<_, EngineError>(done)
    }
    .await;
    match outcome {
        Ok(done) => tracing::info!(
            job = id,
            ranges = done.total,
            candidates = done.candidates,
            findings = done.findings,
            raised = done.alerts_raised,
            seconds = started.elapsed().as_secs_f64(),
            "retro-hunt done"
        ),
        Err(e) => {
            tracing::error!(job = id, "retro-hunt failed: {e}");
            let failed = RetroHuntUpdate {
                error: Some("the retro-hunt failed (see the server log)".to_owned()),
                ..RetroHuntUpdate::default()
            };
            if let Err(e) = store
                .update_retro_hunt(id, RetroStatus::Failed, &failed)
                .await
            {
                tracing::error!(job = id, "cannot record the failure of the retro-hunt: {e}");
            }
        }
    }
}
