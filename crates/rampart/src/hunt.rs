//! `rampart hunt`: read exports, decode, assign tenants, enrich, detect, report.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rampart_detect::HuntOutput;
use rampart_intel::{ImportOptions, IndicatorSet, Undated};
use rampart_model::{Finding, SignIn, SourceFormat, TenantId};
use rampart_sources::{DecodeOptions, Decoded, Rejection};
use serde::Serialize;

use crate::config::Config;
use crate::output::{self, OutputFormat};
use crate::sigma_hunt::{SigmaHunt, SigmaStats};

/// One input argument: `[TENANT=]PATH`.
#[derive(Clone, Debug, PartialEq)]
pub struct Input {
    pub tenant: Option<TenantId>,
    pub path: PathBuf,
}

impl Input {
    /// Parses `TENANT=PATH` or `PATH`. The part before the first `=` is a tenant only
    /// when it is a valid slug; a path that merely contains `=` stays a path.
    pub fn parse(arg: &str, config: Option<&Config>) -> Result<Input> {
        if let Some((slug, path)) = arg.split_once('=')
            && let Ok(tenant) = TenantId::new(slug)
            && !Path::new(arg).exists()
        {
            if path.is_empty() {
                bail!("{arg:?}: no path after {slug}=");
            }
            if let Some(config) = config
                && !config.tenants.contains_key(&tenant)
            {
                let known: Vec<&str> = config.tenants.keys().map(TenantId::as_str).collect();
                bail!(
                    "{arg:?}: tenant {slug:?} is not in the config (it has: {})",
                    if known.is_empty() {
                        "no tenants".to_owned()
                    } else {
                        known.join(", ")
                    }
                );
            }
            return Ok(Input {
                tenant: Some(tenant),
                path: PathBuf::from(path),
            });
        }
        Ok(Input {
            tenant: None,
            path: PathBuf::from(arg),
        })
    }
}

/// Everything `hunt` was asked to do.
pub struct HuntArgs {
    pub config: Option<PathBuf>,
    pub indicators: Vec<PathBuf>,
    /// Sigma rule files or directories (`--rules`).
    pub rules: Vec<PathBuf>,
    /// Whether Rampart's built-in Sigma rules run (`--no-builtin-rules` turns them off).
    pub builtin_rules: bool,
    pub geoip: Vec<PathBuf>,
    pub inputs: Vec<String>,
    pub format: OutputFormat,
    pub source_format: Option<SourceFormat>,
    pub dead_letter: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub min_severity: rampart_model::Severity,
    pub quiet: bool,
}

/// Reads `--indicators` files (CSV, plain lists, STIX 2.1, MISP; detected from the content)
/// into one matcher. Values a file gives no time for never decay: a hunt judges each
/// indicator at the sign-in's time, and an undated list has no clock to run.
pub(crate) fn load_indicators(paths: &[PathBuf], quiet: bool) -> Result<IndicatorSet> {
    let mut indicators = IndicatorSet::new();
    let mut opts = ImportOptions::new(jiff::Timestamp::now());
    opts.undated = Undated::Timeless;
    for path in paths {
        let report = rampart_intel::import_path(path, None, &opts)
            .with_context(|| format!("cannot read the indicator list {}", path.display()))?;
        let (read, skipped) = (report.indicators.len(), report.skipped);
        let errors = indicators.add_report(report);
        for e in &errors {
            tracing::warn!("indicator not loaded: {e}");
        }
        if !quiet {
            eprintln!(
                "indicators: {read} read from {} ({} in the set, {} usable against sign-ins), {} rejected, {skipped} records without a usable indicator",
                path.display(),
                indicators.len(),
                indicators.ip_indicators(),
                errors.len()
            );
            for e in errors.iter().take(10) {
                eprintln!("  rejected: {e}");
            }
            if errors.len() > 10 {
                eprintln!("  … and {} more (see the log with -v)", errors.len() - 10);
            }
        }
    }
    Ok(indicators)
}

/// What was read, for the summary.
#[derive(Default, Debug)]
pub struct ReadSummary {
    pub files: usize,
    pub records: usize,
    pub signins: usize,
    pub skipped: BTreeMap<String, usize>,
    pub rejected: Vec<Rejection>,
    pub by_format: BTreeMap<&'static str, usize>,
}

#[derive(Serialize)]
struct DeadLetter<'a> {
    file: &'a str,
    record: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw: Option<&'a str>,
}

pub fn run(args: HuntArgs) -> Result<()> {
    let (config, inputs, geoip) = prepare(args.config.as_deref(), &args.inputs, &args.geoip)?;
    if inputs.is_empty() {
        bail!("no inputs: give one or more [TENANT=]PATH (files or directories of exports)");
    }
    let indicators = load_indicators(&args.indicators, args.quiet)?;
    let opts = DecodeOptions {
        format: args.source_format,
    };
    let mut sigma = if args.rules.is_empty() && !args.builtin_rules {
        None
    } else {
        Some(SigmaHunt::load(
            &args.rules,
            args.builtin_rules,
            args.quiet,
        )?)
    };
    let (mut signins, summary) =
        read_inputs(&inputs, config.as_ref(), &opts, args.quiet, sigma.as_mut())?;
    for s in &mut signins {
        rampart_geo::enrich(s, geoip.as_ref());
    }
    let detect_config = config
        .as_ref()
        .map(Config::detect_config)
        .unwrap_or_default();
    let HuntOutput {
        mut findings,
        stats,
    } = rampart_detect::hunt(&signins, &detect_config, &indicators);
    let sigma_stats = sigma.map(|s| {
        let (sigma_findings, stats) = s.into_findings();
        findings.extend(sigma_findings);
        findings.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.kind.cmp(&b.kind)));
        stats
    });

    if let Some(path) = &args.dead_letter {
        write_dead_letters(path, &summary.rejected)?;
    }
    let shown: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.severity >= args.min_severity)
        .collect();
    let names = config
        .as_ref()
        .map(|c| {
            c.tenants
                .iter()
                .filter_map(|(k, t)| t.name.clone().map(|n| (k.clone(), n)))
                .collect()
        })
        .unwrap_or_default();
    match &args.output {
        Some(path) => {
            let file = File::create(path)
                .with_context(|| format!("cannot create the output file {}", path.display()))?;
            let mut w = BufWriter::new(file);
            output::write(&mut w, args.format, &shown, &names, false)?;
            w.flush()
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let color = stdout.is_terminal();
            let mut w = BufWriter::new(stdout.lock());
            output::write(&mut w, args.format, &shown, &names, color)?;
            w.flush().context("cannot write to standard output")?;
        }
    }
    if !args.quiet {
        print_summary(
            &summary,
            &stats,
            sigma_stats.as_ref(),
            &findings,
            shown.len(),
            args.dead_letter.as_deref(),
        );
    }
    Ok(())
}

/// Loads the config, parses the inputs against it and opens the GeoIP databases.
fn prepare(
    config: Option<&Path>,
    inputs: &[String],
    geoip: &[PathBuf],
) -> Result<(Option<Config>, Vec<Input>, Option<rampart_geo::GeoIp>)> {
    let config = config.map(Config::load).transpose()?;
    let inputs = inputs
        .iter()
        .map(|a| Input::parse(a, config.as_ref()))
        .collect::<Result<Vec<_>>>()?;
    let geoip = if geoip.is_empty() {
        None
    } else {
        Some(rampart_geo::GeoIp::open(geoip).context("cannot open the GeoIP database")?)
    };
    Ok((config, inputs, geoip))
}

/// What `normalize` was asked to do.
pub struct NormalizeArgs {
    pub inputs: Vec<String>,
    pub config: Option<PathBuf>,
    pub geoip: Vec<PathBuf>,
    pub ocsf: bool,
    pub source_format: Option<SourceFormat>,
    pub dead_letter: Option<PathBuf>,
}

/// Decodes, assigns tenants and enriches, then prints each sign-in on its own line.
pub fn normalize(args: NormalizeArgs) -> Result<()> {
    let (config, inputs, geoip) = prepare(args.config.as_deref(), &args.inputs, &args.geoip)?;
    let opts = DecodeOptions {
        format: args.source_format,
    };
    let (mut signins, summary) = read_inputs(&inputs, config.as_ref(), &opts, false, None)?;
    signins.sort_by_key(|s| s.time);
    let stdout = std::io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    for s in &mut signins {
        rampart_geo::enrich(s, geoip.as_ref());
        if args.ocsf {
            serde_json::to_writer(&mut w, &rampart_sources::ocsf::signin_to_ocsf(s))?;
        } else {
            serde_json::to_writer(&mut w, s)?;
        }
        w.write_all(b"\n")?;
    }
    w.flush().context("cannot write to standard output")?;
    if let Some(path) = &args.dead_letter {
        write_dead_letters(path, &summary.rejected)?;
    }
    let skipped: usize = summary.skipped.values().sum();
    eprintln!(
        "read {} records from {} files: {} sign-ins, {} skipped (not sign-ins), {} rejected",
        summary.records,
        summary.files,
        summary.signins,
        skipped,
        summary.rejected.len()
    );
    for r in summary.rejected.iter().take(20) {
        eprintln!("  rejected {}: {}", r.at, r.reason);
    }
    Ok(())
}

/// Reads every input, assigning tenants; rejected records are kept for the summary.
/// With `sigma`, every JSON record of a known format is also evaluated by the rules.
pub fn read_inputs(
    inputs: &[Input],
    config: Option<&Config>,
    opts: &DecodeOptions,
    quiet: bool,
    mut sigma: Option<&mut SigmaHunt>,
) -> Result<(Vec<SignIn>, ReadSummary)> {
    let mut files = Vec::new();
    for input in inputs {
        let list = rampart_sources::list_files(&input.path)
            .with_context(|| format!("cannot read input {}", input.path.display()))?;
        if list.is_empty() {
            tracing::warn!("{} holds no files", input.path.display());
        }
        for f in list {
            files.push((input.tenant.clone(), f));
        }
    }
    let total: u64 = files
        .iter()
        .filter_map(|(_, f)| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    let bar = if !quiet && std::io::stderr().is_terminal() && total > 16 * 1024 * 1024 {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} reading {bytes}/{total_bytes} [{bar:30}] {eta} {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };

    let mut summary = ReadSummary {
        files: files.len(),
        ..ReadSummary::default()
    };
    let mut signins = Vec::new();
    for (tenant, path) in &files {
        let display = path.display().to_string();
        bar.set_message(display.clone());
        let mut on_decoded = |d| match d {
            Decoded::SignIn(s) => {
                summary.records += 1;
                let mut s = *s;
                match assign_tenant(&mut s, tenant.as_ref(), config) {
                    Ok(()) => {
                        summary.signins += 1;
                        *summary
                            .by_format
                            .entry(s.source_format.as_str())
                            .or_default() += 1;
                        signins.push(s);
                    }
                    Err(reason) => summary.rejected.push(Rejection {
                        at: rampart_sources::RecordRef {
                            file: display.clone(),
                            index: 0,
                            line: None,
                        },
                        reason: format!("record {}: {reason}", s.record_id),
                        raw: serde_json::to_string(&s).ok(),
                    }),
                }
            }
            Decoded::Skipped { format, reason, .. } => {
                summary.records += 1;
                *summary
                    .skipped
                    .entry(format!("{format}: {reason}"))
                    .or_default() += 1;
            }
            Decoded::Rejected(r) => {
                summary.records += 1;
                summary.rejected.push(r);
            }
        };
        match sigma.as_deref_mut() {
            None => rampart_sources::read_file(path, opts, &mut on_decoded),
            Some(sigma) => {
                rampart_sources::read_file_with_raw(path, opts, &mut on_decoded, &mut |raw| {
                    let t = raw_tenant(raw.provider_tenant.as_deref(), tenant.as_ref(), config);
                    sigma.observe(&raw, t);
                })
            }
        }
        .with_context(|| format!("cannot read {display}"))?;
        if let Ok(m) = std::fs::metadata(path) {
            bar.inc(m.len());
        }
    }
    bar.finish_and_clear();
    Ok((signins, summary))
}

/// Puts a sign-in in its tenant: the config's claim on the provider's id first, then
/// the input's `TENANT=`.
fn assign_tenant(
    s: &mut SignIn,
    from_input: Option<&TenantId>,
    config: Option<&Config>,
) -> std::result::Result<(), String> {
    if let Some(id) = &s.provider_tenant
        && let Some(t) = config.and_then(|c| c.tenant_for_provider_id(id))
    {
        s.tenant = Some(t.clone());
        return Ok(());
    }
    if let Some(t) = from_input {
        s.tenant = Some(t.clone());
        return Ok(());
    }
    Err(match &s.provider_tenant {
        Some(id) => format!(
            "carries provider tenant id {id}, which no tenant in the config claims (add it to a tenant's provider_ids, or give the input as TENANT=PATH)"
        ),
        None => "carries no tenant: give the input as TENANT=PATH".to_owned(),
    })
}

/// The tenant of a raw record, by the same rule as [`assign_tenant`].
fn raw_tenant<'a>(
    provider_tenant: Option<&str>,
    from_input: Option<&'a TenantId>,
    config: Option<&'a Config>,
) -> Option<&'a TenantId> {
    provider_tenant
        .and_then(|id| config.and_then(|c| c.tenant_for_provider_id(id)))
        .or(from_input)
}

fn write_dead_letters(path: &Path, rejected: &[Rejection]) -> Result<()> {
    let file = File::create(path)
        .with_context(|| format!("cannot create the dead-letter file {}", path.display()))?;
    let mut w = BufWriter::new(file);
    for r in rejected {
        let line = DeadLetter {
            file: &r.at.file,
            record: r.at.index,
            line: r.at.line,
            reason: &r.reason,
            raw: r.raw.as_deref(),
        };
        serde_json::to_writer(&mut w, &line)?;
        w.write_all(b"\n")?;
    }
    w.flush()
        .with_context(|| format!("cannot write the dead-letter file {}", path.display()))?;
    Ok(())
}

fn print_summary(
    summary: &ReadSummary,
    stats: &rampart_detect::HuntStats,
    sigma: Option<&SigmaStats>,
    findings: &[Finding],
    shown: usize,
    dead_letter: Option<&Path>,
) {
    let mut err = std::io::stderr().lock();
    let skipped: usize = summary.skipped.values().sum();
    let formats: Vec<String> = summary
        .by_format
        .iter()
        .map(|(f, n)| format!("{f} {n}"))
        .collect();
    let _ = writeln!(
        err,
        "read {} records from {} files: {} sign-ins decoded ({}), {} skipped (not sign-ins), {} rejected",
        summary.records,
        summary.files,
        summary.signins,
        if formats.is_empty() {
            "none".to_owned()
        } else {
            formats.join(", ")
        },
        skipped,
        summary.rejected.len()
    );
    for (reason, n) in summary.skipped.iter().take(8) {
        let _ = writeln!(err, "  skipped {n}× {reason}");
    }
    if summary.skipped.len() > 8 {
        let _ = writeln!(
            err,
            "  … and {} more kinds of skipped record",
            summary.skipped.len() - 8
        );
    }
    for r in summary.rejected.iter().take(20) {
        let _ = writeln!(err, "  rejected {}: {}", r.at, r.reason);
    }
    if summary.rejected.len() > 20 {
        let _ = writeln!(err, "  … and {} more rejected", summary.rejected.len() - 20);
    }
    if let Some(path) = dead_letter {
        let _ = writeln!(
            err,
            "  {} rejected records kept in {}",
            summary.rejected.len(),
            path.display()
        );
    } else if !summary.rejected.is_empty() {
        let _ = writeln!(err, "  (--dead-letter FILE keeps rejected records)");
    }
    if stats.duplicates > 0 {
        let _ = writeln!(
            err,
            "  {} duplicate records ignored (same id seen twice)",
            stats.duplicates
        );
    }
    let _ = writeln!(
        err,
        "hunted {} identities: {} sign-ins placed on the map; not placed: {}",
        stats.identities,
        stats.travel_endpoints,
        stats
            .not_endpoint
            .iter()
            .map(|(k, n)| format!("{} {n}", k.replace('_', " ")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !stats.suppressed.is_empty() {
        let _ = writeln!(
            err,
            "  impossible-looking pairs not raised: {}",
            stats
                .suppressed
                .iter()
                .map(|(k, n)| format!("{} {n}", k.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if let Some(s) = sigma {
        let _ = writeln!(
            err,
            "rules: {} records evaluated by {} rules ({} rejected) ({}); {} matches{}{}{}",
            s.evaluated.values().sum::<usize>(),
            s.rules,
            s.rejected,
            if s.evaluated.is_empty() {
                "none".to_owned()
            } else {
                s.evaluated
                    .iter()
                    .map(|(f, n)| format!("{f} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            s.matches,
            if s.unrouted > 0 {
                format!("; {} records no loaded rule is written for", s.unrouted)
            } else {
                String::new()
            },
            if s.no_tenant > 0 {
                format!(
                    "; {} records not evaluated: no tenant (give the input as TENANT=PATH)",
                    s.no_tenant
                )
            } else {
                String::new()
            },
            if s.no_time > 0 {
                format!(
                    "; {} matches not raised: the record has no readable time",
                    s.no_time
                )
            } else {
                String::new()
            }
        );
    }
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut by_sev: BTreeMap<rampart_model::Severity, usize> = BTreeMap::new();
    for f in findings {
        *by_kind.entry(f.kind.as_str()).or_default() += 1;
        *by_sev.entry(f.severity).or_default() += 1;
    }
    let _ = writeln!(
        err,
        "findings: {}{} ({}); by severity: {}",
        findings.len(),
        if shown < findings.len() {
            format!(", {shown} shown")
        } else {
            String::new()
        },
        if by_kind.is_empty() {
            "none".to_owned()
        } else {
            by_kind
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        },
        if by_sev.is_empty() {
            "none".to_owned()
        } else {
            by_sev
                .iter()
                .rev()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_take_an_optional_tenant() {
        let i = Input::parse("acme-dental=exports/acme.json", None).unwrap();
        assert_eq!(i.tenant.unwrap().as_str(), "acme-dental");
        assert_eq!(i.path, PathBuf::from("exports/acme.json"));
        let i = Input::parse("exports/acme.json", None).unwrap();
        assert!(i.tenant.is_none());
        // Not a slug before '=': a path.
        let i = Input::parse("dir/a=b.json", None).unwrap();
        assert!(i.tenant.is_none());
        assert!(Input::parse("acme=", None).is_err());
    }

    #[test]
    fn a_tenant_missing_from_the_config_is_an_error() {
        let c = Config::parse("[tenants.acme]\n").unwrap();
        let err = Input::parse("brightline=x.json", Some(&c)).unwrap_err();
        assert!(err.to_string().contains("acme"), "{err}");
    }
}
