//! A library benchmark for `rampart bench indicators`: load time for `n` synthetic
//! indicators (CSV parse, normalization and indexing) and the mean time of one lookup.
//! It measures and reports; it asserts nothing about timings.

use std::fmt;
use std::hint::black_box;
use std::time::Instant;

use jiff::Timestamp;

use crate::import::{ImportOptions, import_csv};
use crate::matcher::IndicatorSet;
use crate::model::{Observable, ObservableKind};
use crate::normalize::parse;

/// What [`bench_indicators`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchReport {
    /// Indicators loaded.
    pub n: usize,
    /// Seconds to parse the CSV and build the matcher.
    pub load_s: f64,
    /// Lookups timed.
    pub lookups: usize,
    /// Lookups that matched at least one indicator.
    pub hits: usize,
    /// Mean nanoseconds per lookup.
    pub lookup_ns: f64,
    /// Mean nanoseconds per lookup of a value from the list (or inside it).
    pub listed_ns: f64,
    /// Mean nanoseconds per lookup of a random IPv4 address (nearly all miss).
    pub random_ns: f64,
}

impl fmt::Display for BenchReport {
    /// `indicators: n=N load_s=S lookup_ns=L`, the line `rampart bench indicators` ends with.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "indicators: n={} load_s={:.3} lookup_ns={:.0}",
            self.n, self.load_s, self.lookup_ns
        )
    }
}

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn ipv4(r: u64) -> String {
    let b = r.to_be_bytes();
    // Stay out of 0/8, 10/8 and the multicast range; the exact mix does not matter.
    format!("{}.{}.{}.{}", 11 + b[0] % 200, b[1], b[2], b[3])
}

/// The synthetic list: 60 % IPv4, 10 % /24 networks, 20 % domains, 10 % SHA-256, as CSV.
pub fn synthetic_csv(n: usize, seed: u64) -> String {
    let mut rng = Rng(seed | 1);
    let mut out = String::with_capacity(n * 40);
    out.push_str("type,value,description\n");
    for i in 0..n {
        let r = rng.next();
        match i % 10 {
            0..=5 => out.push_str(&format!("ipv4,{},bench\n", ipv4(r))),
            6 => out.push_str(&format!("cidr,{}/24,bench\n", ipv4(r))),
            7 | 8 => out.push_str(&format!(
                "domain,h{r:x}[.]bench-{}.example,bench\n",
                r % 997
            )),
            _ => out.push_str(&format!(
                "sha256,{r:016x}{:016x}{r:016x}{:016x},bench\n",
                r ^ 1,
                r ^ 2
            )),
        }
    }
    out
}

/// Loads `n` synthetic indicators and times `lookups` lookups with
/// [`IndicatorSet::lookup_into`] (half of them values from the list or inside its networks
/// and domains, half random). Time is wall-clock; run it in
/// a release build.
pub fn bench_indicators(n: usize, lookups: usize) -> BenchReport {
    let csv = synthetic_csv(n, 0x5eed);
    let now = Timestamp::now();
    let opts = ImportOptions::new(now);
    let start = Instant::now();
    let report = import_csv(csv.as_bytes(), "bench", &opts);
    let mut set = IndicatorSet::new();
    for ind in report.indicators {
        set.insert(ind);
    }
    let load_s = start.elapsed().as_secs_f64();

    // Queries: every other one taken from the set (subdomains for domains, hosts inside
    // networks), the rest random IPv4.
    let mut rng = Rng(0xfeed);
    let sample: Vec<&Observable> = set.iter().map(|i| &i.observable).collect();
    let mut queries = Vec::with_capacity(lookups);
    let mut listed = 0;
    for q in 0..lookups {
        let r = rng.next();
        let obs = if q % 2 == 0 && !sample.is_empty() {
            let pick = sample[(r % sample.len() as u64) as usize];
            listed += 1;
            match pick {
                Observable::Domain(d) => Observable::Domain(format!("www.{d}")),
                Observable::Cidr(net) => Observable::Ip(net.network()),
                other => other.clone(),
            }
        } else {
            match parse(ObservableKind::Ipv4, &ipv4(r)) {
                Ok(o) => o,
                Err(_) => continue,
            }
        };
        queries.push(obs);
    }
    // Listed and random queries alternate; time them apart too.
    let (mut hits, mut listed_s, mut random_s) = (0, 0.0, 0.0);
    for (parity, total) in [(0, &mut listed_s), (1, &mut random_s)] {
        let mut found = Vec::new();
        let start = Instant::now();
        for q in queries.iter().skip(parity).step_by(2) {
            set.lookup_into(black_box(q), now, &mut found);
            if !black_box(&found).is_empty() {
                hits += 1;
            }
        }
        *total = start.elapsed().as_secs_f64();
    }
    let per = |secs: f64, n: usize| if n == 0 { 0.0 } else { secs * 1e9 / n as f64 };
    let random = queries.len() - listed;
    let lookup_ns = per(listed_s + random_s, queries.len());
    tracing::debug!(n = set.len(), issues = report.issues.len(), "bench loaded");
    BenchReport {
        n: set.len(),
        load_s,
        lookups: queries.len(),
        hits,
        lookup_ns,
        listed_ns: per(listed_s, listed),
        random_ns: per(random_s, random),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_runs_small_and_reports_its_line() {
        let r = bench_indicators(2_000, 1_000);
        assert_eq!(r.n, 2_000);
        assert_eq!(r.lookups, 1_000);
        assert!(r.hits >= 500, "{r:?}");
        assert!(
            r.to_string().starts_with("indicators: n=2000 load_s="),
            "{r}"
        );
    }

    /// The real figures: `cargo test -p rampart-intel --release -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn bench_one_million() {
        let r = bench_indicators(1_000_000, 1_000_000);
        eprintln!(
            "{r} hits={} listed_ns={:.0} random_ns={:.0}",
            r.hits, r.listed_ns, r.random_ns
        );
    }
}
