//! `rampart intel analyze`: a threat report (plain text, Markdown or HTML) in; its Analysis
//! Summary (Markdown with the seed's headings), the same as JSON, or a STIX 2.1 bundle out.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rampart_intel::report::emit;
use rampart_intel::report::iocs::ExtractOptions;
use rampart_intel::report::text::{looks_like_html, markdown_to_text};
use rampart_intel::report::{AnalyzeOptions, Analyzer};
use rampart_intel::{Tlp, Warninglists};
use rampart_store::IndicatorRepo;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AnalyzeFormat {
    /// The Analysis Summary as Markdown.
    Markdown,
    /// The same content as JSON (`iocs` by type with value and context, `techniques` with
    /// id, name and evidence, …).
    Json,
    /// A STIX 2.1 bundle.
    Stix,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    /// From the file name and content.
    Auto,
    Text,
    Markdown,
    Html,
}

pub struct AnalyzeArgs {
    pub input: PathBuf,
    pub format: AnalyzeFormat,
    pub input_format: InputFormat,
    pub output: Option<PathBuf>,
    pub warninglists: Option<PathBuf>,
    pub galaxies: Option<PathBuf>,
    pub publisher: Vec<String>,
    /// The report's name (provenance, rule title); default: the file name.
    pub name: Option<String>,
    /// Add the IOCs to the indicator store.
    pub emit_indicators: bool,
    pub tlp: Tlp,
    pub data_dir: Option<PathBuf>,
    /// Write a Sigma rule for the network indicators into this directory.
    pub emit_rule: Option<PathBuf>,
    /// An OpenAI-compatible chat endpoint for the prose fields, and the model's name.
    pub llm: Option<(String, String)>,
    pub llm_timeout: std::time::Duration,
}

/// Reads the report and reduces it to plain text.
pub fn read_report(path: &Path, format: InputFormat) -> Result<String> {
    let mut bytes = Vec::new();
    let name = if path == Path::new("-") {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read the report from standard input")?;
        "standard input".to_owned()
    } else {
        bytes = std::fs::read(path)
            .with_context(|| format!("cannot read the report {}", path.display()))?;
        path.display().to_string()
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            eprintln!(
                "warning: {name} is not valid UTF-8 (at byte {}); invalid bytes were replaced",
                e.utf8_error().valid_up_to()
            );
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let format = match format {
        InputFormat::Auto if matches!(ext.as_str(), "html" | "htm" | "xhtml") => InputFormat::Html,
        InputFormat::Auto if matches!(ext.as_str(), "md" | "markdown") => InputFormat::Markdown,
        InputFormat::Auto if looks_like_html(&text) => InputFormat::Html,
        InputFormat::Auto => InputFormat::Text,
        f => f,
    };
    Ok(match format {
        InputFormat::Html => html2text::config::plain()
            .no_link_wrapping()
            .string_from_read(text.as_bytes(), 100_000)
            .with_context(|| format!("cannot read {name} as HTML"))?,
        InputFormat::Markdown => markdown_to_text(&text),
        _ => text,
    })
}

/// The report's own address from a leading `url:` line (as scraped reports carry), if any.
fn url_from_text(text: &str) -> Option<String> {
    text.lines()
        .take(5)
        .find_map(|l| l.trim().strip_prefix("url:"))
        .map(|u| u.trim().to_owned())
        .filter(|u| u.starts_with("http://") || u.starts_with("https://"))
}

/// The publisher's domain from a leading `url:` line, if any.
fn publisher_from_text(text: &str) -> Option<String> {
    url_from_text(text)
        .and_then(|u| u.split('/').nth(2).map(str::to_owned))
        .map(|h| h.trim_start_matches("www.").to_ascii_lowercase())
        .filter(|h| h.contains('.'))
}

pub fn analyze(args: AnalyzeArgs) -> Result<()> {
    let text = read_report(&args.input, args.input_format)?;
    let lists = match &args.warninglists {
        Some(d) => {
            let (lists, errors) = Warninglists::load_dir(d)
                .with_context(|| format!("cannot load warninglists from {}", d.display()))?;
            for e in errors {
                eprintln!("warning: {e}");
            }
            Some(lists)
        }
        None => None,
    };
    let mut analyzer = Analyzer::new().context("cannot load the embedded ATT&CK index")?;
    if let Some(dir) = &args.galaxies {
        let errors = analyzer
            .gazetteer
            .add_misp_galaxies(dir)
            .with_context(|| format!("cannot load MISP galaxies from {}", dir.display()))?;
        for e in errors {
            eprintln!("warning: {e}");
        }
    }
    let mut publisher: Vec<String> = args
        .publisher
        .iter()
        .map(|p| p.trim().trim_start_matches("www.").to_ascii_lowercase())
        .collect();
    publisher.extend(publisher_from_text(&text));
    let opts = AnalyzeOptions {
        extract: ExtractOptions {
            warninglists: lists.as_ref(),
            publisher_domains: &publisher,
            keep_reserved_ips: false,
        },
    };
    let mut analysis = analyzer.analyze(&text, &opts);
    if let Some((url, model)) = &args.llm {
        llm_prose(&mut analysis, &text, url, model, args.llm_timeout);
    }
    let name = match &args.name {
        Some(n) => n.clone(),
        None if args.input == Path::new("-") => "stdin".to_owned(),
        None => args
            .input
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| args.input.display().to_string()),
    };
    let out = match args.format {
        AnalyzeFormat::Markdown => analysis.to_markdown(),
        AnalyzeFormat::Json => serde_json::to_string_pretty(&analysis.to_json())? + "\n",
        AnalyzeFormat::Stix => {
            let bundle =
                rampart_intel::report::stix::to_stix(&analysis, &name, jiff::Timestamp::now());
            serde_json::to_string_pretty(&bundle)? + "\n"
        }
    };
    match &args.output {
        Some(p) => {
            std::fs::write(p, out).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => std::io::stdout()
            .write_all(out.as_bytes())
            .context("cannot write to standard output")?,
    }
    eprintln!(
        "{name}: {} techniques, {} indicators ({} candidates dropped), {} actors, {} malware, {} tools",
        analysis.techniques.len(),
        analysis.iocs.iocs.len(),
        analysis.iocs.dropped.len(),
        analysis.actors.len(),
        analysis.malware.len(),
        analysis.tools.len()
    );
    if let Some(dir) = &args.emit_rule {
        emit_rule(&analysis, &text, &name, publisher.first().cloned(), dir)?;
    }
    if args.emit_indicators {
        emit_indicators(&analysis, &name, args.tlp, args.data_dir.clone())?;
    }
    Ok(())
}

/// `--llm`: the model writes the prose fields; what the text does not support is dropped.
/// Any failure leaves the extractive summary, with a warning.
fn llm_prose(
    analysis: &mut rampart_intel::report::Analysis,
    text: &str,
    url: &str,
    model: &str,
    timeout: std::time::Duration,
) {
    use rampart_intel::report::llm;
    let messages = llm::prompt(analysis, text);
    let reply = crate::llm::complete(url, model, &messages, timeout).and_then(|content| {
        llm::parse_reply(&content).map_err(|e| anyhow::anyhow!("model {model}: {e}"))
    });
    match reply {
        Ok(prose) => {
            let note = llm::apply(analysis, prose, text, model);
            eprintln!(
                "llm {model}: {} sentences kept ({}), {} dropped as not supported by the text",
                note.kept,
                if note.fields.is_empty() {
                    "no field replaced".to_owned()
                } else {
                    note.fields.join(", ")
                },
                note.dropped.len()
            );
            for d in &note.dropped {
                eprintln!(
                    "  dropped from {}: {:?} ({})",
                    d.field, d.sentence, d.reason
                );
            }
        }
        Err(e) => eprintln!(
            "warning: the language model failed ({e:#}); the summary is the extractive one"
        ),
    }
}

/// `--emit-indicators`: the report's IOCs into the indicator store (merged on a re-run:
/// same value, same report), with a summary on stderr, and a retro-hunt of the last 30
/// days queued for its address indicators (run by a server on the same store).
fn emit_indicators(
    analysis: &rampart_intel::report::Analysis,
    name: &str,
    tlp: Tlp,
    data_dir: Option<PathBuf>,
) -> Result<()> {
    let dir = crate::indicators::data_dir(data_dir)?;
    let emitted = emit::indicators(
        analysis,
        &emit::EmitOptions {
            report: name.to_owned(),
            tlp,
            now: jiff::Timestamp::now(),
        },
    );
    crate::indicators::block_on(async {
        let store = crate::indicators::open(&dir).await?;
        let stored = store
            .upsert_many(&emitted.indicators)
            .await
            .with_context(|| format!("cannot store the indicators of {name}"))?;
        let tags: Vec<String> = emit::tags(analysis)
            .iter()
            .map(ToString::to_string)
            .collect();
        eprintln!(
            "{name}: {} indicators emitted ({} new, {} merged), {} refused by warninglists, {} not indicators (CVE ids); TLP:{}, tags: {}",
            emitted.indicators.len(),
            stored.inserted,
            stored.merged,
            emitted.refused.len(),
            emitted.not_observables.len(),
            tlp.as_str().to_ascii_uppercase(),
            if tags.is_empty() {
                "none".to_owned()
            } else {
                tags.join(", ")
            }
        );
        for issue in &emitted.refused {
            eprintln!("  {issue}");
        }
        let count = store.count().await?;
        eprintln!("{count} indicators in {}", store.path().display());
        let since = jiff::Timestamp::now()
            .checked_sub(rampart_engine::DEFAULT_RETRO_WINDOW)
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        crate::indicators::queue_retro_hunt(
            &store,
            "cli:intel analyze",
            &emitted.indicators,
            since,
        )
        .await?;
        store.close().await;
        Ok(())
    })
}

/// `--emit-rule DIR`: a Sigma rule for the report's network indicators.
fn emit_rule(
    analysis: &rampart_intel::report::Analysis,
    text: &str,
    name: &str,
    publisher: Option<String>,
    dir: &Path,
) -> Result<()> {
    let opts = emit::RuleOptions {
        report: name.to_owned(),
        report_url: url_from_text(text),
        publisher,
        now: jiff::Timestamp::now(),
    };
    let Some(rule) = emit::sigma_rule(analysis, text, &opts) else {
        eprintln!(
            "{name}: no network indicators (IPs, networks, domains, URLs), so no rule written"
        );
        return Ok(());
    };
    let yaml = rule
        .to_yaml()
        .context("cannot write the Sigma rule as YAML")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let path = dir.join(rule.file_name(name));
    std::fs::write(&path, yaml).with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "{name}: Sigma rule {} written to {} ({} network indicators, {} log sources)",
        rule.base_id,
        path.display(),
        rule.indicators,
        rule.documents.len()
    );
    Ok(())
}

/// `rampart bench intel DIR`: IOC extraction over every file under `DIR` (read and reduced
/// to text first, not timed); with `analyze`, the full analysis too. The last line is
/// `intel: reports=N mb=M seconds=S reports_per_s=R` (extraction).
pub fn bench(dir: &Path, analyze: bool, iocs_out: Option<&Path>) -> Result<()> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        for entry in
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let path = entry
                .with_context(|| format!("cannot read {}", dir.display()))?
                .path();
            if path.is_dir() {
                walk(&path, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut paths = Vec::new();
    walk(dir, &mut paths)?;
    paths.sort();
    let mut texts = Vec::new();
    let mut read = Vec::new();
    for p in &paths {
        match read_report(p, InputFormat::Auto) {
            Ok(t) => {
                texts.push(t);
                read.push(p);
            }
            Err(e) => eprintln!("skipped {}: {e:#}", p.display()),
        }
    }
    if texts.is_empty() {
        anyhow::bail!("no readable reports under {}", dir.display());
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    let mb = bytes as f64 / 1e6;
    if analyze {
        let analyzer = Analyzer::new().context("cannot load the embedded ATT&CK index")?;
        let start = std::time::Instant::now();
        let mut techniques = 0;
        for t in &texts {
            techniques += analyzer
                .analyze(t, &AnalyzeOptions::default())
                .techniques
                .len();
        }
        let s = start.elapsed().as_secs_f64();
        println!(
            "analysis: reports={} mb={mb:.2} seconds={s:.3} reports_per_s={:.1} techniques={techniques}",
            texts.len(),
            texts.len() as f64 / s
        );
    }
    let opts = ExtractOptions::default();
    let start = std::time::Instant::now();
    let mut found = 0;
    for t in &texts {
        found += rampart_intel::report::iocs::extract(t, &opts).iocs.len();
    }
    let s = start.elapsed().as_secs_f64().max(1e-9);
    if let Some(out) = iocs_out {
        // Not timed: what was found, per report, for scoring against labels or peers.
        let mut w = std::io::BufWriter::new(
            std::fs::File::create(out)
                .with_context(|| format!("cannot create {}", out.display()))?,
        );
        for (p, t) in read.iter().zip(&texts) {
            let x = rampart_intel::report::iocs::extract(t, &opts);
            let mut by_kind = serde_json::Map::new();
            for kind in rampart_intel::report::IocKind::ALL {
                let values: Vec<&str> = x.of(kind).map(|i| i.value.as_str()).collect();
                by_kind.insert(kind.as_str().to_owned(), serde_json::json!(values));
            }
            let rel = p.strip_prefix(dir).unwrap_or(p);
            serde_json::to_writer(
                &mut w,
                &serde_json::json!({"file": rel.display().to_string(), "iocs": by_kind}),
            )?;
            w.write_all(b"\n")?;
        }
        w.flush()
            .with_context(|| format!("cannot write {}", out.display()))?;
    }
    println!("iocs found: {found} ({:.1} MB/s)", mb / s);
    println!(
        "intel: reports={} mb={mb:.2} seconds={s:.3} reports_per_s={:.1}",
        texts.len(),
        texts.len() as f64 / s
    );
    Ok(())
}
