//! `rampart hunt-history`: a retro-hunt of the store's sign-ins for indicators.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use jiff::{SignedDuration, Timestamp};
use rampart_engine::{RetroReport, retro_hunt, retro_hunt_and_alert};
use rampart_intel::IndicatorSet;
use rampart_store::IndicatorRepo;

use crate::config::Config;
use crate::output::{self, OutputFormat};

pub struct HuntHistoryArgs {
    pub since: String,
    pub config: Option<PathBuf>,
    pub store: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub indicators: Vec<PathBuf>,
    pub format: OutputFormat,
    pub no_alerts: bool,
}

/// `30d`, `12h`, `90m` back from `now`, or an RFC 3339 instant.
pub fn parse_since(s: &str, now: Timestamp) -> Result<Timestamp> {
    parse_since_named(s, now, "--since")
}

/// [`parse_since`], naming the value `name` in errors (an option, a query parameter).
pub fn parse_since_named(s: &str, now: Timestamp, name: &str) -> Result<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = n.parse().ok().filter(|n| *n >= 0).with_context(|| {
        format!("{name} {s:?}: give a duration back from now (30d, 12h, 90m) or an RFC 3339 time")
    })?;
    let secs_per = match unit {
        "d" => 86_400,
        "h" => 3_600,
        "m" => 60,
        _ => bail!(
            "{name} {s:?}: the unit must be d, h or m (30d, 12h, 90m), or give an RFC 3339 time"
        ),
    };
    n.checked_mul(secs_per)
        .and_then(|secs| now.checked_sub(SignedDuration::from_secs(secs)).ok())
        .with_context(|| format!("{name} {s:?} reaches before the earliest time Rampart knows"))
}

pub fn run(args: HuntHistoryArgs) -> Result<()> {
    let since = parse_since(&args.since, Timestamp::now())?;
    let config = args
        .config
        .as_deref()
        .map(Config::load)
        .transpose()?
        .unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let report = runtime.block_on(async {
        let store = crate::serve::open_store(args.store.as_deref(), args.data_dir.clone()).await?;
        let indicators =
            if args.indicators.is_empty() {
                let mut set = IndicatorSet::new();
                for i in store.all().await.with_context(|| {
                    format!("cannot read the indicators of {}", store.describe())
                })? {
                    set.insert(i);
                }
                eprintln!(
                    "hunt-history: {} indicators in {} ({} usable against sign-ins)",
                    set.len(),
                    store.describe(),
                    set.ip_indicators()
                );
                set
            } else {
                crate::hunt::load_indicators(&args.indicators, false)?
            };
        let detect = config.detect_config();
        let report: RetroReport = if args.no_alerts {
            retro_hunt(&store, &detect, &indicators, since).await
        } else {
            retro_hunt_and_alert(&store, &detect, &indicators, since).await
        }
        .with_context(|| format!("retro-hunt over {} failed", store.describe()))?;
        store.close().await;
        anyhow::Ok(report)
    })?;
    let names: BTreeMap<_, _> = config
        .tenants
        .iter()
        .filter_map(|(slug, t)| t.name.clone().map(|n| (slug.clone(), n)))
        .collect();
    let shown: Vec<_> = report.findings.iter().collect();
    let mut out = std::io::stdout().lock();
    output::write(&mut out, args.format, &shown, &names, false)?;
    out.flush().context("cannot write to standard output")?;
    let alerts = match &report.stored {
        Some(s) => format!(
            "; alerts: {} raised, {} already there",
            s.inserted, s.unchanged
        ),
        None => "; no alerts stored (--no-alerts)".to_owned(),
    };
    eprintln!(
        "hunt-history: since {since}: {} address indicators searched, {} stored sign-ins inside them, {} findings{alerts}",
        report.searched,
        report.candidates,
        report.findings.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_durations_back_from_now_or_a_time() {
        let now: Timestamp = "2026-11-23T12:00:00Z".parse().unwrap();
        let at = |s| parse_since(s, now).map(|t| t.to_string());
        assert_eq!(at("30d").unwrap(), "2026-10-24T12:00:00Z");
        assert_eq!(at("12h").unwrap(), "2026-11-23T00:00:00Z");
        assert_eq!(at("90m").unwrap(), "2026-11-23T10:30:00Z");
        assert_eq!(at("2026-11-01T00:00:00Z").unwrap(), "2026-11-01T00:00:00Z");
        for bad in ["30", "d", "-3d", "30w", "", "999999999999999d"] {
            let e = at(bad).unwrap_err().to_string();
            assert!(e.contains("--since"), "{bad}: {e}");
        }
    }
}
