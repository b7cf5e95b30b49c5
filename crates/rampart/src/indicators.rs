//! `rampart indicators import|export|list|check`: the local indicator database.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use jiff::Timestamp;
use rampart_intel::{
    Format, ImportOptions, Indicator, IndicatorSet, MatchHow, ObservableKind, Provenance, Tlp,
    Verdict, Warninglists,
};
use rampart_store::{IndicatorFilter, IndicatorRepo, SqliteStore};
use serde_json::{Value, json};

/// The database file inside the data directory.
pub const DB_FILE: &str = "rampart.sqlite";

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportFormat {
    /// Detect from the content.
    Auto,
    /// `type,value[,description,…]` (header detected).
    Csv,
    /// One value a line, type inferred.
    List,
    /// A STIX 2.1 bundle.
    Stix,
    /// A MISP event (or feed event) JSON.
    Misp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// A STIX 2.1 bundle.
    Stix,
    /// CSV with a header.
    Csv,
    /// One MISP event JSON.
    Misp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ListFormat {
    /// A table for people.
    Table,
    /// One JSON indicator per line.
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// One line per value.
    Text,
    /// One JSON object per value and line: what matched, how and from where.
    Json,
}

/// The data directory: `--data-dir`/`RAMPART_DATA_DIR` (handled by clap), else
/// `$XDG_DATA_HOME/rampart`, else `$HOME/.local/share/rampart`.
pub fn data_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(xdg).join("rampart"));
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .context("no data directory: give --data-dir or set RAMPART_DATA_DIR (HOME is not set)")?;
    Ok(PathBuf::from(home).join(".local/share/rampart"))
}

/// Runs an async store operation on a current-thread runtime.
pub(crate) fn block_on<T>(f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(f)
}

pub(crate) async fn open(data_dir: &Path) -> Result<SqliteStore> {
    let path = data_dir.join(DB_FILE);
    Ok(SqliteStore::open(&path).await?)
}

pub struct ImportArgs {
    pub files: Vec<PathBuf>,
    pub tlp: Tlp,
    pub source: Option<String>,
    pub format: ImportFormat,
    pub warninglists: Option<PathBuf>,
    pub force: bool,
    /// Queue a retro-hunt of the sign-ins stored since this (`30d`, an RFC 3339 time) for
    /// the address indicators imported; `None`: queue none.
    pub retro_hunt: Option<String>,
    pub data_dir: Option<PathBuf>,
}

/// Queues a retro-hunt job in `store` (the jobs table the server's API uses) for the
/// address indicators among `indicators`, and says so on stderr. A running `rampart serve`
/// on the same store notices it within its poll interval and runs it; otherwise the next
/// start does. Returns the job's id (`None` when there is no address indicator).
pub(crate) async fn queue_retro_hunt(
    store: &rampart_store::Store,
    actor: &str,
    indicators: &[Indicator],
    since: Timestamp,
) -> Result<Option<i64>> {
    let networks = rampart_engine::retro_networks(indicators);
    if networks.is_empty() {
        return Ok(None);
    }
    let id = store
        .create_retro_hunt(&rampart_store::NewRetroHunt {
            actor,
            since,
            networks: &networks,
            indicators: indicators.len() as u64,
        })
        .await
        .with_context(|| format!("cannot queue a retro-hunt in {}", store.describe()))?;
    eprintln!(
        "retro-hunt {id} queued for {} address indicators (sign-ins since {since}): a running \
         `rampart serve` on this store runs it within seconds, or its next start does; \
         `rampart hunt-history` hunts now without a server",
        networks.len()
    );
    Ok(Some(id))
}

pub fn import(args: ImportArgs) -> Result<()> {
    let dir = data_dir(args.data_dir.clone())?;
    let lists = match &args.warninglists {
        Some(d) => {
            let (lists, errors) = Warninglists::load_dir(d)
                .with_context(|| format!("cannot load warninglists from {}", d.display()))?;
            for e in errors {
                tracing::warn!("{e}");
            }
            eprintln!("{} warninglists loaded from {}", lists.len(), d.display());
            Some(lists)
        }
        None => None,
    };
    let format = match args.format {
        ImportFormat::Auto => None,
        ImportFormat::Csv => Some(Format::Csv),
        ImportFormat::List => Some(Format::List),
        ImportFormat::Stix => Some(Format::Stix),
        ImportFormat::Misp => Some(Format::Misp),
    };
    let mut opts = ImportOptions::new(Timestamp::now());
    opts.tlp = args.tlp;
    opts.source = args.source.clone();
    opts.warninglists = lists.as_ref();
    opts.force = args.force;
    let retro_since = args
        .retro_hunt
        .as_deref()
        .map(|s| crate::retro::parse_since_named(s, Timestamp::now(), "--retro-since"))
        .transpose()?;
    block_on(async {
        let store = open(&dir).await?;
        let mut total = (0usize, 0usize, 0usize, 0usize);
        let mut imported: Vec<Indicator> = Vec::new();
        for file in &args.files {
            let origin = file.display().to_string();
            let report = rampart_intel::import_path(file, format, &opts)
                .with_context(|| format!("cannot read {origin}"))?;
            let stored = store
                .upsert_many(&report.indicators)
                .await
                .with_context(|| format!("cannot store the indicators of {origin}"))?;
            let (refused, issues): (Vec<_>, Vec<_>) =
                report.issues.iter().partition(|i| i.warninglist.is_some());
            eprintln!(
                "{origin}: {} imported ({} new, {} merged), {} refused by warninglists, {} issues, {} skipped",
                report.indicators.len(),
                stored.inserted,
                stored.merged,
                refused.len(),
                issues.len(),
                report.skipped
            );
            for issue in refused.iter().chain(issues.iter()).take(200) {
                eprintln!("  {issue}");
            }
            if report.issues.len() > 200 {
                eprintln!("  … and {} more", report.issues.len() - 200);
            }
            total.0 += stored.inserted;
            total.1 += stored.merged;
            total.2 += refused.len();
            total.3 += issues.len();
            if retro_since.is_some() {
                imported.extend(report.indicators);
            }
        }
        let count = store.count().await?;
        eprintln!(
            "imported {} new, merged {}, refused {}, issues {}; {count} indicators in {}",
            total.0,
            total.1,
            total.2,
            total.3,
            store.path().display()
        );
        if let Some(since) = retro_since {
            queue_retro_hunt(&store, "cli:indicators import", &imported, since).await?;
        }
        store.close().await;
        Ok(())
    })
}

pub fn export(
    format: ExportFormat,
    output: Option<PathBuf>,
    data_dir_arg: Option<PathBuf>,
) -> Result<()> {
    let dir = data_dir(data_dir_arg)?;
    let indicators = block_on(async {
        let store = open(&dir).await?;
        let all = store.all().await?;
        store.close().await;
        Ok(all)
    })?;
    let now = Timestamp::now();
    let bytes = match format {
        ExportFormat::Stix => {
            serde_json::to_vec_pretty(&rampart_intel::export::to_stix(&indicators, now))?
        }
        ExportFormat::Misp => serde_json::to_vec_pretty(&rampart_intel::export::to_misp(
            &indicators,
            "Rampart indicators",
            now,
        ))?,
        ExportFormat::Csv => rampart_intel::export::to_csv(&indicators)
            .context("cannot write the indicators as CSV")?,
    };
    match &output {
        Some(path) => std::fs::write(path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)?;
            if format != ExportFormat::Csv {
                out.write_all(b"\n")?;
            }
            out.flush()?;
        }
    }
    eprintln!("exported {} indicators", indicators.len());
    Ok(())
}

pub struct ListArgs {
    pub kind: Option<ObservableKind>,
    pub tag: Option<String>,
    pub verdict: Option<Verdict>,
    pub limit: Option<u32>,
    pub format: ListFormat,
    pub data_dir: Option<PathBuf>,
}

fn provenance_text(p: &Provenance) -> String {
    match p {
        Provenance::Feed { name, location } => match location {
            Some(l) => format!("feed {name} ({l})"),
            None => format!("feed {name}"),
        },
        Provenance::Report { name } => format!("report {name}"),
        Provenance::Alert { tenant, alert_id } => format!("alert {alert_id} at {tenant}"),
        other => format!("{other:?}"),
    }
}

pub fn list(args: ListArgs) -> Result<()> {
    let dir = data_dir(args.data_dir)?;
    let filter = IndicatorFilter {
        kind: args.kind,
        tag: args.tag,
        verdict: args.verdict,
        limit: args.limit,
        after: None,
    };
    let indicators = block_on(async {
        let store = open(&dir).await?;
        let list = store.list(&filter).await?;
        store.close().await;
        Ok(list)
    })?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    match args.format {
        ListFormat::Json => {
            for i in &indicators {
                serde_json::to_writer(&mut out, i)?;
                out.write_all(b"\n")?;
            }
        }
        ListFormat::Table => {
            let mut table = Table::new();
            table
                .load_style(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header([
                    "type",
                    "value",
                    "verdict",
                    "conf",
                    "tlp",
                    "last seen",
                    "seen",
                    "tags",
                    "source",
                ]);
            for i in &indicators {
                let tags: Vec<String> = i.tags.iter().map(ToString::to_string).collect();
                table.add_row([
                    i.observable.kind().as_str().to_string(),
                    i.observable.to_string(),
                    i.verdict.as_str().to_string(),
                    i.confidence.get().to_string(),
                    i.tlp.as_str().to_string(),
                    i.last_seen.strftime("%Y-%m-%d").to_string(),
                    i.sightings.to_string(),
                    tags.join(", "),
                    provenance_text(&i.provenance),
                ]);
            }
            writeln!(out, "{table}")?;
            writeln!(out, "{} indicators", indicators.len())?;
        }
    }
    out.flush()?;
    Ok(())
}

fn how_text(how: MatchHow) -> String {
    match how {
        MatchHow::Exact => "exact".into(),
        MatchHow::Network { prefix_len } => format!("inside network /{prefix_len}"),
        MatchHow::Subdomain => "subdomain".into(),
        MatchHow::Host => "host".into(),
        other => format!("{other:?}").to_ascii_lowercase(),
    }
}

fn counts(i: &Indicator) -> bool {
    matches!(i.verdict, Verdict::Malicious | Verdict::Suspicious)
}

/// Looks each value up among the live indicators. Returns whether any value matched a
/// live malicious or suspicious indicator.
pub fn check(
    values: &[String],
    format: CheckFormat,
    data_dir_arg: Option<PathBuf>,
) -> Result<bool> {
    let dir = data_dir(data_dir_arg)?;
    let indicators = block_on(async {
        let store = open(&dir).await?;
        let all = store.all().await?;
        store.close().await;
        Ok(all)
    })?;
    let mut set = IndicatorSet::new();
    for i in indicators {
        set.insert(i);
    }
    let now = Timestamp::now();
    let mut any = false;
    let mut out = BufWriter::new(std::io::stdout().lock());
    for value in values {
        let observable = match rampart_intel::parse_inferred(value) {
            Ok(o) => o,
            Err(e) => {
                match format {
                    CheckFormat::Json => {
                        serde_json::to_writer(
                            &mut out,
                            &json!({"value": value, "matched": false, "error": e.to_string()}),
                        )?;
                        out.write_all(b"\n")?;
                    }
                    CheckFormat::Text => writeln!(out, "{value}: not a value Rampart knows: {e}")?,
                }
                continue;
            }
        };
        let matches = set.lookup(&observable, now);
        let matched = matches.iter().any(|m| counts(m.indicator));
        any |= matched;
        match format {
            CheckFormat::Json => {
                let ms: Vec<Value> = matches
                    .iter()
                    .map(|m| {
                        let model = set.policy().model(m.indicator.observable.kind());
                        json!({
                            "how": how_text(m.how),
                            "indicator": m.indicator,
                            "from": provenance_text(&m.indicator.provenance),
                            "score": m.indicator.score(model, now),
                        })
                    })
                    .collect();
                serde_json::to_writer(
                    &mut out,
                    &json!({
                        "value": value,
                        "observable": observable,
                        "matched": matched,
                        "matches": ms,
                    }),
                )?;
                out.write_all(b"\n")?;
            }
            CheckFormat::Text => {
                if matches.is_empty() {
                    writeln!(out, "{value}: not known")?;
                }
                for m in &matches {
                    let i = m.indicator;
                    writeln!(
                        out,
                        "{value}: {} {} ({}, {}, confidence {}, TLP:{}) from {}",
                        i.verdict.as_str(),
                        i.observable,
                        i.observable.kind(),
                        how_text(m.how),
                        i.confidence.get(),
                        i.tlp.as_str().to_ascii_uppercase(),
                        provenance_text(&i.provenance)
                    )?;
                }
            }
        }
    }
    out.flush()?;
    Ok(any)
}
