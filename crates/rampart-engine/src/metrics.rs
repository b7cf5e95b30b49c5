//! The engine's counters, rendered in the Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters since the process started. Alert totals come from the store at render time.
#[derive(Debug, Default)]
pub struct Metrics {
    /// (tenant, format) → accepted sign-ins.
    events_in: Mutex<BTreeMap<(String, String), u64>>,
    /// tenant → rejected records.
    events_rejected: Mutex<BTreeMap<String, u64>>,
    /// tenant → skipped records (known formats, not sign-ins).
    events_skipped: Mutex<BTreeMap<String, u64>>,
    /// Ingest requests refused because the queue was full.
    pub(crate) refused_busy: AtomicU64,
    /// Detection rounds run.
    pub(crate) detection_rounds: AtomicU64,
}

/// A snapshot of gauges the caller knows.
#[derive(Clone, Debug, Default)]
pub struct Gauges {
    pub queue_depth: u64,
    pub queue_capacity: u64,
    /// Batches committed but not yet through detection.
    pub lag_batches: u64,
    /// Alerts stored, by kind.
    pub alerts_by_kind: Vec<(String, u64)>,
}

impl Metrics {
    pub(crate) fn accepted(&self, tenant: &str, format: &str, n: u64) {
        if let Ok(mut m) = self.events_in.lock() {
            *m.entry((tenant.to_owned(), format.to_owned())).or_default() += n;
        }
    }

    pub(crate) fn rejected(&self, tenant: &str, n: u64) {
        if n > 0
            && let Ok(mut m) = self.events_rejected.lock()
        {
            *m.entry(tenant.to_owned()).or_default() += n;
        }
    }

    pub(crate) fn skipped(&self, tenant: &str, n: u64) {
        if n > 0
            && let Ok(mut m) = self.events_skipped.lock()
        {
            *m.entry(tenant.to_owned()).or_default() += n;
        }
    }

    /// The Prometheus text exposition of every counter and `gauges`.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP rampart_events_in_total Sign-ins accepted, by tenant and source format.\n# TYPE rampart_events_in_total counter"
        );
        if let Ok(m) = self.events_in.lock() {
            for ((tenant, format), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "rampart_events_in_total{{tenant=\"{}\",format=\"{}\"}} {n}",
                    escape(tenant),
                    escape(format)
                );
            }
        }
        for (name, help, map) in [
            (
                "rampart_events_rejected_total",
                "Records rejected (kept as dead letters), by tenant.",
                &self.events_rejected,
            ),
            (
                "rampart_events_skipped_total",
                "Records of a known format that are not sign-ins, by tenant.",
                &self.events_skipped,
            ),
        ] {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            if let Ok(m) = map.lock() {
                for (tenant, n) in m.iter() {
                    let _ = writeln!(out, "{name}{{tenant=\"{}\"}} {n}", escape(tenant));
                }
            }
        }
        let _ = writeln!(
            out,
            "# HELP rampart_alerts Alerts stored, by kind.\n# TYPE rampart_alerts gauge"
        );
        for (kind, n) in &gauges.alerts_by_kind {
            let _ = writeln!(out, "rampart_alerts{{kind=\"{}\"}} {n}", escape(kind));
        }
        for (name, kind, help, v) in [
            (
                "rampart_ingest_refused_busy_total",
                "counter",
                "Ingest requests answered 429 because the engine was behind.",
                self.refused_busy.load(Ordering::Relaxed),
            ),
            (
                "rampart_detection_rounds_total",
                "counter",
                "Detection rounds run.",
                self.detection_rounds.load(Ordering::Relaxed),
            ),
            (
                "rampart_queue_depth",
                "gauge",
                "Committed batches waiting for the detection worker.",
                gauges.queue_depth,
            ),
            (
                "rampart_queue_capacity",
                "gauge",
                "Batches the queue holds before ingest answers 429.",
                gauges.queue_capacity,
            ),
            (
                "rampart_engine_lag_batches",
                "gauge",
                "Committed batches not yet through detection.",
                gauges.lag_batches,
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}"
            );
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
