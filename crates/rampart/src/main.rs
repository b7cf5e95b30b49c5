//! `rampart`: the one binary. Commands parse their arguments here and call the
//! libraries; logic that a library could own lives in a library.

mod bench;
mod bench_retro;
mod bench_serve;
mod builtin_rules;
mod config;
mod hunt;
mod indicators;
mod intel;
mod llm;
mod output;
mod retro;
mod rules;
mod serve;
mod sigma_hunt;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use rampart_model::{Severity, SourceFormat};

use crate::output::OutputFormat;

#[derive(Parser)]
#[command(
    name = "rampart",
    version,
    about = "Rampart: find account takeovers across all your partners' identity logs, and explain each one.",
    long_about = None,
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More log output on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
}

#[derive(Subcommand)]
enum Command {
    /// Hunt for account takeovers in sign-in exports (Entra ID, O365, Okta, Google Workspace, OCSF).
    #[command(after_help = HUNT_EXAMPLES)]
    Hunt {
        /// Inputs as [TENANT=]PATH: a file (JSON, NDJSON, Graph/Azure Monitor/Reports API pages,
        /// Purview CSV, optionally gzipped) or a directory read recursively. TENANT (a slug from
        /// the config) is given to records that carry no tenant of their own.
        #[arg(required = true, value_name = "[TENANT=]PATH")]
        inputs: Vec<String>,
        /// The configuration (tenants, trusted networks, detection tuning).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Indicator file: CSV `type,value[,description,…]`, a plain list, a STIX 2.1 bundle or a
        /// MISP event (detected from the content; defanged values accepted). Repeatable.
        #[arg(long, value_name = "FILE")]
        indicators: Vec<PathBuf>,
        /// Sigma rules (a .yml file or a directory read recursively), evaluated on every raw
        /// record of Entra, O365, Okta and Google Workspace; matches are `sigma` findings
        /// with the rule's id, level, ATT&CK tags and author. Repeatable.
        #[arg(long, value_name = "DIR")]
        rules: Vec<PathBuf>,
        /// Do not run Rampart's built-in Sigma rules (`rules/` in the repository: MFA fatigue,
        /// failed sign-ins then success, legacy authentication, admin consent, …).
        #[arg(long)]
        no_builtin_rules: bool,
        /// MaxMind-format database(s) (GeoLite2/GeoIP2/DB-IP City, optionally an ASN db) to place
        /// sign-ins whose records carry no coordinates. Repeatable.
        #[arg(long, value_name = "FILE.mmdb")]
        geoip: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
        /// Force one input format instead of detecting it per record.
        #[arg(long, value_name = "FORMAT", value_parser = parse_source_format)]
        source_format: Option<SourceFormat>,
        /// Write records that could not be decoded (with the reason) to this NDJSON file.
        #[arg(long, value_name = "FILE")]
        dead_letter: Option<PathBuf>,
        /// Write findings to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Show only findings at or above this severity.
        #[arg(long, default_value = "info", value_parser = parse_severity)]
        min_severity: Severity,
        /// No summary on stderr.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Decode exports and print the normalized sign-ins (Rampart's model, or OCSF Authentication 3002).
    Normalize {
        /// Inputs as [TENANT=]PATH, as for `hunt`.
        #[arg(required = true, value_name = "[TENANT=]PATH")]
        inputs: Vec<String>,
        /// The configuration, to map provider tenant ids to tenants.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// MaxMind-format database(s) to place sign-ins without coordinates. Repeatable.
        #[arg(long, value_name = "FILE.mmdb")]
        geoip: Vec<PathBuf>,
        /// Output: Rampart's normalized sign-in as JSON, or OCSF Authentication (class 3002); one per line.
        #[arg(long, value_enum, default_value = "json")]
        format: NormalizeFormat,
        /// Force one input format instead of detecting it per record.
        #[arg(long, value_name = "FORMAT", value_parser = parse_source_format)]
        source_format: Option<SourceFormat>,
        /// Write records that could not be decoded (with the reason) to this NDJSON file.
        #[arg(long, value_name = "FILE")]
        dead_letter: Option<PathBuf>,
    },
    /// Write the seed story as realistic exports, with its config and indicator list.
    DemoData {
        /// Directory to write into (created if missing).
        dir: PathBuf,
        /// Which world: the seed story (3 partners) or the larger evaluation world (4 partners, labelled attacks).
        #[arg(long, value_enum, default_value = "seed-story")]
        world: World,
        /// Random seed: the same seed writes the same bytes.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Sigma rules: compile a rule set, or see which rules match which events.
    Rules {
        #[command(subcommand)]
        what: RulesWhat,
    },
    /// The local indicator database: import feeds and lists, export, list, check values.
    Indicators {
        #[command(subcommand)]
        what: IndicatorsWhat,
    },
    /// Threat reports: analyse one into its Analysis Summary, indicators and ATT&CK techniques.
    Intel {
        #[command(subcommand)]
        what: IntelWhat,
    },
    /// Run the ingest and alert API: partners' telemetry in over HTTP, stored durably,
    /// detected continuously, alerts out.
    Serve {
        /// The configuration (tenants, provider ids, trusted networks, detection tuning).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Where to listen (port 0: any free port; the address is printed on stderr).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// The store: sqlite:PATH or postgres://… [default: rampart.sqlite in the data directory].
        #[arg(long, value_name = "URL", env = "RAMPART_STORE")]
        store: Option<String>,
        /// Indicator list (CSV, as for hunt). Repeatable.
        #[arg(long, value_name = "FILE")]
        indicators: Vec<PathBuf>,
        /// MaxMind-format database(s) to place sign-ins without coordinates. Repeatable.
        #[arg(long, value_name = "FILE.mmdb")]
        geoip: Vec<PathBuf>,
        /// Batches that may wait for detection before ingest answers 429.
        #[arg(long, default_value_t = 64)]
        queue_capacity: usize,
        #[command(flatten)]
        data: DataDirArg,
    },
    /// Retro-hunt: search the store's sign-ins (what `serve` accepted) for indicators added
    /// since, and raise `indicator_match` alerts for the ones live at each sign-in's time.
    HuntHistory {
        /// How far back: a duration (30d, 12h, 90m) or an RFC 3339 time.
        #[arg(long, default_value = "30d")]
        since: String,
        /// Indicator file(s) in any format `indicators import` reads [default: every
        /// indicator in the store, as `indicators import` added them]. Repeatable.
        #[arg(long, value_name = "FILE")]
        indicators: Vec<PathBuf>,
        /// The configuration (tenant names, detection tuning).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// The store: sqlite:PATH or postgres://… [default: rampart.sqlite in the data directory].
        #[arg(long, value_name = "URL", env = "RAMPART_STORE")]
        store: Option<String>,
        /// Output format of the findings.
        #[arg(long, value_enum, default_value = "table")]
        format: OutputFormat,
        /// Print the findings only; raise no alerts in the store.
        #[arg(long)]
        no_alerts: bool,
        #[command(flatten)]
        data: DataDirArg,
    },
    /// API tokens for `rampart serve`.
    Token {
        #[command(subcommand)]
        what: TokenWhat,
    },
    /// Benchmarks that anyone can run; each reports against its baseline in the same run.
    Bench {
        #[command(subcommand)]
        what: BenchWhat,
    },
}

#[derive(Subcommand)]
enum IntelWhat {
    /// Analyse a threat report (plain text, Markdown or HTML; `-` for standard input): the
    /// Analysis Summary as Markdown (default), JSON or a STIX 2.1 bundle.
    Analyze {
        /// The report file, or `-` for standard input.
        #[arg(value_name = "FILE|-")]
        input: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value = "markdown")]
        format: intel::AnalyzeFormat,
        /// Input format (auto: from the extension, else HTML when it looks like HTML).
        #[arg(long, value_enum, default_value = "auto")]
        input_format: intel::InputFormat,
        /// MISP warninglists (the `lists` directory of MISP/misp-warninglists): listed values
        /// are not reported as indicators.
        #[arg(long, value_name = "DIR")]
        warninglists: Option<PathBuf>,
        /// MISP galaxy clusters (MISP/misp-galaxy, its `clusters` directory): more actors,
        /// malware, tools, sectors and countries than ATT&CK knows.
        #[arg(long, value_name = "DIR")]
        galaxies: Option<PathBuf>,
        /// The publisher's own domain (links to it are not indicators). Repeatable; a leading
        /// `url:` line in the report is used too.
        #[arg(long, value_name = "DOMAIN")]
        publisher: Vec<String>,
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// The report's name, recorded as the provenance of emitted indicators and used in
        /// the rule [default: the file name].
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
        /// Add the report's indicators to the indicator database (malicious, tagged with the
        /// actors, campaigns and malware found; provenance: the report). A re-run merges.
        #[arg(long)]
        emit_indicators: bool,
        /// TLP of emitted indicators: clear, green, amber, amber+strict, red.
        #[arg(long, default_value = "amber", value_parser = parse_tlp)]
        tlp: rampart_intel::Tlp,
        /// Write a Sigma rule matching the report's network indicators in sign-in (Entra ID,
        /// Microsoft 365, Okta, Google Workspace), firewall, proxy and DNS events into DIR.
        #[arg(long, value_name = "DIR")]
        emit_rule: Option<PathBuf>,
        /// An OpenAI-compatible chat endpoint (`…/v1/chat/completions`, or its base URL) whose
        /// model writes the summary's prose from the text; sentences the text does not support
        /// are dropped, indicators and ATT&CK ids stay the extractor's. The API key is read
        /// from RAMPART_LLM_API_KEY. On any failure the summary stays extractive.
        #[arg(long, value_name = "URL", requires = "model")]
        llm: Option<String>,
        /// The model name for --llm.
        #[arg(long, value_name = "NAME", requires = "llm")]
        model: Option<String>,
        /// Seconds to wait for the model's answer.
        #[arg(long, value_name = "SECONDS", default_value_t = 120.0)]
        llm_timeout: f64,
        #[command(flatten)]
        data: DataDirArg,
    },
}

#[derive(Subcommand)]
enum RulesWhat {
    /// Compile every rule under the paths; print what loaded and what was rejected, and why.
    Check {
        /// Rule files or directories (read recursively for .yml/.yaml).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// One JSON object: {"loaded": N, "rejected": [{"path", "line", "reason"}]}.
        #[arg(long, value_enum, default_value = "text")]
        format: RulesFormat,
    },
    /// Show which rules match which events (for authors writing a rule).
    Test {
        /// Rule file or directory.
        rules: PathBuf,
        /// Event files: a JSON array, NDJSON, a page ({"value"|"records"|"items": […]}) or one object.
        #[arg(required = true)]
        events: Vec<PathBuf>,
        /// One JSON line per match: {"rule_id", "rule_title", "file", "index"} (index: 0-based position in its file).
        #[arg(long, value_enum, default_value = "text")]
        format: RulesFormat,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum RulesFormat {
    Text,
    Json,
}

/// Where the indicator database (`rampart.sqlite`) lives.
#[derive(clap::Args)]
struct DataDirArg {
    /// The data directory [default: $XDG_DATA_HOME/rampart or ~/.local/share/rampart].
    #[arg(long, value_name = "DIR", env = "RAMPART_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Subcommand)]
enum IndicatorsWhat {
    /// Import indicator files (CSV, plain lists, STIX 2.1 bundles, MISP events; defanged values
    /// accepted) and MISP feeds (a directory with manifest.json, or the manifest) into the
    /// database; a summary goes to stderr.
    Import {
        #[arg(required = true, value_name = "FILE|FEED_DIR")]
        files: Vec<PathBuf>,
        /// TLP for values whose file gives none: clear, green, amber, amber+strict, red.
        #[arg(long, default_value = "amber", value_parser = parse_tlp)]
        tlp: rampart_intel::Tlp,
        /// The feed name recorded as provenance (default: the file name).
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// The file format.
        #[arg(long, value_enum, default_value = "auto")]
        format: indicators::ImportFormat,
        /// MISP warninglists (a misp-warninglists checkout or its `lists` directory): malicious
        /// values on them are refused.
        #[arg(long, value_name = "DIR")]
        warninglists: Option<PathBuf>,
        /// Import values on a warninglist anyway.
        #[arg(long)]
        force: bool,
        /// Queue no retro-hunt of the stored sign-ins for the address indicators imported
        /// (by default one is queued: a running `rampart serve` on this store runs it
        /// within seconds, or the next start does).
        #[arg(long)]
        no_retro_hunt: bool,
        /// How far back the queued retro-hunt searches: a duration (30d, 12h, 90m) or an
        /// RFC 3339 time.
        #[arg(long, default_value = "30d", value_name = "SINCE")]
        retro_since: String,
        #[command(flatten)]
        data: DataDirArg,
    },
    /// Export every stored indicator.
    Export {
        #[arg(long, value_enum)]
        format: indicators::ExportFormat,
        /// Write to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        data: DataDirArg,
    },
    /// List stored indicators.
    List {
        /// Only this type (ipv4, ipv6, cidr, domain, url, email, md5, sha1, sha256, user-agent, asn).
        #[arg(long = "type", value_name = "TYPE", value_parser = parse_kind)]
        kind: Option<rampart_intel::ObservableKind>,
        /// Only indicators with this tag (`campaign:NAME` or just NAME).
        #[arg(long)]
        tag: Option<String>,
        /// Only this verdict: malicious, suspicious, benign-allow.
        #[arg(long, value_parser = parse_verdict)]
        verdict: Option<rampart_intel::Verdict>,
        /// At most this many.
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long, value_enum, default_value = "table")]
        format: indicators::ListFormat,
        #[command(flatten)]
        data: DataDirArg,
    },
    /// Is a value known, why, and from where? Exit 0 when a value matches a live malicious or
    /// suspicious indicator, 1 when none does.
    Check {
        /// Values (IPs, domains, URLs, emails, hashes; defanged accepted).
        #[arg(required = true, value_name = "VALUE")]
        values: Vec<String>,
        #[arg(long, value_enum, default_value = "text")]
        format: indicators::CheckFormat,
        #[command(flatten)]
        data: DataDirArg,
    },
}

fn parse_tlp(s: &str) -> Result<rampart_intel::Tlp, String> {
    rampart_intel::Tlp::from_name(s)
        .ok_or_else(|| format!("unknown TLP {s:?}; one of: clear, green, amber, amber+strict, red"))
}

fn parse_kind(s: &str) -> Result<rampart_intel::ObservableKind, String> {
    rampart_intel::ObservableKind::from_name(s)
        .ok_or_else(|| format!("unknown indicator type {s:?}"))
}

fn parse_verdict(s: &str) -> Result<rampart_intel::Verdict, String> {
    rampart_intel::Verdict::from_name(s).ok_or_else(|| {
        format!("unknown verdict {s:?}; one of: malicious, suspicious, benign-allow")
    })
}

#[derive(Subcommand)]
enum TokenWhat {
    /// Create a token and print it alone on stdout, once (only its SHA-256 is stored).
    Create {
        /// msp-admin (everything, every tenant) or ingest (ingest into one tenant).
        #[arg(long, value_parser = parse_role)]
        role: rampart_store::Role,
        /// The tenant an ingest token is bound to.
        #[arg(long)]
        tenant: Option<String>,
        /// A name for people (default: role and tenant).
        #[arg(long)]
        name: Option<String>,
        /// When the token stops working: a duration from now (90d, 12h, 30m), an RFC 3339
        /// time, or `never`.
        #[arg(long, default_value = "90d", value_name = "WHEN")]
        expires_in: String,
        /// The store: sqlite:PATH or postgres://… [default: rampart.sqlite in the data directory].
        #[arg(long, value_name = "URL", env = "RAMPART_STORE")]
        store: Option<String>,
        #[command(flatten)]
        data: DataDirArg,
    },
    /// List every token (id, name, role, tenant, created, expires, live/expired/revoked);
    /// never the tokens themselves.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// The store: sqlite:PATH or postgres://… [default: rampart.sqlite in the data directory].
        #[arg(long, value_name = "URL", env = "RAMPART_STORE")]
        store: Option<String>,
        #[command(flatten)]
        data: DataDirArg,
    },
    /// Revoke a token at once (a server refuses it from its next request), by id or by
    /// the name of one live token. Audited.
    Revoke {
        /// The token's id (`token list`) or name.
        #[arg(value_name = "ID|NAME")]
        token: String,
        /// The store: sqlite:PATH or postgres://… [default: rampart.sqlite in the data directory].
        #[arg(long, value_name = "URL", env = "RAMPART_STORE")]
        store: Option<String>,
        #[command(flatten)]
        data: DataDirArg,
    },
}

fn parse_role(s: &str) -> Result<rampart_store::Role, String> {
    rampart_store::Role::from_name(s)
        .ok_or_else(|| format!("unknown role {s:?}; one of: msp-admin, ingest"))
}

#[derive(Subcommand)]
enum BenchWhat {
    /// The hunt pipeline on generated Entra Graph sign-ins vs. parsing the same bytes into serde_json::Value.
    Hunt {
        /// Sign-ins to generate.
        #[arg(long, default_value_t = 200_000)]
        events: usize,
        /// Distinct users among them.
        #[arg(long, default_value_t = 20_000)]
        identities: usize,
        /// Identities for the state-size measurement.
        #[arg(long, default_value_t = 1_000_000)]
        state_identities: usize,
        /// Repetitions; the best is reported.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// Streaming detection batch by batch (the incremental detector) vs. re-running hunt
    /// over the look-back window for every batch (the engine's former way).
    Stream {
        /// Sign-ins to generate.
        #[arg(long, default_value_t = 200_000)]
        events: usize,
        /// Distinct users among them.
        #[arg(long, default_value_t = 20_000)]
        identities: usize,
        /// Sign-ins per batch.
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        /// Identity partitions (threads) of the incremental detector.
        #[arg(long, default_value_t = 2)]
        partitions: usize,
        /// Batches the (slow) baseline runs over.
        #[arg(long, default_value_t = 20)]
        baseline_batches: usize,
    },
    /// Report analysis over a folder of reports: IOC extraction speed (last line:
    /// `intel: reports=N mb=M seconds=S reports_per_s=R`); `--analyze` times the full analysis too.
    Intel {
        /// A directory of reports (text, Markdown, HTML), read recursively.
        dir: PathBuf,
        /// Also time the full analysis (techniques, entities, summary).
        #[arg(long)]
        analyze: bool,
        /// After timing, write each report's IOCs here as NDJSON
        /// (`{"file", "iocs": {type: [values]}}`), for scoring (scripts/intel-peers.py).
        #[arg(long, value_name = "FILE")]
        iocs_out: Option<PathBuf>,
    },
    /// A retro-hunt of N stored sign-ins for K new indicators on a fresh store (load timed
    /// apart); last line `retro: store=… signins=N indicators=K load_seconds=L seconds=S hits=H`.
    Retro {
        /// Sign-ins to generate and store.
        #[arg(long, default_value_t = 1_000_000)]
        signins: usize,
        /// Indicators to hunt for.
        #[arg(long, default_value_t = 10_000)]
        indicators: usize,
        /// sqlite:PATH (a new file, removed after) or postgres://… (a schema
        /// rampart_bench_PID, dropped after) [default: a SQLite file in the temp directory].
        #[arg(long, value_name = "URL")]
        store: Option<String>,
        /// Sign-ins per stored batch.
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        /// Also time reading every sign-in of the window and looking each up.
        #[arg(long)]
        baseline: bool,
    },
    /// The service over HTTP (ingest API, store, detection worker) driven by clients in the
    /// same process: sustained sign-ins/s, then ingest-to-alert latency at a fixed rate.
    /// Last line: `serve: store=… sustained_eps=… p50_ms=… p99_ms=…`.
    Serve {
        /// Sign-ins for the throughput phase.
        #[arg(long, default_value_t = 200_000)]
        events: usize,
        /// Distinct users among them.
        #[arg(long, default_value_t = 20_000)]
        identities: usize,
        /// Sign-ins per request in the throughput phase.
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        /// Concurrent HTTP clients in the throughput phase.
        #[arg(long, default_value_t = 4)]
        clients: usize,
        /// Sign-ins per second in the latency phase (0: skip it).
        #[arg(long, default_value_t = 2_000)]
        rate: usize,
        /// Length of the latency phase.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Run on PostgreSQL (a scratch schema in this database, dropped afterwards)
        /// instead of a new SQLite file.
        #[arg(long, value_name = "postgres://…")]
        store: Option<String>,
        /// Committed batches that may wait for detection before ingest answers 429.
        #[arg(long, default_value_t = 64)]
        queue_capacity: usize,
    },
    /// Loading a million indicators into the matcher, and the cost of one lookup.
    Indicators {
        /// Indicators to generate and load (a mix of IPs, networks, domains and hashes).
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
        /// Lookups to time (a mix of listed and unlisted values).
        #[arg(long, default_value_t = 2_000_000)]
        lookups: usize,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum NormalizeFormat {
    /// Rampart's normalized sign-in.
    Json,
    /// OCSF Authentication (class 3002).
    Ocsf,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum World {
    SeedStory,
    Evaluation,
}

const HUNT_EXAMPLES: &str = "Examples:
  rampart hunt --config rampart.toml --indicators campaign.csv \\
      acme-dental=exports/acme.json brightline-law=exports/brightline/ delta-clinic=okta.ndjson
  rampart hunt --format json --min-severity high exports/ > findings.ndjson

Exit status: 0 when the hunt completed (whatever it found), 1 on an I/O or configuration error,
2 on a usage error.";

fn parse_source_format(s: &str) -> Result<SourceFormat, String> {
    if s == "auto" {
        return Err("leave --source-format out to detect the format per record".into());
    }
    SourceFormat::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = SourceFormat::ALL.iter().map(|f| f.as_str()).collect();
        format!("unknown format {s:?}; one of: {}", names.join(", "))
    })
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::from_name(s)
        .ok_or_else(|| format!("unknown severity {s:?}; one of: info, low, medium, high, critical"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = match cli.verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("RAMPART_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Hunt {
            inputs,
            config,
            indicators,
            rules,
            no_builtin_rules,
            geoip,
            format,
            source_format,
            dead_letter,
            output,
            min_severity,
            quiet,
        } => hunt::run(hunt::HuntArgs {
            config,
            indicators,
            rules,
            builtin_rules: !no_builtin_rules,
            geoip,
            inputs,
            format,
            source_format,
            dead_letter,
            output,
            min_severity,
            quiet,
        }),
        Command::Normalize {
            inputs,
            config,
            geoip,
            format,
            source_format,
            dead_letter,
        } => hunt::normalize(hunt::NormalizeArgs {
            inputs,
            config,
            geoip,
            ocsf: format == NormalizeFormat::Ocsf,
            source_format,
            dead_letter,
        }),
        Command::DemoData { dir, world, seed } => {
            let w = match world {
                World::SeedStory => rampart_scenario::seed_story(seed),
                World::Evaluation => rampart_scenario::evaluation(seed),
            };
            let manifest = rampart_scenario::write(&w, &dir)
                .with_context(|| format!("cannot write the demo data to {}", dir.display()))?;
            eprintln!(
                "wrote {} sign-ins for {} partners ({}) in {} files under {}; {} labelled attacks",
                manifest.signins,
                manifest.tenants.len(),
                manifest.tenants.join(", "),
                manifest.files.len(),
                dir.display(),
                manifest.attacks
            );
            eprintln!(
                "see {} for the story and the command to hunt it",
                dir.join("README.md").display()
            );
            Ok(())
        }
        Command::Rules { what } => match what {
            RulesWhat::Check { paths, format } => rules::check(&paths, format == RulesFormat::Json),
            RulesWhat::Test {
                rules,
                events,
                format,
            } => rules::test(&[rules], &events, format == RulesFormat::Json),
        },
        Command::Indicators { what } => match what {
            IndicatorsWhat::Import {
                files,
                tlp,
                source,
                format,
                warninglists,
                force,
                no_retro_hunt,
                retro_since,
                data,
            } => indicators::import(indicators::ImportArgs {
                files,
                tlp,
                source,
                format,
                warninglists,
                force,
                retro_hunt: (!no_retro_hunt).then_some(retro_since),
                data_dir: data.data_dir,
            }),
            IndicatorsWhat::Export {
                format,
                output,
                data,
            } => indicators::export(format, output, data.data_dir),
            IndicatorsWhat::List {
                kind,
                tag,
                verdict,
                limit,
                format,
                data,
            } => indicators::list(indicators::ListArgs {
                kind,
                tag,
                verdict,
                limit,
                format,
                data_dir: data.data_dir,
            }),
            IndicatorsWhat::Check {
                values,
                format,
                data,
            } => {
                if !indicators::check(&values, format, data.data_dir)? {
                    // Exit 1: no value matched a live malicious or suspicious indicator.
                    std::process::exit(1);
                }
                Ok(())
            }
        },
        Command::Intel { what } => match what {
            IntelWhat::Analyze {
                input,
                format,
                input_format,
                warninglists,
                galaxies,
                publisher,
                output,
                name,
                emit_indicators,
                tlp,
                emit_rule,
                llm,
                model,
                llm_timeout,
                data,
            } => intel::analyze(intel::AnalyzeArgs {
                input,
                format,
                input_format,
                output,
                warninglists,
                galaxies,
                publisher,
                name,
                emit_indicators,
                tlp,
                data_dir: data.data_dir,
                emit_rule,
                llm: llm.zip(model),
                llm_timeout: std::time::Duration::try_from_secs_f64(llm_timeout)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .context("--llm-timeout must be a positive number of seconds")?,
            }),
        },
        Command::Serve {
            config,
            listen,
            store,
            indicators,
            geoip,
            queue_capacity,
            data,
        } => serve::run(serve::ServeArgs {
            config,
            data_dir: data.data_dir,
            listen,
            store,
            indicators,
            geoip,
            queue_capacity,
        }),
        Command::HuntHistory {
            since,
            indicators,
            config,
            store,
            format,
            no_alerts,
            data,
        } => retro::run(retro::HuntHistoryArgs {
            since,
            config,
            store,
            data_dir: data.data_dir,
            indicators,
            format,
            no_alerts,
        }),
        Command::Token { what } => match what {
            TokenWhat::Create {
                role,
                tenant,
                name,
                expires_in,
                store,
                data,
            } => token::create(token::CreateArgs {
                role,
                tenant,
                name,
                expires_in,
                data_dir: data.data_dir,
                store,
            }),
            TokenWhat::List { json, store, data } => token::list(
                token::StoreArgs {
                    data_dir: data.data_dir,
                    store,
                },
                json,
            ),
            TokenWhat::Revoke { token, store, data } => token::revoke(
                token::StoreArgs {
                    data_dir: data.data_dir,
                    store,
                },
                &token,
            ),
        },
        Command::Bench { what } => match what {
            BenchWhat::Hunt {
                events,
                identities,
                state_identities,
                rounds,
            } => bench::hunt(events, identities, state_identities, rounds),
            BenchWhat::Stream {
                events,
                identities,
                batch,
                partitions,
                baseline_batches,
            } => bench::stream(events, identities, batch, partitions, baseline_batches),
            BenchWhat::Intel {
                dir,
                analyze,
                iocs_out,
            } => intel::bench(&dir, analyze, iocs_out.as_deref()),
            BenchWhat::Retro {
                signins,
                indicators,
                store,
                batch,
                baseline,
            } => bench_retro::retro(bench_retro::RetroArgs {
                signins,
                indicators,
                store,
                batch,
                baseline,
            }),
            BenchWhat::Serve {
                events,
                identities,
                batch,
                clients,
                rate,
                seconds,
                store,
                queue_capacity,
            } => bench_serve::run(bench_serve::ServeBench {
                events,
                identities,
                batch,
                clients,
                rate,
                seconds,
                store,
                queue_capacity,
            }),
            BenchWhat::Indicators { count, lookups } => {
                if count == 0 || lookups == 0 {
                    anyhow::bail!("--count and --lookups must be at least 1");
                }
                eprintln!("loading {count} generated indicators, then {lookups} lookups…");
                let report = rampart_intel::bench_indicators(count, lookups);
                eprintln!(
                    "{} lookups ({} matched): listed values {:.0} ns, unlisted {:.0} ns \
                     (thread CPU time); wall-clock: load {:.3} s, lookup {:.0} ns",
                    report.lookups,
                    report.hits,
                    report.listed_ns,
                    report.random_ns,
                    report.load_wall_s,
                    report.lookup_wall_ns
                );
                eprintln!(
                    "  (queries read cold from the bench's whole list instead: {:.0} ns)",
                    report.cold_lookup_ns
                );
                for k in &report.by_kind {
                    eprintln!(
                        "  {:<6} listed {:>5.0} ns, unlisted {:>5.0} ns",
                        k.kind, k.listed_ns, k.unlisted_ns
                    );
                }
                println!("{report}");
                Ok(())
            }
        },
    }
}
