//! Detection by batch position: the detectors of `hunt`, run over stored history for the
//! sign-ins new in a range of batches, with alerts upserted under idempotent keys.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use rampart_detect::{DetectConfig, IndicatorSet};
use rampart_model::{Finding, FindingKind};
use rampart_store::{DetectionReport, Store};

use crate::EngineError;

/// The checkpoint detection keeps in the store: the last batch seq whose findings are stored.
pub const DETECT_CHECKPOINT: &str = "detect";

/// What detection needs besides the store.
#[derive(Clone)]
pub struct DetectSettings {
    pub detect: Arc<DetectConfig>,
    pub indicators: Arc<IndicatorSet>,
    /// How much history before the earliest new sign-in the detectors see (their horizon:
    /// baselines, prevalence, sprays, cross-tenant windows).
    pub horizon: SignedDuration,
    /// Allowed lateness, added to the horizon.
    pub lateness: SignedDuration,
}

impl DetectSettings {
    /// 14 days of horizon and 48 hours of allowed lateness.
    pub fn new(detect: DetectConfig, indicators: IndicatorSet) -> DetectSettings {
        DetectSettings {
            detect: Arc::new(detect),
            indicators: Arc::new(indicators),
            horizon: SignedDuration::from_hours(14 * 24),
            lateness: SignedDuration::from_hours(48),
        }
    }
}

/// The idempotent key of a finding's alert: kind, tenant, user and the subject event
/// (the last of its event ids). Detection that runs again over the same events produces
/// the same keys, so the store amends instead of duplicating.
pub fn alert_key(f: &Finding) -> String {
    format!(
        "{}|{}|{}|{}",
        f.kind.as_str(),
        f.tenant,
        f.user,
        f.event_ids.last().map(String::as_str).unwrap_or("")
    )
}

/// Runs detection for the sign-ins first stored by batches `after < seq <= upto`, and
/// stores the resulting alerts together with the checkpoint `upto` (one transaction).
///
/// The detectors see every tenant's stored sign-ins from the earliest new sign-in's time
/// minus (horizon + lateness) onwards — cross-tenant detectors need all tenants — and the
/// findings kept are those naming at least one new sign-in among their events, plus every
/// cross-tenant finding (`password_spray`, `cross_tenant_ip`: new data at one tenant can
/// complete a finding about another's older sign-ins). Running a
/// range again (after a crash between detection and checkpoint) stores nothing twice.
/// This is the unit a bus consumer would drive: positions in, idempotent effects out.
pub async fn detect_range(
    store: &Store,
    settings: &DetectSettings,
    after: i64,
    upto: i64,
) -> Result<DetectionReport, EngineError> {
    let new = store.signins_in_batches(after, upto).await?;
    let Some(earliest) = new.iter().map(|s| s.signin.time).min() else {
        return Ok(store
            .store_detection(&[], (DETECT_CHECKPOINT, upto))
            .await?);
    };
    let new_ids: HashSet<String> = new.into_iter().map(|s| s.signin.record_id).collect();
    let since = earliest
        .checked_sub(settings.horizon + settings.lateness)
        .unwrap_or(Timestamp::MIN);
    let history = store.signins_since(since).await?;
    let settings = settings.clone();
    let findings = tokio::task::spawn_blocking(move || {
        rampart_detect::hunt(&history, &settings.detect, &settings.indicators).findings
    })
    .await
    .map_err(|e| EngineError::Internal(format!("detection task failed: {e}")))?;
    let keyed: Vec<(String, Finding)> = findings
        .into_iter()
        .filter(|f| {
            // Cross-tenant kinds can be completed by another tenant's new data: keep them all
            // (idempotent upserts); other kinds only when they name a new sign-in.
            matches!(
                f.kind,
                FindingKind::PasswordSpray | FindingKind::CrossTenantIp
            ) || f.event_ids.iter().any(|id| new_ids.contains(id))
        })
        .map(|f| (alert_key(&f), f))
        .collect();
    Ok(store
        .store_detection(&keyed, (DETECT_CHECKPOINT, upto))
        .await?)
}
