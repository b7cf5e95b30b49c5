//! Findings as people and machines read them.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use comfy_table::{Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use rampart_model::{Finding, ReasonEffect, Severity, TenantId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// A table for people, with the reasons behind each finding.
    Table,
    /// One JSON finding per line (NDJSON).
    Json,
    /// One OCSF Detection Finding (class 2004) per line.
    Ocsf,
}

pub fn write(
    w: &mut dyn Write,
    format: OutputFormat,
    findings: &[&Finding],
    names: &BTreeMap<TenantId, String>,
    color: bool,
) -> Result<()> {
    match format {
        OutputFormat::Json => {
            for f in findings {
                serde_json::to_writer(&mut *w, f)?;
                w.write_all(b"\n")?;
            }
        }
        OutputFormat::Ocsf => {
            for f in findings {
                serde_json::to_writer(&mut *w, &rampart_sources::ocsf::finding_to_ocsf(f))?;
                w.write_all(b"\n")?;
            }
        }
        OutputFormat::Table => {
            if findings.is_empty() {
                writeln!(w, "No findings.")?;
                return Ok(());
            }
            let mut table = Table::new();
            table
                .load_style(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(vec![
                    "time (UTC)",
                    "severity",
                    "kind",
                    "tenant / user",
                    "what and why",
                ]);
            if let Some((cols, _)) = terminal_size() {
                table.set_width(cols);
            } else {
                table.set_width(160);
            }
            for f in findings {
                let tenant = names
                    .get(&f.tenant)
                    .map(|n| format!("{n} ({})", f.tenant))
                    .unwrap_or_else(|| f.tenant.to_string());
                let mut why = f.title.clone();
                for r in f.evidence.reasons() {
                    let mark = match r.effect {
                        ReasonEffect::Raised => "+",
                        ReasonEffect::Lowered => "-",
                        ReasonEffect::Noted => "·",
                    };
                    why.push_str(&format!("\n{mark} {}", r.text));
                }
                why.push_str(&format!("\nevents: {}", f.event_ids.join(", ")));
                let mut sev = Cell::new(f.severity);
                if color {
                    sev = sev.fg(severity_color(f.severity));
                }
                table.add_row(vec![
                    Cell::new(f.time.strftime("%Y-%m-%d %H:%M")),
                    sev,
                    Cell::new(f.kind),
                    Cell::new(format!("{tenant}\n{}", f.user)),
                    Cell::new(why),
                ]);
            }
            writeln!(w, "{table}")?;
        }
    }
    Ok(())
}

fn severity_color(s: Severity) -> Color {
    match s {
        Severity::Critical => Color::Magenta,
        Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Cyan,
        Severity::Info => Color::Grey,
    }
}

fn terminal_size() -> Option<(u16, u16)> {
    let cols = std::env::var("COLUMNS").ok()?.parse().ok()?;
    Some((cols, 0))
}
